"""Logging: one JSON object per line for machines, or plain text for a person at a terminal.

Every record carries the current request id (from a context variable set per request), so a
line can always be traced to its request. Callers pass structured fields with ``extra=``; the
JSON output keeps them as keys. Document data is never logged: only pointers, sizes and TeX's
own error message.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys
import threading
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from ..http.request_id import request_id_var

# How late a log line may be written: the writer thread wakes this often, not per line.
LOG_BATCH_S = 0.05
# Fields shown after the message in text mode, in this order, when a record has them.
TEXT_FIELDS = (
    "route",
    "method",
    "status",
    "duration_ms",
    "owner",
    "template",
    "engine",
    "outcome",
    "tex_error",
    "in_flight",
    "refusals",
)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message key=value ...``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [
            f"{name}={getattr(record, name)}" for name in TEXT_FIELDS if hasattr(record, name)
        ]
        return " ".join([line, *extras])


class BatchingListener:
    """Writes the queued records every ``interval_s``, all that came meanwhile.

    Not as each one comes (:class:`logging.handlers.QueueListener`): waking a thread for every
    record cost the server more CPU than formatting it (a futex wake and a turn of the GIL per
    line, under load one line per request). A line is written at most ``interval_s`` late;
    :meth:`stop` writes what is left.
    """

    def __init__(
        self,
        records: queue.SimpleQueue[logging.LogRecord],
        handler: logging.Handler,
        interval_s: float = LOG_BATCH_S,
    ) -> None:
        self.records = records
        self.handler = handler
        self.interval_s = interval_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval_s):
            self._write_all()
        self._write_all()

    def _write_all(self) -> None:
        while True:
            try:
                record = self.records.get_nowait()
            except queue.Empty:
                return
            self.handler.handle(record)


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"levelname": "level", "message": "event"},
        timestamp=True,  # ISO 8601, UTC, microseconds
    )


def configure_logging(
    level: str, fmt: str, stream: TextIO | None = None, *, threaded: bool = True
) -> None:
    """Send every log record to ``stream`` (stderr) as JSON lines or text.

    ``fmt`` is ``json``, ``text``, or ``auto`` (text when the stream is a terminal). With
    ``threaded`` (the default) records are formatted and written by a background thread, so a
    slow reader of stderr never stalls the event loop, in batches (:class:`BatchingListener`);
    the request id is taken before that, in the logging task.
    """
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "text" if stream.isatty() else "json"
    output = logging.StreamHandler(stream)
    output.setFormatter(TextFormatter() if fmt == "text" else json_formatter())
    handler: logging.Handler = output
    if threaded:
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        handler = logging.handlers.QueueHandler(records)
        listener = BatchingListener(records, output)
        listener.start()
        atexit.register(listener.stop)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
