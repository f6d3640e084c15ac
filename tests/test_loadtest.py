"""The load-test harness: against a real texrender, against a tiny one-slot server whose answers
are known in advance (to prove the open loop measures from the scheduled time), and its pure
parts (guard, parsing, bodies, compare) as tables."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trio

from loadtest import cli
from loadtest.guard import is_loopback_address, refuse_remote
from loadtest.plot import plot_timeline
from loadtest.recorder import Recorder
from loadtest.units import parse_duration, parse_mix
from loadtest.workload import TemplateBody, unique_path

SERVICE_S = 0.1


async def run_harness(argv: list[str], out: Path) -> dict[str, Any]:
    """Run the command line in this Trio run (quietly) and return its JSON report."""
    code = await cli.run(cli.parse_args([*argv, "--quiet", "--json", str(out)]))
    assert code == 0
    report: dict[str, Any] = json.loads(out.read_text())
    return report


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


@pytest.mark.tex
async def test_open_loop_against_texrender(base_url: str, tmp_path: Path) -> None:
    report = await run_harness(
        [base_url, "--template", "echo", "--rate", "4", "--duration", "2", "--seed", "3"],
        tmp_path / "open.json",
    )
    assert report["settings"]["mode"] == "open"
    assert report["settings"]["rate"] == 4
    assert_consistent(report)
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
    assert report["latency_ms"]["p99"] > 5 * SERVICE_S * 1000
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
    assert SERVICE_S * 1000 * 0.95 <= report["latency_ms"]["p50"] <= SERVICE_S * 1000 * 2


async def test_request_budget_bounds_both_loops(
    nursery: trio.Nursery, tmp_path: Path, data_file: Path
) -> None:
    url = await one_slot_server(nursery, service_s=0.01)
    common = [url, "--template", "fake", "--data", str(data_file), "--requests", "6"]
    closed = await run_harness([*common, "-c", "3", "--unique"], tmp_path / "c.json")
    assert closed["sent"] == closed["ok"] == 6
    opened = await run_harness([*common, "--rate", "50"], tmp_path / "o.json")
    assert opened["sent"] == opened["ok"] == 6


async def test_find_max_stops_when_the_objective_is_missed(
    nursery: trio.Nursery, tmp_path: Path, data_file: Path
) -> None:
    url = await one_slot_server(nursery)
    argv = [url, "--template", "fake", "--data", str(data_file), "--find-max", "--rate", "5"]
    steps_argv = ["--step-factor", "3", "--step-duration", "1s", "--max-steps", "3"]
    report = await run_harness(
        [*argv, *steps_argv, "--slo-p99", "400", "--seed", "1", "--no-probe"],
        tmp_path / "max.json",
    )
    search = report["find_max"]
    steps = search["steps"]
    assert [step["rate"] for step in steps] == [5, 15, 45][: len(steps)]
    # Every step passed but the last (45/s can never be met by a 10/s server).
    assert [step["passed"] for step in steps] == [True] * (len(steps) - 1) + [False]
    best = steps[-2]["rate"] if len(steps) > 1 else None
    assert search["max_sustainable_rate"] == best
    assert "objective missed" in search["stopped_because"]
    assert_consistent(report)


def test_plot_draws_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    rows = [
        {"second": s, "sent": 5, "ok": 4, "errors": 1, "p50": 10.0 * s, "p99": 30.0 * s,
         "probe_p99": None if s == 1 else 1.5}
        for s in range(4)
    ]  # fmt: skip
    result = {"settings": {"url": "http://x", "mode": "open", "rate": 5}, "timeline": rows}
    plot_timeline(result, tmp_path / "t.png")
    assert (tmp_path / "t.png").read_bytes().startswith(b"\x89PNG")


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
