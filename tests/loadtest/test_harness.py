"""The harness end to end, through its command line: against a real texrender, against a tiny
one-slot server whose answers are known in advance (to prove the open loop measures from the
scheduled time, that --find-max stops where it should, and that an API key goes with every
request but never into the report), and its usage errors.

Timing bounds must hold on a loaded 2-core CI machine: a slow machine only makes latencies
longer, so lower bounds come from what the one-slot server cannot do faster (one 100 ms POST at
a time), and upper bounds are several times the ideal figure or relative to the same run.
"""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from loadtest import cli

SERVICE_S = 0.1
SERVICE_MS = SERVICE_S * 1000
HDR_SLACK_MS = 1.0  # the histogram keeps 3 significant digits: 100 ms may read as 99.9


async def run_harness(argv: list[str], out: Path, *, exit_code: int = 0) -> dict[str, Any]:
    """Run the command line in this Trio run (quietly) and return its JSON report."""
    code = await cli.run(cli.parse_args([*argv, "--quiet", "--json", str(out)]))
    assert code == exit_code
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def arrivals(seed: int, rate: float, duration_s: float) -> int:
    """How many Poisson arrivals a seeded open loop schedules in ``duration_s``: a test oracle,
    so a count can be checked exactly instead of within a band."""
    rng = random.Random(seed)
    t, n = rng.expovariate(rate), 0
    while t < duration_s:
        t, n = t + rng.expovariate(rate), n + 1
    return n


def assert_consistent(report: dict[str, Any]) -> None:
    assert report["sent"] > 0
    assert report["sent"] == report["ok"] + report["errors"]
    assert sum(report["status_counts"].values()) == report["sent"]
    timeline = report["timeline"]
    assert sum(row["sent"] for row in timeline) == report["sent"]
    assert sum(row["ok"] for row in timeline) == report["ok"]
    assert sum(row["errors"] for row in timeline) == report["errors"]
    for row in timeline:
        assert set(row) == {"second", "sent", "ok", "errors", "p50", "p99", "probe_p99"}
    latency = report["latency_ms"]
    assert set(latency) >= {"p50", "p90", "p99", "p99.9", "max", "mean", "count"}
    assert latency["count"] == report["ok"]


# --- against a real texrender ---------------------------------------------------------------


@pytest.mark.tex
async def test_closed_loop_against_texrender(base_url: str, tmp_path: Path) -> None:
    argv = [base_url, "--template", "echo", "-c", "2", "--duration", "2", "--unique"]
    report = await run_harness([*argv, "--probe-interval", "50ms"], tmp_path / "closed.json")
    assert report["settings"]["mode"] == "closed"
    assert report["settings"]["concurrency"] == 2
    assert_consistent(report)
    assert report["ok"] > 0
    assert report["bytes_received"] > 0
    assert report["probe"]["latency_ms"]["count"] > 0
    assert report["probe"]["status_counts"].get("200", 0) > 0
    assert report["server"]["readyz_before"]["render_slots"] == 2
    assert report["client"]["max_in_flight"] <= 2
    # The server's own count, read from /metrics through the Prometheus parser, agrees: every
    # body was unique, so every answer was one TeX run.
    metrics, ok = report["server"]["metrics"], report["ok"]
    assert metrics["deltas"]['texrender_renders_total{outcome="ok",template="echo"}'] == ok
    assert metrics["deltas"]['texrender_render_duration_seconds_count{template="echo"}'] == ok
    assert metrics["means"]['texrender_render_duration_seconds{template="echo"}'] > 0
    assert metrics["gauges"]["texrender_render_slots"] == 2


@pytest.mark.tex
async def test_open_loop_against_texrender(base_url: str, tmp_path: Path) -> None:
    report = await run_harness(
        [base_url, "--template", "echo", "--rate", "4", "--duration", "2", "--seed", "3"],
        tmp_path / "open.json",
    )
    assert report["settings"]["mode"] == "open"
    assert report["settings"]["rate"] == 4
    assert_consistent(report)
    # An open loop sends its schedule whatever the answers; and TeX did answer.
    assert report["sent"] == arrivals(seed=3, rate=4, duration_s=2)
    assert report["status_counts"].get("200", 0) > 0
    assert report["probe"]["latency_ms"]["count"] > 0


# --- against a one-slot server with a fixed service time ------------------------------------


async def one_slot_server(
    nursery: trio.Nursery, service_s: float = SERVICE_S, seen: list[tuple[str, str]] | None = None
) -> str:
    """A minimal HTTP/1.1 server: every POST waits its turn for one slot and takes
    ``service_s``; GET /healthz answers at once; anything else is a 404. Each request's target
    and ``Authorization`` header (``""`` if none) go into ``seen``."""
    slot = trio.Lock()  # fair: first come, first served

    async def answer(stream: trio.SocketStream) -> None:
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                fields = (line.split(":", 1) for line in header_lines)
                headers = {name.lower(): value for name, value in fields}
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        return
                    buffer += chunk
                buffer = buffer[length:]
                if seen is not None:
                    seen.append((target, headers.get("authorization", "").strip()))
                if method == "POST":
                    async with slot:
                        await trio.sleep(service_s)
                    status, body = "200 OK", b"%PDF-1.5 fake"
                elif target == "/healthz":
                    status, body = "200 OK", b'{"status":"ok"}'
                else:
                    status, body = "404 Not Found", b"not here"
                await stream.send_all(
                    f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body
                )
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return

    listeners: list[trio.SocketListener] = await nursery.start(
        partial(trio.serve_tcp, answer, 0, host="127.0.0.1")
    )
    host, port = listeners[0].socket.getsockname()[:2]
    return f"http://{host}:{port}"


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.json"
    path.write_text('{"text": "hello"}')
    return path


async def test_open_loop_over_capacity_counts_the_wait(
    nursery: trio.Nursery, tmp_path: Path, data_file: Path
) -> None:
    """20/s offered to a 10/s server: a closed loop would report ~100 ms; the honest answer is
    a queue that grows every second, and latencies measured from the scheduled time show it."""
    url = await one_slot_server(nursery)
    argv = [url, "--template", "fake", "--data", str(data_file), "--rate", "20"]
    report = await run_harness([*argv, "--duration", "2", "--seed", "7"], tmp_path / "over.json")
    assert_consistent(report)
    assert report["errors"] == 0
    assert report["sent"] == arrivals(seed=7, rate=20, duration_s=2)
    # One POST at a time: the last answer comes no sooner than sent x 100 ms after the start,
    # for a request scheduled within the 2 s window. A slower machine only adds to that.
    floor_ms = (report["sent"] * SERVICE_S - 2) * 1000
    assert floor_ms > 5 * SERVICE_MS  # the seed gives a real queue (50 arrivals: 3 s)
    assert report["latency_ms"]["max"] >= floor_ms - HDR_SLACK_MS
    assert report["latency_ms"]["p99"] > 5 * SERVICE_MS
    # The queue grows: answers in the first second waited under 1 s (they began after the
    # start), those in the last one waited for the whole backlog (ideally 0.3 s against 3 s).
    p50s = [row["p50"] for row in report["timeline"] if row["p50"] is not None]
    assert len(p50s) >= 3
    assert p50s[-1] > 2 * p50s[0]
    assert report["probe"]["latency_ms"]["count"] > 0
    # No /metrics or /readyz here: those figures are simply absent.
    assert report["server"]["metrics"] is None
    assert report["server"]["readyz_before"] is None


async def test_open_loop_under_capacity_sees_the_service_time(
    nursery: trio.Nursery, tmp_path: Path, data_file: Path
) -> None:
    url = await one_slot_server(nursery)
    argv = [url, "--template", "fake", "--data", str(data_file), "--rate", "5", "--duration", "2"]
    # Poisson arrivals bunch up at random; seed 1 gives a typical 2 s (seed 7, say, happens to
    # put 12 arrivals in the first second, and a real queue forms, as it should).
    report = await run_harness([*argv, "--seed", "1", "--no-probe"], tmp_path / "under.json")
    assert_consistent(report)
    assert report["probe"] is None
    # No answer can come sooner than the service time; ideally p50 is ~100-130 ms. Five times
    # that still fails a harness that counts from the run's start or adds the arrival gaps.
    assert SERVICE_MS - HDR_SLACK_MS <= report["latency_ms"]["p50"] <= 5 * SERVICE_MS


async def test_request_budget_bounds_both_loops(
    nursery: trio.Nursery, tmp_path: Path, data_file: Path
) -> None:
    url = await one_slot_server(nursery, service_s=0.01)
    common = [url, "--template", "fake", "--data", str(data_file), "--requests", "6"]
    closed = await run_harness([*common, "-c", "3", "--unique"], tmp_path / "c.json")
    assert closed["sent"] == closed["ok"] == 6
    opened = await run_harness([*common, "--rate", "50"], tmp_path / "o.json")
    assert opened["sent"] == opened["ok"] == 6


KEY = "trk_0123456789abcdef_" + "k" * 43


@pytest.mark.parametrize("given", ["--key", "TEXRENDER_KEY"])
async def test_the_key_goes_with_every_request_and_never_into_the_report(
    given: str,
    nursery: trio.Nursery,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a key (``--key``, or ``TEXRENDER_KEY``), every request of the load and the sample's
    fetch carries ``Authorization: Bearer <key>``; the health probe (an open route) does not
    need it. The report names the key by its public id and holds no secret."""
    seen: list[tuple[str, str]] = []
    url = await one_slot_server(nursery, service_s=0.01, seen=seen)
    argv = [url, "--template", "fake", "--data", str(tmp_path / "d.json"), "-n", "4", "-c", "2"]
    (tmp_path / "d.json").write_text('{"text": "hello"}')
    if given == "--key":
        argv += ["--key", KEY]
    else:
        monkeypatch.setenv("TEXRENDER_KEY", KEY)
    out = tmp_path / "keyed.json"
    report = await run_harness([*argv, "--no-probe"], out)
    assert report["ok"] == 4
    posts = [auth for target, auth in seen if target.startswith("/v1/render/")]
    assert posts == [f"Bearer {KEY}"] * 4
    assert report["settings"]["key"] == "trk_0123456789abcdef_…"
    assert "k" * 43 not in out.read_text()


def test_without_a_key_the_report_says_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEXRENDER_KEY", raising=False)
    config = cli.parse_args(["http://127.0.0.1:8000"]).config
    assert config.key is None
    assert config.as_dict()["key"] is None
    monkeypatch.setenv("TEXRENDER_KEY", "")  # set but empty: no key
    assert cli.parse_args(["http://127.0.0.1:8000"]).config.key is None


def test_a_malformed_key_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["http://127.0.0.1:1", "--key", "two words", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--key" in err
    assert "two words" not in err  # not even a malformed secret is echoed


def find_max_argv(url: str, data_file: Path, rate: float) -> list[str]:
    """One-second steps, 5x apart, against an SLO of 10 service times; a budget far beyond
    what the steps take, so a slow machine cannot end the search early."""
    return [
        url, "--template", "fake", "--data", str(data_file), "--find-max", "--rate", str(rate),
        "--step-factor", "5", "--step-duration", "1s", "--max-steps", "3", "--duration", "60s",
        "--slo-p99", str(10 * SERVICE_MS), "--seed", "1", "--no-probe",
    ]  # fmt: skip


async def test_find_max_stops_when_the_objective_is_missed(
    nursery: trio.Nursery, tmp_path: Path, data_file: Path
) -> None:
    """4/s (4 arrivals) is easy for a 10/s server. 20/s for 1 s (22 arrivals, 2.2 s of work)
    cannot be met: the last answer waits at least 1.2 s, over the 1 s SLO, however fast the
    machine."""
    url = await one_slot_server(nursery)
    report = await run_harness(find_max_argv(url, data_file, 4), tmp_path / "max.json")
    search = report["find_max"]
    assert [(step["rate"], step["passed"]) for step in search["steps"]] == [(4, True), (20, False)]
    assert search["max_sustainable_rate"] == 4
    assert "objective missed at 20.00/s" in search["stopped_because"]
    assert report["settings"]["rate"] == 4  # the report is the best step's
    assert_consistent(report)


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback port that refuses connections: bound (so nobody else takes it), not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        host, port = sock.getsockname()
        yield f"http://{host}:{port}"


@pytest.mark.parametrize("server", ["too slow", "refusing connections"])
async def test_find_max_fails_when_the_first_step_misses(
    server: str,
    nursery: trio.Nursery,
    tmp_path: Path,
    data_file: Path,
    refused_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No sustainable rate at all is a failure (exit 1, and why), not a search that passed."""
    url = await one_slot_server(nursery) if server == "too slow" else refused_url
    report = await run_harness(find_max_argv(url, data_file, 20), tmp_path / "m.json", exit_code=1)
    search = report["find_max"]
    assert search["max_sustainable_rate"] is None
    assert [(step["rate"], step["passed"]) for step in search["steps"]] == [(20, False)]
    assert report["sent"] == arrivals(seed=1, rate=20, duration_s=1)
    err = capsys.readouterr().err
    assert "no sustainable rate" in err
    assert "first step (20/s)" in err
    if server == "refusing connections":
        assert report["ok"] == 0
        assert set(report["status_counts"]) == {"connect-error"}
        assert "no successful answer" in err
    else:
        assert report["errors"] == 0
        assert search["steps"][0]["p99_ms"] > 10 * SERVICE_MS


def test_find_max_budget_shorter_than_a_step_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["http://127.0.0.1:1", "--find-max", "--duration", "500ms", "--quiet"]
    assert cli.main(argv) == 2
    assert "leaves no time for a step" in capsys.readouterr().err


# --- the command line -----------------------------------------------------------------------


def test_remote_target_exits_2_before_any_connection(capsys: pytest.CaptureFixture[str]) -> None:
    # 192.0.2.1 is TEST-NET-1: the guard runs before anything is sent, so it is never contacted.
    assert cli.main(["http://192.0.2.1:8000", "--duration", "1", "--quiet"]) == 2
    assert "not loopback" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["http://127.0.0.1:1", "--rate", "0"],
        ["http://127.0.0.1:1", "--rate", "5", "--concurrency", "2"],
        ["http://127.0.0.1:1", "--mix", "echo=1", "--data", "x.json"],
        ["http://127.0.0.1:1", "--probe-interval", "soon"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_defaults() -> None:
    options = cli.parse_args(["http://127.0.0.1:8000/"])
    config = options.config
    assert config.url == "http://127.0.0.1:8000"
    assert (config.mode, config.concurrency, config.duration_s) == ("closed", 1, 10.0)
    assert config.mix == {"resume-classic": 1.0}
    assert (config.probe_path, config.probe_interval_s) == ("/healthz", 0.05)
    only_requests = cli.parse_args(["http://127.0.0.1:8000", "-n", "5", "--no-probe"]).config
    assert (only_requests.duration_s, only_requests.requests) == (None, 5)
    assert only_requests.probe_path is None
