"""Log lines: valid JSON with the agreed fields, request ids, and never the document's data."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import queue
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.serving.logs import BatchingListener, configure_logging

pytestmark = pytest.mark.tex

SECRET = "Sekr1t-Data-Marker"


@contextlib.contextmanager
def logging_to_string(fmt: str) -> Iterator[io.StringIO]:
    """Route every log record to a string for the duration, then restore pytest's handlers."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("info", fmt, stream, threaded=False)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    with logging_to_string("json") as stream:
        yield stream


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_every_line_is_json_with_the_fields(
    log_stream: io.StringIO, client: httpx.AsyncClient
) -> None:
    ok = await client.post(
        "/v1/render/echo", json={"text": SECRET}, headers={"X-Request-ID": "req-ok"}
    )
    assert ok.status_code == 200
    bad = await client.post(
        "/v1/render/read-file", json={"text": SECRET}, headers={"X-Request-ID": "req-tex"}
    )
    assert bad.status_code == 422
    invalid = await client.post("/v1/render/echo", json={"text": [7], "extra": SECRET})
    assert invalid.status_code == 422

    records = lines(log_stream)
    assert records, "nothing was logged"
    for record in records:
        assert {"timestamp", "level", "event", "request_id"} <= set(record)
    access = {r["request_id"]: r for r in records if r["event"] == "request"}
    assert access["req-ok"]["route"] == "/v1/render/<template>"
    assert access["req-ok"]["status"] == 200
    assert access["req-ok"]["template"] == "echo"
    assert access["req-ok"]["outcome"] == "ok"
    assert access["req-ok"]["duration_ms"] > 0
    assert access["req-tex"]["outcome"] == "tex_error"
    assert "/etc/hostname" in access["req-tex"]["tex_error"]
    assert SECRET not in log_stream.getvalue()


def test_text_format_for_people() -> None:
    with logging_to_string("text") as stream:
        logging.getLogger("texrender.test").info("hello", extra={"route": "/x", "status": 200})
    line = stream.getvalue().strip()
    assert "INFO" in line
    assert "texrender.test [-] hello route=/x status=200" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_the_writer_thread_writes_every_line_in_order_at_its_pace_and_the_rest_at_stop() -> None:
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    stream = io.StringIO()
    output = logging.StreamHandler(stream)
    writer = BatchingListener(records, output, interval_s=0.02)
    writer.start()

    def record(n: int) -> logging.LogRecord:
        return logging.LogRecord("t", logging.INFO, "x", 1, f"line {n}", (), None)

    records.put(record(0))
    deadline = time.monotonic() + 10
    while "line 0" not in stream.getvalue():  # written without a stop, in its own time
        assert time.monotonic() < deadline, "the writer never wrote the line"
        time.sleep(0.01)
    for n in range(1, 200):
        records.put(record(n))
    writer.stop()
    assert stream.getvalue().splitlines() == [f"line {n}" for n in range(200)]
