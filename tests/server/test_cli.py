"""The ``texrender`` command as a user runs it: a real process, real TeX, real signals."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_TEMPLATES_DIR, children_of, pdf_text

pytestmark = pytest.mark.tex

TEXRENDER = str(Path(sys.executable).parent / "texrender")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TEXRENDER, "--templates", str(TEST_TEMPLATES_DIR), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_templates_lists_the_catalogue() -> None:
    result = run_cli("templates")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^echo\s+Echo \(test\)", result.stdout, re.MULTILINE)


def test_render_writes_a_pdf(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": "from the command line"}))
    out = tmp_path / "out.pdf"
    result = run_cli("render", "echo", str(data), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "BEGIN from the command line END" in pdf_text(out.read_bytes())


def test_render_writes_a_page_as_png(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": "as a picture"}))
    out = tmp_path / "page.png"
    result = run_cli("render", "echo", str(data), "-o", str(out), "--dpi", "30")
    assert result.returncode == 0, result.stderr
    picture = out.read_bytes()
    assert picture[:4] == b"\x89PNG"
    assert int.from_bytes(picture[16:20], "big") == 255  # US letter, 8.5 in at 30 dpi
    missing = run_cli("render", "echo", str(data), "-o", str(out), "--png", "2")
    assert missing.returncode == 1
    assert "no page 2" in missing.stderr


def test_render_reads_standard_input(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    result = subprocess.run(
        [TEXRENDER, "--templates", str(TEST_TEMPLATES_DIR), "render", "echo", "-", "-o", str(out)],
        input=json.dumps({"text": "piped"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "piped" in pdf_text(out.read_bytes())


def test_render_explains_invalid_data(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": {"a": 1}}))
    result = run_cli("render", "echo", str(data), "-o", str(tmp_path / "out.pdf"))
    assert result.returncode == 1
    assert "at /text: {'a': 1} is not of type 'string'" in result.stderr
    assert not (tmp_path / "out.pdf").exists()


def test_render_reports_what_lenient_reading_changed(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": 3}))
    lenient = run_cli("render", "echo", str(data), "-o", str(tmp_path / "out.pdf"))
    assert lenient.returncode == 0, lenient.stderr
    assert "warning: /text: a number where text is expected" in lenient.stderr
    assert "BEGIN 3 END" in pdf_text((tmp_path / "out.pdf").read_bytes())
    strict = run_cli("render", "echo", str(data), "-o", str(tmp_path / "s.pdf"), "--strict")
    assert strict.returncode == 1
    assert "at /text: 3 is not of type 'string'" in strict.stderr
    assert "warning" not in strict.stderr


def test_render_explains_a_tex_error(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": "x"}))
    result = run_cli("render", "read-file", str(data), "-o", str(tmp_path / "out.pdf"))
    assert result.returncode == 1
    assert "could not be typeset" in result.stderr
    assert "/etc/hostname" in result.stderr


def test_unknown_template_and_unreadable_data(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("{}")
    missing = run_cli("render", "nope", str(data), "-o", str(tmp_path / "out.pdf"))
    assert missing.returncode == 1
    assert "no template named 'nope'" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    unreadable = run_cli("render", "echo", str(broken), "-o", str(tmp_path / "out.pdf"))
    assert unreadable.returncode == 1
    assert "cannot read" in unreadable.stderr


def test_bad_setting_is_named() -> None:
    result = run_cli("templates", env={"TEXRENDER_RENDER_SLOTS": "many"})
    assert result.returncode == 2
    assert "TEXRENDER_RENDER_SLOTS" in result.stderr


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    url: str
    lines: list[str]  # stderr up to "Running on", then everything read after


@contextlib.contextmanager
def running_server(*options: str, env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    """``texrender [options...] serve --bind 127.0.0.1:0`` as a real process; its stderr is
    read on (so it never blocks on a full pipe), and it is killed if still running at the end.
    Options before ``serve`` are global; pass serve options after a literal ``"serve"``."""
    before, after = list(options), []
    if "serve" in before:
        index = before.index("serve")
        before, after = before[:index], before[index + 1 :]
    data = tempfile.mkdtemp(prefix="texrender-test-data-")
    argv = [TEXRENDER, "--templates", str(TEST_TEMPLATES_DIR), "--data-dir", data, "--auth", "off"]
    argv += [*before, "serve", "--bind", "127.0.0.1:0", *after]
    process = subprocess.Popen(
        argv, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )
    assert process.stderr is not None
    lines: list[str] = []
    url = ""
    for line in process.stderr:
        lines.append(line)
        match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
        if match:
            url = match.group(1)
            break
    assert url, "server did not start: " + "".join(lines)
    drain = threading.Thread(target=lambda: lines.extend(process.stderr or ()), daemon=True)
    drain.start()
    try:
        yield RunningServer(process, url, lines)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        drain.join(timeout=5)
        process.stderr.close()
        shutil.rmtree(data, ignore_errors=True)


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
    with running_server("--slots", "1", "serve", "--workers", "2") as server:
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
        while not list(work.iterdir()):
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
