"""``texrender serve`` as a user runs it: a real process, one or several workers, real signals;
in-flight renders finished on SIGTERM, and what a SIGKILL left behind cleaned up."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import children_of, job_dirs, pdf_text
from tests.server.conftest import running_server

pytestmark = pytest.mark.tex


@pytest.fixture
def server_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    with running_server(env={"TEXRENDER_GRACEFUL_TIMEOUT_S": "20"}) as server:
        yield server.process, server.url


def test_serve_finishes_in_flight_renders_on_sigterm(
    server_process: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = server_process
    assert httpx.get(f"{url}/healthz").status_code == 200
    outcome: dict[str, httpx.Response] = {}

    def slow_render() -> None:
        body = {"text": "finished during shutdown", "count": 3_000_000}
        outcome["response"] = httpx.post(f"{url}/v1/render/slow", json=body, timeout=30)

    renderer = threading.Thread(target=slow_render)
    renderer.start()
    deadline = time.monotonic() + 10
    while httpx.get(f"{url}/readyz").json()["renders_in_flight"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    renderer.join(timeout=30)
    assert process.wait(timeout=30) == 0
    response = outcome["response"]
    assert response.status_code == 200
    assert "finished during shutdown" in pdf_text(response.content)


def worker_processes(parent: int) -> list[int]:
    """PIDs of the server processes Hypercorn spawned under ``parent``."""
    return [pid for pid, _, cmdline in children_of(parent) if b"spawn_main" in cmdline]


def test_serve_with_two_workers() -> None:
    with running_server("--slots", "2", "serve", "--workers", "2") as server:
        assert len(worker_processes(server.process.pid)) == 2
        for n in range(4):
            body = {"text": f"worker {n}"}
            response = httpx.post(f"{server.url}/v1/render/echo", json=body, timeout=30)
            assert response.status_code == 200
            assert f"worker {n}" in pdf_text(response.content)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0


def test_a_killed_server_leaves_no_data_behind_after_a_restart(tmp_path: Path) -> None:
    """SIGKILL cannot be cleaned up after; the next start removes what it left (the work
    directory holds the client's data in doc.tex)."""
    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o755)
    env = {"TEXRENDER_WORK_DIR": str(work), "TEXRENDER_LOG_FORMAT": "text"}
    with running_server(env=env) as first:

        def send() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server is killed mid-answer
                body = {"text": "secret", "count": 3_000_000}
                httpx.post(f"{first.url}/v1/render/slow", json=body, timeout=30)

        threading.Thread(target=send, daemon=True).start()
        deadline = time.monotonic() + 20
        while not job_dirs(work):
            assert time.monotonic() < deadline, "no render started"
            time.sleep(0.02)
        first.process.kill()
        first.process.wait()
    left = [p for p in work.iterdir() if p.name.startswith("texrender-")]
    assert left, "SIGKILL left nothing to clean: the test proves nothing"
    for pid in tex_processes_in(work):  # TeX itself outlives its server (own session)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with running_server(env=env) as second:
        assert not any(p.exists() for p in left)
        lines = list(second.lines)
    assert any("left by a server process that stopped" in line for line in lines)


def tex_processes_in(directory: Path) -> list[int]:
    """PIDs of processes whose working directory is inside ``directory``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if Path(os.readlink(entry / "cwd")).is_relative_to(directory):
                    found.append(int(entry.name))
    return found


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_under_keep_alive_load_drains_and_exits_when_done(workers: int) -> None:
    """16 clients on keep-alive connections: after SIGTERM every request that was sent on an
    open connection is answered (a refused new connection is fine: the listener is closed),
    and the process exits once the work is done, not at the end of a 30 s grace period; with
    one process or several."""
    dropped: list[str] = []
    statuses: list[int] = []
    answered_after: list[int] = []
    signalled = threading.Event()

    def client(url: str, n: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            for i in range(10_000):
                try:
                    response = http.post("/v1/render/echo", json={"text": f"c{n} r{i}"})
                except httpx.ConnectError:
                    return  # the listener is closed: a client goes elsewhere
                except httpx.HTTPError as exc:
                    dropped.append(type(exc).__name__)
                    return
                statuses.append(response.status_code)
                if signalled.is_set():
                    answered_after.append(n)

    env = {"TEXRENDER_GRACEFUL_TIMEOUT_S": "30"}
    with running_server("serve", "--workers", str(workers), env=env) as server:
        assert len(worker_processes(server.process.pid)) == (workers if workers > 1 else 0)
        clients = [
            threading.Thread(target=client, args=(server.url, n), daemon=True) for n in range(16)
        ]
        for thread in clients:
            thread.start()
        time.sleep(2)
        server.process.send_signal(signal.SIGTERM)
        signalled.set()
        started = time.monotonic()
        code = server.process.wait(timeout=60)
        took = time.monotonic() - started
        for thread in clients:
            thread.join(timeout=30)
    assert code == 0
    assert dropped == []
    assert set(statuses) == {200}
    assert answered_after, "requests in flight at the signal were finished"
    assert took < 15, f"waited out the grace period ({took:.1f} s)"
