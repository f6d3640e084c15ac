"""``make soak`` (``python -m loadtest.soak``): a long run near capacity with a mix of good,
invalid, hostile and aborted requests, to find what only time shows: memory, descriptors, work
directories or TeX processes that leak, and any status the README does not document.

It targets only a server it starts itself, on loopback, and stops by itself:

1. ``texrender --templates templates --templates tests/templates serve --bind 127.0.0.1:0`` in
   a subprocess (the test templates for ``slow``), with ``TEXRENDER_WORK_DIR`` a fresh
   temporary directory, a small PDF cache (``--cache-bytes``, 8 MiB: a 256 MiB cache filling
   up is growth by design, not a leak) and no other ``TEXRENDER_*`` variable inherited.
2. Capacity: a closed loop of 2x render slots clients sending unique ``resume-classic`` bodies
   for ``--capacity-duration`` (10 s); capacity = answers 200 per second.
3. ``--settle`` (3 s) of quiet, then the *start* figures.
4. The soak: Poisson arrivals for ``--duration`` (10 min) at the rate where the kinds that run
   TeX (``good``, ``aborted``) arrive at ``--load`` (0.8) of capacity; the other kinds cost
   next to nothing and come on top. ``--rate`` sets the arrival rate instead. Bounded by the
   duration and by a request count (``--requests``, default 1.5x the expected number + 100).
5. ``--settle`` again, the *end* figures; SIGTERM, timed; the figures once the server is gone.

The mix (weights; ``--weights kind=w,...`` changes some) and the statuses documented for each
kind (README, "The HTTP API" and "Limits and security"). Every kind is sent once first, in this
order, so even a short run covers them all; then kinds are drawn by weight from ``--seed``.

=========== ====== ================================================ =========================
kind        weight request                                          documented
=========== ====== ================================================ =========================
good        55     render ``resume-classic``, unique data           200; 429, 503
cache-hit   10     render one fixed ``resume-classic`` body         200; 429, 503
invalid     8      data that fails the schema                       422
nested      3      arrays nested 100 levels deep                    400
too-long    3      a 16,000-character name                          422
not-json    3      bytes that are not JSON; ``NaN``                 400
surrogates  3      lone surrogates in keys and values               200, 422; 429, 503
too-large   2      a 2 MiB body                                     413 (or the connection
                                                                    closed under the upload:
                                                                    write-error, read-error)
aborted     5      render ``slow``; the client closes the           aborted; 200, 429, 503
                   connection after ``--abort-after`` (300 ms)      (answered before that)
validate    8      the dry run ``POST /v1/validate/resume-classic`` 200, 422
(probe)            ``GET /healthz`` every 250 ms, own process       200
=========== ====== ================================================ =========================

429 and 503 are the queue shedding load as documented; 504 is not expected of these documents
and is not in the table; a 500 never is. ``timeout`` (no answer in ``--timeout``) and
``unfinished`` (still running when the drain time ran out) are failures too.

The verdict fails (exit 1) when: a status is not documented for its kind; a kind was never
sent; at the end (or after the server exited) the work directory holds anything or a TeX
process of this server is alive; the end RSS is over 1.5x the start RSS + 50 MiB; the open
descriptors grew by more than 50; or the server needed SIGKILL (not gone 30 s after SIGTERM).
Start and end figures come from the server's ``/metrics`` (``/proc`` if it has none); TeX
processes are those whose command name ends in ``tex`` and that descend from the server or run
in its work directory, so TeX of other programs on the machine does not count.
Exit codes: 0 passed, 1 failed, 2 usage error or the soak could not run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import trio
from rich.console import Console
from rich.table import Table

from .drive import (
    PROBE_TIMEOUT_S,
    REPO,
    TEXRENDER,
    Send,
    SpawnError,
    StopResult,
    TemplateBody,
    TrioServer,
    Workload,
    closed_loop,
    fetch_sample,
    load_client,
    poisson_arrivals,
    probe_in_process,
    refuse_remote,
    send_one,
    side_client,
    start_server,
    stop_server,
)
from .record import (
    Recorder,
    Series,
    histogram_summary,
    metrics_figures,
    new_histogram,
    scrape_metrics,
)
from .report import format_ms, wide_console
from .units import duration_type, mix_type

# --- the mix ---------------------------------------------------------------------------------

DEFAULT_WEIGHTS: dict[str, float] = {
    "good": 55,
    "cache-hit": 10,
    "invalid": 8,
    "nested": 3,
    "too-long": 3,
    "not-json": 3,
    "surrogates": 3,
    "too-large": 2,
    "aborted": 5,
    "validate": 8,
}
# Kinds that run TeX at full cost: the arrival rate is set from their share of the mix.
TEX_KINDS = frozenset({"good", "aborted"})
PROBE_KIND = "healthz"
_SHED = frozenset({"429", "503"})  # the queue refusing work, as documented
DOCUMENTED: dict[str, frozenset[str]] = {
    "good": frozenset({"200"}) | _SHED,
    "cache-hit": frozenset({"200"}) | _SHED,
    "invalid": frozenset({"422"}),
    "nested": frozenset({"400"}),
    "too-long": frozenset({"422"}),
    "not-json": frozenset({"400"}),
    "surrogates": frozenset({"200", "422"}) | _SHED,
    # The server closes the connection after its 413: a client still uploading may see that.
    "too-large": frozenset({"413", "write-error", "read-error"}),
    "aborted": frozenset({"aborted", "200"}) | _SHED,
    "validate": frozenset({"200", "422"}),
    PROBE_KIND: frozenset({"200"}),
}
CAPACITY_KIND = "capacity"  # the capacity run: good renders, closed loop
DOCUMENTED[CAPACITY_KIND] = DOCUMENTED["good"]


class Mix:
    """Which kind to send next: each kind once (coverage), then drawn by weight, seeded."""

    def __init__(self, weights: Mapping[str, float], seed: int) -> None:
        if not weights or any(w <= 0 for w in weights.values()):
            raise ValueError("a mix needs kinds with positive weights")
        self.kinds = list(weights)
        self.weights = [float(w) for w in weights.values()]
        self._first = iter(self.kinds)
        self._random = random.Random(seed)  # noqa: S311 (a mix, not secrets)

    def next_kind(self) -> str:
        kind = next(self._first, None)
        if kind is not None:
            return kind
        return self._random.choices(self.kinds, self.weights)[0]

    def tex_share(self) -> float:
        """Fraction of arrivals that run TeX (``TEX_KINDS``)."""
        pairs = zip(self.kinds, self.weights, strict=True)
        return sum(w for kind, w in pairs if kind in TEX_KINDS) / sum(self.weights)


def arrival_rate(capacity_per_s: float, load: float, tex_share: float) -> float:
    """Arrivals per second such that the TeX-running share arrives at ``load`` x capacity."""
    if tex_share <= 0:
        return load * capacity_per_s
    return load * capacity_per_s / tex_share


def undocumented(status_counts: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """Per kind, the statuses that are not in its documented set (an unknown kind: all)."""
    found: dict[str, dict[str, int]] = {}
    for kind, counts in status_counts.items():
        allowed = DOCUMENTED.get(kind, frozenset())
        bad = {status: n for status, n in sorted(counts.items()) if status not in allowed and n}
        if bad:
            found[kind] = bad
    return found


# --- the verdict -----------------------------------------------------------------------------

MIB = 1024 * 1024


@dataclass(frozen=True)
class Thresholds:
    """How much growth the verdict forgives: generous, since only a leak over a long run
    should fail it, not allocator noise or a warm cache."""

    rss_factor: float = 1.5
    rss_slack_bytes: int = 50 * MIB
    fd_slack: int = 50


@dataclass(frozen=True)
class Figures:
    """The server's footprint at one moment (``None``: not measurable, e.g. after exit)."""

    rss_bytes: int | None
    open_fds: int | None
    work_entries: int
    tex_processes: int
    source: str = "metrics"


def verdict(
    start: Figures,
    end: Figures,
    *,
    bad_statuses: Mapping[str, Mapping[str, int]],
    unsent: list[str] | None = None,
    after_exit: Figures | None = None,
    stop: StopResult | None = None,
    thresholds: Thresholds = Thresholds(),
) -> list[str]:
    """Every reason the soak failed (empty: it passed)."""
    failures = []
    for kind, counts in bad_statuses.items():
        allowed = ", ".join(sorted(DOCUMENTED.get(kind, frozenset()))) or "nothing"
        for status, n in counts.items():
            failures.append(f"{kind}: {n} x {status}, not documented (documented: {allowed})")
    failures += [f"{kind}: never sent (run too short?)" for kind in unsent or []]
    for moment, figures in (("at the end", end), ("after the server exited", after_exit)):
        if figures is None:
            continue
        if figures.work_entries:
            failures.append(f"{figures.work_entries} entries left in the work directory {moment}")
        if figures.tex_processes:
            failures.append(f"{figures.tex_processes} TeX processes alive {moment}")
    if start.rss_bytes is None or end.rss_bytes is None:
        failures.append("the server's RSS could not be measured")
    else:
        limit = thresholds.rss_factor * start.rss_bytes + thresholds.rss_slack_bytes
        if end.rss_bytes > limit:
            failures.append(
                f"RSS grew from {start.rss_bytes / MIB:.1f} MiB to {end.rss_bytes / MIB:.1f} MiB"
                f" (limit {limit / MIB:.1f} MiB)"
            )
    if start.open_fds is not None and end.open_fds is not None:
        fd_limit = start.open_fds + thresholds.fd_slack
        if end.open_fds > fd_limit:
            failures.append(
                f"open descriptors grew from {start.open_fds} to {end.open_fds} (limit {fd_limit})"
            )
    if stop is not None and stop.killed:
        failures.append(f"the server was not gone {stop.exit_s:.1f} s after SIGTERM: killed")
    return failures


# --- the requests ----------------------------------------------------------------------------

RESUME = "resume-classic"
SLOW = "slow"
RENDER = f"/v1/render/{RESUME}"
VALIDATE = f"/v1/validate/{RESUME}"


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes


class Bodies:
    """Every kind's request, built once; a counter makes the unique ones unique (across runs
    too, by a run id, so a second soak on a warm server still renders)."""

    def __init__(self, sample: Any, run_id: str) -> None:
        self.run_id = run_id
        self.resume = TemplateBody.build(RESUME, sample, unique=True)
        self.slow = TemplateBody.build(SLOW, {"text": "soak: aborted render"}, unique=True)
        self.cached = self.resume.numbered(f"{run_id}-cache")
        self.invalid = [
            _json({"basics": "not an object"}),
            _json({"basics": {"email": 42}}),
            _json({"work": [{"highlights": {"not": "a list"}}]}),
            _json([1, 2, 3]),
        ]
        self.nested = b"[" * 100 + b"]" * 100
        self.too_long = _json({"basics": {"name": "x" * 16_000}})
        self.not_json = [b"\xff\xfe\x00 not json {", b'{"basics": ', b'{"basics": {"name": NaN}}']
        self.surrogates = [
            b'{"basics": {"name": "Ada \\udfff Lovelace"}}',
            b'{"\\ud800": {"\\udc00": ["\\ud800"]}, "basics": {"name": "x"}}',
        ]
        self.too_large = b'{"basics": {"summary": "' + b"x" * (2 * MIB) + b'"}}'
        self._counter = 0

    def for_kind(self, kind: str) -> Request:
        """Raises: KeyError for an unknown kind."""
        self._counter += 1
        n = self._counter
        tag = f"{self.run_id}-{n}"
        match kind:
            case "good":
                return Request(RENDER, self.resume.numbered(tag))
            case "cache-hit":
                return Request(RENDER, self.cached)
            case "invalid":
                return Request(RENDER, self.invalid[n % len(self.invalid)])
            case "nested":
                return Request(RENDER, self.nested)
            case "too-long":
                return Request(RENDER, self.too_long)
            case "not-json":
                return Request(RENDER, self.not_json[n % len(self.not_json)])
            case "surrogates":
                return Request(RENDER, self.surrogates[n % len(self.surrogates)])
            case "too-large":
                return Request(RENDER, self.too_large)
            case "aborted":
                return Request(f"/v1/render/{SLOW}", self.slow.numbered(tag))
            case "validate":
                return Request(VALIDATE, self.resume.numbered(tag))
        raise KeyError(kind)


async def _read_status(stream: trio.SocketStream) -> str:
    """The status of the answer's first line, or why there is none."""
    received = b""
    try:
        while b"\r\n" not in received:
            chunk = await stream.receive_some()
            if not chunk:
                return "closed-without-answer"
            received += chunk
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        return "read-error"
    fields = received.split(b"\r\n", 1)[0].split()
    return fields[1].decode(errors="replace") if len(fields) > 1 else "bad-status-line"


async def send_raw(
    url: str,
    recorder: Recorder,
    request: Request,
    scheduled: float,
    give_up_after_s: float,
    silence: str,
) -> None:
    """POST on a connection of its own, read the status line, close: ``silence`` if nothing
    came within ``give_up_after_s`` (the ``aborted`` kind: a client that gives up mid-render).
    The 2 MiB body goes this way too, so a server that closes under the upload is seen as it
    is (``write-error`` when no answer can be read after it), with no client library between.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = (
        f"POST {request.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(request.body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    recorder.on_sent(trio.current_time(), scheduled)
    status = silence
    try:
        with trio.move_on_after(give_up_after_s):
            stream = await trio.open_tcp_stream(host, port)
            async with stream:
                wrote = True
                try:
                    await stream.send_all(head + request.body)
                except trio.BrokenResourceError:
                    wrote = False  # closed under the upload: its answer may still be there
                status = await _read_status(stream)
                if not wrote and status in {"read-error", "closed-without-answer"}:
                    status = "write-error"
    except OSError:
        status = "connect-error"
    finally:
        end = trio.current_time()
        recorder.on_done(end, end - scheduled, status)


# --- the server ------------------------------------------------------------------------------

STARTUP_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0


class SoakError(Exception):
    """The soak cannot run (the server does not start, no capacity); the message says why."""


def server_env(work_dir: Path, cache_bytes: int) -> dict[str, str]:
    """This environment without ``TEXRENDER_*`` (a soak is the same wherever it runs), plus the
    work directory, the cache size, JSON logs, auth off and a data directory of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXRENDER_")}
    env["TEXRENDER_WORK_DIR"] = str(work_dir)
    env["TEXRENDER_CACHE_BYTES"] = str(cache_bytes)
    env["TEXRENDER_LOG_FORMAT"] = "json"
    # A loopback server of its own: no keys, and its stored documents beside its work directory.
    env["TEXRENDER_AUTH"] = "off"
    env["TEXRENDER_DATA_DIR"] = str(work_dir.with_name(f"{work_dir.name}-data"))
    return env


def server_argv(slots: int | None) -> list[str]:
    argv = [str(TEXRENDER)]
    for folder in (REPO / "templates", REPO / "tests" / "templates"):
        argv += ["--templates", str(folder)]
    if slots is not None:
        argv += ["--slots", str(slots)]
    return [*argv, "serve", "--bind", "127.0.0.1:0"]


# --- figures ---------------------------------------------------------------------------------


def _processes() -> Iterator[tuple[int, int, str]]:
    """``(pid, ppid, command name)`` of every process (those that vanish meanwhile skipped)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        yield int(entry.name), ppid, comm


def tex_processes(server_pid: int, work_dir: Path) -> list[int]:
    """TeX processes of this server: descendants of it, or (orphans) running in its work
    directory. TeX of other programs on this machine is not ours to count."""
    table = list(_processes())
    children: dict[int, list[int]] = {}
    for pid, ppid, _ in table:
        children.setdefault(ppid, []).append(pid)
    descendants: set[int] = set()
    pending = [server_pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in descendants:
                descendants.add(child)
                pending.append(child)
    found = []
    root = str(work_dir)
    for pid, _, comm in table:
        if not comm.endswith("tex"):
            continue
        try:
            in_work_dir = os.readlink(f"/proc/{pid}/cwd").startswith(root)
        except OSError:
            in_work_dir = False
        if pid in descendants or in_work_dir:
            found.append(pid)
    return sorted(found)


def proc_figures(pid: int) -> tuple[int | None, int | None]:
    """RSS in bytes and open descriptors from ``/proc`` (``None`` where unreadable)."""
    rss = fds = None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        pass
    return rss, fds


def local_figures(server: TrioServer, work_dir: Path) -> tuple[int, int]:
    """Entries in the work directory and this server's TeX processes."""
    entries = len(os.listdir(work_dir))
    return entries, len(tex_processes(server.process.pid, work_dir))


def log_levels(log_path: Path) -> dict[str, Any]:
    """Lines of the server's JSON log by level, and the first few at ERROR or above (a 500
    is logged with its traceback): where to look when the verdict names a status."""
    levels: Counter[str] = Counter()
    errors: list[str] = []
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            level = str(json.loads(line).get("level", "?"))
        except (ValueError, AttributeError):
            level = "not-json"
        levels[level] += 1
        if level in {"ERROR", "CRITICAL"} and len(errors) < 5:
            errors.append(line[:500])
    return {"lines": len(lines), "levels": dict(sorted(levels.items())), "first_errors": errors}


async def read_figures(
    server: TrioServer, work_dir: Path, metrics: dict[Series, float] | None
) -> Figures:
    """The figures now: RSS and descriptors from ``metrics`` (``/proc`` without them)."""
    entries, tex = await trio.to_thread.run_sync(local_figures, server, work_dir)
    if server.process.poll() is not None:
        return Figures(None, None, entries, tex, source="exited")
    if metrics is not None:
        rss = metrics.get(("texrender_process_resident_memory_bytes", ""))
        fds = metrics.get(("texrender_process_open_fds", ""))
        if rss is not None and fds is not None:
            return Figures(int(rss), int(fds), entries, tex, source="metrics")
    rss_proc, fds_proc = await trio.to_thread.run_sync(proc_figures, server.process.pid)
    return Figures(rss_proc, fds_proc, entries, tex, source="proc")


# --- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoakConfig:
    """One soak's settings, recorded verbatim in the JSON summary."""

    duration_s: float = 600.0
    capacity_duration_s: float = 10.0
    load: float = 0.8
    rate: float | None = None
    requests: int | None = None
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    seed: int = 0
    timeout_s: float = 60.0
    abort_after_s: float = 0.3
    settle_s: float = 3.0
    max_in_flight: int = 256
    slots: int | None = None
    cache_bytes: int = 8 * MIB
    probe_interval_s: float = 0.25
    progress_every_s: float = 30.0
    server_log: str | None = None


@dataclass
class Tally:
    """One recorder per kind (status counts, HDR latencies), sharing the run's start."""

    start: float
    kinds: dict[str, Recorder] = field(default_factory=dict)

    def of(self, kind: str) -> Recorder:
        recorder = self.kinds.get(kind)
        if recorder is None:
            recorder = self.kinds[kind] = Recorder(self.start)
        return recorder

    def status_counts(self) -> dict[str, dict[str, int]]:
        return {kind: dict(sorted(r.status_counts.items())) for kind, r in self.kinds.items()}

    def sent(self) -> int:
        return sum(r.sent for r in self.kinds.values())

    def in_flight(self) -> int:
        return sum(r.in_flight for r in self.kinds.values())


# A client must give up an idle connection before the server does (texrender closes them after
# keep_alive_timeout_s, 5 s by default): with equal timeouts, a request sent on a connection in
# the very moment the server closes it is lost (seen once in a 10-minute soak: httpx's default
# expiry is 5 s too). The client's half of the keep-alive contract, as every client should do.
KEEPALIVE_EXPIRY_S = 2.0


async def measure_capacity(
    url: str, bodies: Bodies, slots: int, duration_s: float, timeout_s: float
) -> dict[str, Any]:
    """Renders/s of unique ``resume-classic`` bodies from a closed loop of 2x slots clients."""
    workload = Workload([bodies.resume], [1.0])
    recorder = Recorder(trio.current_time())
    clients = 2 * slots
    async with load_client(
        url, clients, timeout_s, keepalive_expiry_s=KEEPALIVE_EXPIRY_S
    ) as client:
        await closed_loop(
            client,
            workload.next_request,
            recorder,
            concurrency=clients,
            stop_at=recorder.start + duration_s,
            requests=None,
            drain_s=timeout_s,
            timeout_s=timeout_s,
        )
    recorder.end = trio.current_time()
    elapsed = recorder.elapsed(recorder.end)
    ok = recorder.status_counts.get("200", 0)
    return {
        "clients": clients,
        "elapsed_s": round(elapsed, 3),
        "renders_per_s": round(ok / elapsed, 3) if elapsed > 0 else 0.0,
        "status_counts": dict(sorted(recorder.status_counts.items())),
        "latency_ms": histogram_summary(recorder.histogram),
    }


async def drive(
    url: str,
    config: SoakConfig,
    rate: float,
    requests: int,
    mix: Mix,
    bodies: Bodies,
    tally: Tally,
) -> float:
    """Poisson arrivals at ``rate`` until the duration or ``requests`` is used up, each kind
    sent its way; latency counts from the scheduled time, as in the open loop. Returns the
    load window in seconds."""
    rng = random.Random(config.seed + 1)  # noqa: S311 (arrival times, not secrets)
    stop_at = tally.start + config.duration_s
    client = load_client(
        url, config.max_in_flight, config.timeout_s, keepalive_expiry_s=KEEPALIVE_EXPIRY_S
    )
    async with client:

        def next_send() -> Send:
            kind = mix.next_kind()
            request = bodies.for_kind(kind)

            async def send(scheduled: float) -> None:
                recorder = tally.of(kind)
                if kind == "aborted":
                    await send_raw(
                        url, recorder, request, scheduled, config.abort_after_s, "aborted"
                    )
                elif kind == "too-large":
                    await send_raw(url, recorder, request, scheduled, config.timeout_s, "timeout")
                else:
                    await send_one(
                        client, recorder, request.path, request.body, scheduled, config.timeout_s
                    )

            return send

        sent, ended = await poisson_arrivals(
            tally.start,
            next_send,
            rate=rate,
            rng=rng,
            stop_at=stop_at,
            requests=requests,
            drain_s=config.timeout_s,
            max_in_flight=config.max_in_flight,
        )
    # The window is the whole duration, unless the request count ended it early.
    return (stop_at if sent < requests else ended) - tally.start


async def show_progress(tally: Tally, duration_s: float, every_s: float) -> None:
    """A line every ``every_s`` on stderr: a soak is long, and silence looks like a hang."""
    while True:
        await trio.sleep(every_s)
        elapsed = trio.current_time() - tally.start
        counts: Counter[str] = Counter()
        for recorder in tally.kinds.values():
            counts.update(recorder.status_counts)
        bad = sum(sum(c.values()) for c in undocumented(tally.status_counts()).values())
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(counts.items()))
        print(
            f"soak {elapsed:.0f}/{duration_s:.0f} s: sent {tally.sent()}, in flight "
            f"{tally.in_flight()}, undocumented {bad}; {statuses}",
            file=sys.stderr,
            flush=True,
        )


def all_answers(recorder: Recorder) -> dict[str, float | int | None]:
    """Latency of every answer of a kind, successes and errors alike (a 400 is the expected
    answer of some kinds)."""
    ok, errors = recorder.histogram, recorder.error_histogram
    if not errors.get_total_count() or not ok.get_total_count():
        return histogram_summary(ok if ok.get_total_count() else errors)
    every = new_histogram()
    every.add(ok)
    every.add(errors)
    summary = histogram_summary(every)
    summary["min"] = round(min(ok.get_min_value(), errors.get_min_value()) / 1000, 3)
    return summary


def kind_summary(kind: str, recorder: Recorder, weight: float | None) -> dict[str, Any]:
    return {
        "weight": weight,
        "sent": recorder.sent,
        "status_counts": dict(sorted(recorder.status_counts.items())),
        "documented": sorted(DOCUMENTED.get(kind, frozenset())),
        "latency_ms": all_answers(recorder),
        "ok_latency_ms": histogram_summary(recorder.histogram),
    }


def render_outcomes(figures: dict[str, Any]) -> dict[str, float]:
    """``texrender_renders_total`` deltas over the soak, summed over templates by outcome."""
    outcomes: Counter[str] = Counter()
    for key, value in figures["deltas"].items():
        if key.startswith("texrender_renders_total{") and 'outcome="' in key:
            outcome = key.split('outcome="', 1)[1].split('"', 1)[0]
            outcomes[outcome] += value
    return dict(sorted(outcomes.items()))


async def soak(config: SoakConfig, console: Console) -> dict[str, Any]:
    """The whole soak; returns the summary (``summary["verdict"]["passed"]``).

    Raises: SoakError or SpawnError if it cannot run.
    """
    started_at = datetime.datetime.now(datetime.UTC)
    for folder in (REPO / "templates", REPO / "tests" / "templates" / SLOW):
        if not folder.is_dir():
            raise SoakError(f"{folder} is missing: the soak needs the repository's templates")
    with tempfile.TemporaryDirectory(prefix="texrender-soak-") as tmp:
        work_dir = Path(tmp) / "work"
        work_dir.mkdir()
        work_dir.chmod(0o755)  # TeX may run as another user (nobody, when started as root)
        log_path = Path(config.server_log) if config.server_log else Path(tmp) / "server.log"
        argv = server_argv(config.slots)
        with log_path.open("wb") as log:
            env = server_env(work_dir, config.cache_bytes)
            server = await start_server(argv, env, log, log_path, timeout_s=STARTUP_TIMEOUT_S)
            try:
                return await _soak_with(server, work_dir, config, console, started_at, argv)
            finally:
                if server.process.poll() is None:
                    server.process.kill()
                    with trio.CancelScope(shield=True):
                        await server.process.wait()


async def _soak_with(
    server: TrioServer,
    work_dir: Path,
    config: SoakConfig,
    console: Console,
    started_at: datetime.datetime,
    argv: list[str],
) -> dict[str, Any]:
    reason = await refuse_remote(server.url)
    if reason is not None:  # the bind is 127.0.0.1: this would be a bug, so say so
        raise SoakError(reason)
    url = server.url
    console.print(f"soak: server {url} (pid {server.process.pid}), work dir {work_dir}")
    async with side_client(url) as side:
        readyz = (await side.get("/readyz")).json()
        slots = int(readyz["render_slots"])
        bodies = Bodies(await fetch_sample(side, RESUME), uuid.uuid4().hex[:8])
        mix = Mix(config.weights, config.seed)
        capacity: dict[str, Any] | None = None
        if config.rate is None:
            console.print(
                f"soak: capacity, {2 * slots} clients for {config.capacity_duration_s:g} s"
            )
            capacity = await measure_capacity(
                url, bodies, slots, config.capacity_duration_s, config.timeout_s
            )
            if not capacity["renders_per_s"]:
                raise SoakError(f"no render succeeded while measuring: {capacity}")
            rate = arrival_rate(capacity["renders_per_s"], config.load, mix.tex_share())
        else:
            rate = config.rate
        requests = config.requests or math.ceil(1.5 * rate * config.duration_s) + 100
        console.print(
            f"soak: {rate:.2f} requests/s for {config.duration_s:g} s "
            f"(capacity {capacity['renders_per_s'] if capacity else '—'} renders/s, "
            f"TeX share {mix.tex_share():.2f}), at most {requests} requests, seed {config.seed}"
        )
        await trio.sleep(config.settle_s)
        metrics_start = await scrape_metrics(side)
        start = await read_figures(server, work_dir, metrics_start)
        tally = Tally(trio.current_time())
        probe = Recorder(tally.start)
        async with trio.open_nursery() as beside:
            await beside.start(
                partial(
                    probe_in_process,
                    url, "/healthz", config.probe_interval_s, PROBE_TIMEOUT_S,
                    probe.on_probe,
                )
            )  # fmt: skip
            tally.start = probe.start = trio.current_time()
            if config.progress_every_s > 0:
                beside.start_soon(show_progress, tally, config.duration_s, config.progress_every_s)
            window = await drive(url, config, rate, requests, mix, bodies, tally)
            beside.cancel_scope.cancel()
        load_end = trio.current_time()
        await trio.sleep(config.settle_s)
        metrics_end = await scrape_metrics(side)
        end = await read_figures(server, work_dir, metrics_end)
    stop = await stop_server(server, STOP_TIMEOUT_S)
    after_exit = await read_figures(server, work_dir, None)
    server_log = await trio.to_thread.run_sync(log_levels, server.log_path)

    counts = tally.status_counts()
    counts[PROBE_KIND] = dict(sorted(probe.probe_status_counts.items()))
    if capacity is not None:
        counts[CAPACITY_KIND] = capacity["status_counts"]
    bad = undocumented(counts)
    unsent = [kind for kind in config.weights if tally.of(kind).sent == 0]
    failures = verdict(
        start, end, bad_statuses=bad, unsent=unsent, after_exit=after_exit, stop=stop
    )
    totals: Counter[str] = Counter()
    for kind, kind_counts in counts.items():
        if kind in config.weights:
            totals.update(kind_counts)
    server_metrics = None
    if metrics_start is not None and metrics_end is not None:
        server_metrics = metrics_figures(metrics_start, metrics_end)
    elapsed = load_end - tally.start
    return {
        "format": 1,
        "started_at": started_at.isoformat(timespec="seconds"),
        "settings": asdict(config),
        "server": {"url": url, "pid": server.process.pid, "argv": argv, "render_slots": slots},
        "capacity": capacity,
        "load": {
            "rate_per_s": round(rate, 3),
            "tex_share": round(mix.tex_share(), 3),
            "request_cap": requests,
            "load_window_s": round(window, 3),
            "elapsed_s": round(elapsed, 3),
            "sent": tally.sent(),
            "sent_per_s": round(tally.sent() / window, 3) if window > 0 else 0.0,
        },
        "kinds": {
            kind: kind_summary(kind, tally.of(kind), config.weights.get(kind))
            for kind in config.weights
        },
        "probe": {
            "interval_s": config.probe_interval_s,
            "status_counts": counts[PROBE_KIND],
            "latency_ms": histogram_summary(probe.probe_histogram),
        },
        "status_counts": dict(sorted(totals.items())),
        "undocumented": bad,
        "figures": {"start": asdict(start), "end": asdict(end), "after_exit": asdict(after_exit)},
        "server_metrics": None
        if server_metrics is None
        else {"render_outcomes": render_outcomes(server_metrics), **server_metrics},
        "stop": asdict(stop),
        "server_log": server_log,
        "good_timeline": tally.of("good").timeline(),
        "verdict": {
            "passed": not failures,
            "failures": failures,
            "thresholds": asdict(Thresholds()),
        },
    }


# --- the report ------------------------------------------------------------------------------


def _mib(value: int | None) -> str:
    return "—" if value is None else f"{value / MIB:.1f} MiB"


def _n(value: int | None) -> str:
    return "—" if value is None else str(value)


def print_report(summary: dict[str, Any], console: Console) -> None:
    """The summary as tables: the kinds and their statuses, the footprint, the verdict."""
    load, capacity = summary["load"], summary["capacity"]
    lines = [
        f"server {summary['server']['url']}, {summary['server']['render_slots']} render slots",
        f"capacity {capacity['renders_per_s']} renders/s ({capacity['clients']} clients, "
        f"{capacity['elapsed_s']:g} s; {capacity['status_counts']})"
        if capacity
        else "capacity not measured (--rate)",
        f"load {load['rate_per_s']} requests/s (TeX share {load['tex_share']}), "
        f"{load['sent']} sent in {load['load_window_s']:g} s, seed {summary['settings']['seed']}",
    ]
    for line in lines:
        console.print(line, highlight=False)

    kinds = Table(title="requests by kind")
    for column in ("kind", "weight", "sent", "statuses", "documented", "p50 ms", "p99 ms"):
        kinds.add_column(column, justify="right" if "ms" in column or column == "sent" else "left")
    bad = summary["undocumented"]
    rows = [(k, v) for k, v in summary["kinds"].items()]
    probe = summary["probe"]
    probe_row = {
        "weight": None,
        "sent": sum(probe["status_counts"].values()),
        "status_counts": probe["status_counts"],
        "documented": sorted(DOCUMENTED[PROBE_KIND]),
        "latency_ms": probe["latency_ms"],
    }
    for kind, row in [*rows, (PROBE_KIND, probe_row)]:
        statuses = ", ".join(
            f"[red]{s}: {n}[/]" if s in bad.get(kind, {}) else f"{s}: {n}"
            for s, n in row["status_counts"].items()
        )
        kinds.add_row(
            kind,
            "—" if row["weight"] is None else f"{row['weight']:g}",
            str(row["sent"]),
            statuses or "—",
            ", ".join(row["documented"]),
            format_ms(row["latency_ms"]["p50"]),
            format_ms(row["latency_ms"]["p99"]),
        )
    console.print(kinds)
    totals = ", ".join(f"{s}: {n}" for s, n in summary["status_counts"].items())
    console.print(f"all statuses: {totals}", highlight=False)
    metrics = summary["server_metrics"]
    if metrics is not None:
        outcomes = ", ".join(f"{k}: {v:g}" for k, v in metrics["render_outcomes"].items())
        console.print(f"server render outcomes: {outcomes}", highlight=False)

    figures = summary["figures"]
    thresholds = summary["verdict"]["thresholds"]
    table = Table(title="server footprint")
    for column in ("", "start", "end", "after exit", "limit at the end"):
        table.add_column(column, justify="right" if column else "left")
    start, end, after = figures["start"], figures["end"], figures["after_exit"]
    rss_limit = (
        None
        if start["rss_bytes"] is None
        else int(thresholds["rss_factor"] * start["rss_bytes"] + thresholds["rss_slack_bytes"])
    )
    fd_limit = None if start["open_fds"] is None else start["open_fds"] + thresholds["fd_slack"]
    table.add_row("RSS", _mib(start["rss_bytes"]), _mib(end["rss_bytes"]), "—", _mib(rss_limit))
    table.add_row("open fds", _n(start["open_fds"]), _n(end["open_fds"]), "—", _n(fd_limit))
    table.add_row(
        "work dir entries", _n(start["work_entries"]), _n(end["work_entries"]),
        _n(after["work_entries"]), "0",
    )  # fmt: skip
    table.add_row(
        "TeX processes", _n(start["tex_processes"]), _n(end["tex_processes"]),
        _n(after["tex_processes"]), "0",
    )  # fmt: skip
    console.print(table)
    stop = summary["stop"]
    console.print(
        f"SIGTERM: exited in {stop['exit_s']:.2f} s with code {stop['returncode']}"
        + (" (killed)" if stop["killed"] else ""),
        highlight=False,
    )
    log = summary["server_log"]
    levels = ", ".join(f"{k}: {v}" for k, v in log["levels"].items())
    console.print(f"server log: {log['lines']} lines ({levels})", highlight=False)
    for line in log["first_errors"]:
        console.print(f"  {line}", highlight=False, markup=False)
    verdict_ = summary["verdict"]
    if verdict_["passed"]:
        console.print("[bold green]soak passed[/]")
    else:
        console.print("[bold red]soak failed:[/]")
        for failure in verdict_["failures"]:
            console.print(f"  - {failure}", highlight=False)


# --- the command line ------------------------------------------------------------------------


def _weights(text: str) -> dict[str, float]:
    changes = mix_type(text)
    unknown = sorted(set(changes) - set(DEFAULT_WEIGHTS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown kind(s) {', '.join(unknown)}; kinds: {', '.join(DEFAULT_WEIGHTS)}"
        )
    return {**DEFAULT_WEIGHTS, **changes}


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 2:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 2: {text}")
    return value


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be more than zero: {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.soak",
        description="Soak a texrender server that this starts on loopback: capacity first, "
        "then a mix of good, invalid, hostile and aborted requests at --load of it.",
    )
    add = parser.add_argument
    add("--duration", "-d", type=duration_type, default=600.0, help="soak length (default 10m)")
    add("--capacity-duration", type=duration_type, default=10.0, help="capacity run (default 10s)")
    add("--load", type=_fraction, default=0.8, help="TeX load, fraction of capacity (0.8)")
    add("--rate", type=_positive(float), help="requests/s; skips measuring the capacity")
    add("--requests", "-n", type=_positive(int), help="at most N requests (default: 1.5x expected)")
    add("--weights", type=_weights, default=dict(DEFAULT_WEIGHTS), help="e.g. good=40,aborted=10")
    add("--seed", type=int, help="seed of the mix and the arrivals (default: random, reported)")
    add("--timeout", type=duration_type, default=60.0, help="per-request bound (default 60s)")
    add("--abort-after", type=duration_type, default=0.3, help="aborted kind (default 300ms)")
    add("--settle", type=duration_type, default=3.0, help="quiet before each figure (default 3s)")
    add("--max-in-flight", type=_positive(int), default=256, help="client cap (default 256)")
    add("--slots", type=_positive(int), help="server render slots (default: its own)")
    add("--cache-bytes", type=int, default=8 * MIB, help="server PDF cache (default 8 MiB)")
    add("--progress-every", type=duration_type, default=30.0, help="progress line (default 30s)")
    add("--server-log", help="keep the server's log in this file")
    add("--json", type=Path, dest="json_path", help="write the summary here")
    add("--quiet", "-q", action="store_true", help="no progress lines")
    return parser


def config_from(args: argparse.Namespace) -> SoakConfig:
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    return SoakConfig(
        duration_s=args.duration,
        capacity_duration_s=args.capacity_duration,
        load=args.load,
        rate=args.rate,
        requests=args.requests,
        weights=args.weights,
        seed=seed,
        timeout_s=args.timeout,
        abort_after_s=args.abort_after,
        settle_s=args.settle,
        max_in_flight=args.max_in_flight,
        slots=args.slots,
        cache_bytes=args.cache_bytes,
        progress_every_s=0.0 if args.quiet else args.progress_every,
        server_log=args.server_log,
    )


async def run(config: SoakConfig, json_path: Path | None, console: Console) -> int:
    """The soak, its report and its JSON; returns the exit code."""
    try:
        summary = await soak(config, console)
    except (SoakError, SpawnError, httpx.HTTPError) as exc:
        Console(stderr=True).print(f"soak: {exc}", style="red", highlight=False)
        return 2
    print_report(summary, console)
    if json_path is not None:
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
        await trio.Path(json_path).write_text(text, encoding="utf-8")
    return 0 if summary["verdict"]["passed"] else 1


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return trio.run(run, config_from(args), args.json_path, wide_console())


if __name__ == "__main__":
    sys.exit(main())
