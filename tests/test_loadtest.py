"""The load-test harness: against a real texrender, against a tiny one-slot server whose answers
are known in advance (to prove the open loop measures from the scheduled time), and its pure
parts (guard, parsing, bodies, compare) as tables.

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

import httpx
import pytest
import trio
import trio.testing
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from loadtest import cli
from loadtest.bench import refusal_cpu_ms, render_cpu_ms, tex_counters
from loadtest.drive import (
    TemplateBody,
    closed_loop,
    is_loopback_address,
    refuse_remote,
    unique_path,
)
from loadtest.record import Recorder, histogram_summary, metrics_figures, parse_prometheus
from loadtest.report import plot_timeline
from loadtest.units import parse_duration, parse_mix

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


# --- against a real texrender -------------------------------------------------------------


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


async def one_slot_server(nursery: trio.Nursery, service_s: float = SERVICE_S) -> str:
    """A minimal HTTP/1.1 server: every POST waits its turn for one slot and takes
    ``service_s``; GET /healthz answers at once; anything else is a 404."""
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
                headers = dict(line.lower().split(":", 1) for line in header_lines)
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        return
                    buffer += chunk
                buffer = buffer[length:]
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


def red_pixels(png: Path) -> int:
    """Pixels of the colour the error bars are drawn in (matplotlib's ``tab:red``)."""
    image = pytest.importorskip("matplotlib.image").imread(png)
    red = (0xD6 / 255, 0x27 / 255, 0x28 / 255)
    close = (abs(image[..., :3] - red) < 0.02).all(axis=-1)
    return int(close.sum())


def test_plot_draws_the_timeline(tmp_path: Path) -> None:
    """A PNG of the figure's size, whose error bars show when (and only when) there were
    errors; the legend's red patch is there either way, so compare the two."""
    pytest.importorskip("matplotlib")
    drawn = {}
    for errors in (0, 3):
        rows = [
            {"second": s, "sent": 5, "ok": 4, "errors": errors, "p50": 10.0 * s,
             "p99": 30.0 * s, "probe_p99": None if s == 1 else 1.5}
            for s in range(4)
        ]  # fmt: skip
        result = {"settings": {"url": "http://x", "mode": "open", "rate": 5}, "timeline": rows}
        path = tmp_path / f"errors-{errors}.png"
        plot_timeline(result, path)
        head = path.read_bytes()[:24]
        assert head.startswith(b"\x89PNG")
        assert (int.from_bytes(head[16:20]), int.from_bytes(head[20:24])) == (1000, 800)
        drawn[errors] = red_pixels(path)
    assert drawn[3] > drawn[0] + 10_000


# --- the loopback guard -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.4.5.6", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("192.0.2.1", False),
        ("fe80::1%eth0", False),
        ("not-an-address", False),
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback_address(address) is loopback


@pytest.mark.parametrize(
    "url", ["http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]:8000/"]
)
async def test_guard_accepts_loopback(url: str) -> None:
    assert await refuse_remote(url) is None


async def test_guard_refuses_remote_unless_allowed() -> None:
    reason = await refuse_remote("http://192.0.2.1:8000")
    assert reason is not None
    assert "192.0.2.1" in reason
    assert "--allow-remote" in reason
    assert await refuse_remote("http://192.0.2.1:8000", allow_remote=True) is None
    assert await refuse_remote("ftp://127.0.0.1/") is not None


def test_remote_target_exits_2_before_any_connection(capsys: pytest.CaptureFixture[str]) -> None:
    # 192.0.2.1 is TEST-NET-1: the guard runs before anything is sent, so it is never contacted.
    assert cli.main(["http://192.0.2.1:8000", "--duration", "1", "--quiet"]) == 2
    assert "not loopback" in capsys.readouterr().err


# --- command line and parsing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("50ms", 0.05),
        ("0.05", 0.05),
        ("1s", 1.0),
        ("2m", 120.0),
        (" 1.5 s", 1.5),
        ("250us", 2.5e-4),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "0", "-1s", "fast", "5 days", "1e3"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_parse_mix() -> None:
    assert parse_mix("echo=3,resume-classic=1") == {"echo": 3.0, "resume-classic": 1.0}
    assert parse_mix("echo") == {"echo": 1.0}
    for bad in ["echo=0", "echo=x", "=2", "echo,echo"]:
        with pytest.raises(ValueError, match=r"\w"):
            parse_mix(bad)


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


# --- bodies -------------------------------------------------------------------------------


def test_unique_bodies_change_a_visible_string() -> None:
    resume = {
        "$schema": "https://example.org/schema.json",
        "basics": {"name": "Zoë", "email": "z@example.org", "summary": "Builds things."},
    }
    assert unique_path(resume) == ("basics", "summary")
    assert unique_path({"$schema": "x", "meta": {"url": "u"}, "text": "hi"}) == ("text",)
    assert unique_path({"n": [1, {"deep": "first"}]}) == ("n", 1, "deep")
    assert unique_path({"n": 1}) is None
    body = TemplateBody.build("resume", resume, unique=True)
    first, second = json.loads(body.numbered(1)), json.loads(body.numbered(2))
    assert first["basics"]["summary"] == "Builds things. #1"
    assert second["basics"]["summary"] == "Builds things. #2"
    assert first["basics"]["name"] == "Zoë"
    assert first["$schema"] == resume["$schema"]
    same = TemplateBody.build("resume", resume, unique=False)
    assert same.numbered(1) == same.numbered(2)
    assert json.loads(same.numbered(1)) == resume


def test_recorder_files_outcomes_by_second() -> None:
    recorder = Recorder(start=100.0)
    recorder.on_sent(100.1, 100.0)
    recorder.on_sent(100.2, 100.2)
    recorder.on_done(100.6, 0.6, "200", 10)
    recorder.on_done(101.5, 1.3, "timeout")
    recorder.on_probe(101.1, 0.004, "200")
    rows = recorder.timeline()
    assert [(r["sent"], r["ok"], r["errors"]) for r in rows] == [(2, 1, 0), (0, 0, 1)]
    assert rows[0]["p50"] == 600.0
    assert rows[1]["probe_p99"] == 4.0
    assert recorder.max_dispatch_lag_s == pytest.approx(0.1)
    assert recorder.status_counts == {"200": 1, "timeout": 1}


# --- the server's figures (Prometheus text, as prometheus_client writes it) -----------------


def exposition(renders: int, waits: list[float], cpu_s: float, runs: dict[str, int]) -> str:
    """What texrender's /metrics would say, written by prometheus_client itself (so ``_total``,
    ``_bucket``, ``_created`` are exactly what a real server sends)."""
    registry = CollectorRegistry()
    outcome = 'ok "quoted"\\'  # a label value the exposition has to escape
    Counter("texrender_renders", "", ["outcome"], registry=registry).labels(outcome).inc(renders)
    wait = Histogram("texrender_queue_wait_seconds", "", registry=registry)
    for seconds in waits:
        wait.observe(seconds)
    duration = Histogram("texrender_render_duration_seconds", "", ["template"], registry=registry)
    for template, count in runs.items():
        for _ in range(count):
            duration.labels(template).observe(0.2)
    Counter("texrender_process_cpu_seconds", "", registry=registry).inc(cpu_s)
    Gauge("texrender_queue_depth", "", registry=registry).set(len(waits))
    Counter("python_gc_collections", "", registry=registry).inc()  # not texrender's: dropped
    return generate_latest(registry).decode()


def test_parse_prometheus_keeps_samples_as_exposed() -> None:
    text = exposition(renders=3, waits=[0.5], cpu_s=1.5, runs={"echo": 2})
    samples = parse_prometheus(text)
    renders = [key for key in samples if key[0] == "texrender_renders_total"]
    assert len(renders) == 1
    # The key is the series as the exposition writes it, escapes and all.
    assert "".join(renders[0]) + " 3.0" in text.splitlines()
    assert samples[renders[0]] == 3
    assert samples[("texrender_queue_wait_seconds_count", "")] == 1
    assert samples[("texrender_queue_wait_seconds_sum", "")] == 0.5
    assert samples[("texrender_process_cpu_seconds_total", "")] == 1.5
    names = {name for name, _ in samples}
    assert "_bucket" in text
    assert "_created" in text
    assert not any(name.endswith(("_bucket", "_created")) for name in names)
    assert not any(name.startswith("python_") for name in names)


def test_parse_prometheus_refuses_what_is_not_an_exposition() -> None:
    with pytest.raises(ValueError, match="metric name"):
        parse_prometheus("<html>not found</html>")


def test_metrics_figures_over_a_run() -> None:
    before = parse_prometheus(exposition(renders=3, waits=[0.5], cpu_s=1.0, runs={}))
    after = parse_prometheus(
        exposition(renders=7, waits=[0.5, 0.1, 0.3], cpu_s=3.5, runs={"echo": 2})
    )
    figures = metrics_figures(before, after)
    deltas = figures["deltas"]
    assert [v for k, v in deltas.items() if k.startswith("texrender_renders_total{")] == [4]
    assert deltas["texrender_process_cpu_seconds_total"] == 2.5
    assert deltas["texrender_queue_wait_seconds_count"] == 2
    assert figures["means"]["texrender_queue_wait_seconds"] == pytest.approx(0.2)
    assert figures["means"]['texrender_render_duration_seconds{template="echo"}'] == (
        pytest.approx(0.2)
    )
    assert figures["gauges"] == {"texrender_queue_depth": 3}


def test_bench_counts_tex_runs_over_templates() -> None:
    text = exposition(renders=0, waits=[], cpu_s=2.25, runs={"echo": 2, "resume-classic": 3})
    assert tex_counters(parse_prometheus(text)) == {"cpu_s": 2.25, "tex_runs": 5}
    assert tex_counters({})["tex_runs"] == 0


# --- compare ------------------------------------------------------------------------------


def report(throughput: float, p50: float, errors: float, probe_p99: float) -> dict[str, Any]:
    latency = {"p50": p50, "p90": p50 * 2, "p99": p50 * 3, "p99.9": p50 * 4, "max": p50 * 5}
    return {
        "throughput_ok_per_s": throughput,
        "latency_ms": {**latency, "mean": p50, "count": 100},
        "error_rate": errors,
        "probe": {"latency_ms": {"p99": probe_p99}},
    }


def test_compare_prints_ratios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(report(10.0, 100.0, 0.0, 2.0)))
    b.write_text(json.dumps(report(20.0, 50.0, 0.01, 8.0)))
    assert cli.main(["compare", str(a), str(b)]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = {line.split("│")[1].strip(): line for line in lines if line.count("│") >= 4}
    assert "2.00x" in row["throughput (ok/s)"]
    assert "0.50x" in row["latency p99 (ms)"]
    assert "4.00x" in row["probe p99 (ms)"]
    assert "∞" in row["error rate (%)"]


def test_compare_refuses_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    a.write_text("[]")
    assert cli.main(["compare", str(a), str(a)]) == 2


# --- Retry-After and the ramp (the driver alone, on the mock clock) -------------------------


def refusing_client(sent_at: list[float], retry_after: str = "2") -> httpx.AsyncClient:
    """A client whose every POST is answered at once with a 429 asking for ``retry_after``."""

    def answer(request: httpx.Request) -> httpx.Response:
        sent_at.append(trio.current_time())
        return httpx.Response(429, headers={"retry-after": retry_after})

    return httpx.AsyncClient(base_url="http://127.0.0.1", transport=httpx.MockTransport(answer))


async def closed_run(client: httpx.AsyncClient, **options: Any) -> Recorder:
    recorder = Recorder(trio.current_time())
    await closed_loop(
        client,
        lambda: ("/v1/render/echo", b"{}"),
        recorder,
        stop_at=recorder.start + 5.0,
        requests=options.pop("requests", None),
        drain_s=1.0,
        timeout_s=1.0,
        **options,
    )
    return recorder


async def test_a_polite_client_waits_as_retry_after_asks(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sent_at: list[float] = []
    async with refusing_client(sent_at) as client:
        recorder = await closed_run(client, concurrency=1)
    assert sent_at == pytest.approx([0.0, 2.0, 4.0])
    assert (recorder.backoffs, recorder.backoff_s) == (3, 6.0)
    assert recorder.status_counts == {"429": 3}


async def test_a_hostile_client_asks_again_at_once(autojump_clock: trio.testing.MockClock) -> None:
    sent_at: list[float] = []
    async with refusing_client(sent_at) as client:
        recorder = await closed_run(client, concurrency=1, honor_retry_after=False, requests=50)
    assert len(sent_at) == 50
    assert max(sent_at) == pytest.approx(0.0)
    assert recorder.backoffs == 0


async def test_a_retry_after_that_is_not_seconds_is_not_waited_for(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sent_at: list[float] = []
    async with refusing_client(sent_at, "Wed, 21 Oct 2026 07:28:00 GMT") as client:
        await closed_run(client, concurrency=1, requests=5)
    assert len(sent_at) == 5


async def test_the_ramp_spreads_the_first_requests(autojump_clock: trio.testing.MockClock) -> None:
    sent_at: list[float] = []
    async with refusing_client(sent_at, "10") as client:
        await closed_run(client, concurrency=4, ramp_s=2.0)
    assert sorted(sent_at) == pytest.approx([0.0, 0.5, 1.0, 1.5])


def test_the_latency_of_each_status_is_kept_apart() -> None:
    recorder = Recorder(0.0)
    for status, seconds in [("200", 1.0), ("429", 0.004), ("429", 0.006), ("timeout", 9.0)]:
        recorder.on_sent(0.0, 0.0)
        recorder.on_done(seconds, seconds, status)
    by_status = {s: histogram_summary(h) for s, h in recorder.status_histograms.items()}
    assert by_status["429"]["count"] == 2
    assert by_status["429"]["max"] == pytest.approx(6.0, abs=0.01)
    assert by_status["200"]["count"] == by_status["timeout"]["count"] == 1


def test_the_cost_of_a_refusal_is_what_is_left_after_the_renders_and_probes() -> None:
    run = {
        "status_counts": {"200": 10, "429": 100},
        "server_cpu": {"cpu_s": 0.51, "ok": 10},
        "probe": {"latency_ms": {"count": 20}},
    }
    # (510 - 20 probes x 3 - 10 renders x 20) / 100
    assert refusal_cpu_ms(run, per_render_ms=20.0, floor_ms=3.0) == pytest.approx(2.5)
    assert render_cpu_ms(run, floor_ms=3.0) == pytest.approx(45.0)  # (510 - 60) / 10
    assert refusal_cpu_ms({**run, "status_counts": {"200": 10}}, 20.0, 3.0) is None
