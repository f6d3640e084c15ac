"""``--slots`` is the host's budget, however many ``--workers`` share it: a real server with two
workers and two slots, loaded with slow renders from more clients than it has slots, never has
more than two TeX processes alive at once. The process table is read while they run (a TeX run
is a descendant of the server's process whose command line names the engine, from the moment
its sandbox wrapper starts)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.serving.shares import share, worker_settings
from server.settings import Settings
from tests.server.conftest import run_cli, running_server

pytestmark = pytest.mark.tex

SLOTS = 2
CLIENTS = 6
RENDERS_EACH = 4
# Long enough that runs overlap whenever the slots let them (a TeX loop, not a clock).
SPINS = 400_000


def descendants(root: int) -> Iterator[tuple[int, bytes]]:
    """``(pid, command line)`` of every living process under ``root``."""
    parents: dict[int, int] = {}
    lines: dict[int, bytes] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            lines[int(entry.name)] = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    for pid, line in lines.items():
        ancestor = parents.get(pid)
        while ancestor is not None and ancestor != root:
            ancestor = parents.get(ancestor)
        if ancestor == root:
            yield pid, line


def tex_runs(root: int) -> int:
    return sum(1 for _, line in descendants(root) if b"latex" in line)


def test_two_workers_keep_the_host_within_the_slot_budget() -> None:
    statuses: list[int] = []
    peaks: list[int] = []
    done = threading.Event()
    serve = ["serve", "--workers", "2", "--queue-max", "32", "--queue-timeout", "600"]
    env = {"TEXRENDER_FORMATS_ENABLED": "false", "TEXRENDER_QUEUE_MAX_WAIT_S": "600"}
    with running_server("--slots", str(SLOTS), *serve, env=env) as server:

        def client(n: int) -> None:
            for i in range(RENDERS_EACH):
                body = {"text": f"c{n} r{i}", "count": SPINS}
                # A new connection each time, so both workers get some of them.
                answer = httpx.post(f"{server.url}/v1/render/slow", json=body, timeout=600)
                statuses.append(answer.status_code)

        def watch() -> None:
            while not done.is_set():
                peaks.append(tex_runs(server.process.pid))
                done.wait(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        clients = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        done.set()
        watcher.join()
        server.process.send_signal(signal.SIGTERM)  # a kill would leave the workers running
        assert server.process.wait(timeout=60) == 0
    assert statuses == [200] * (CLIENTS * RENDERS_EACH), statuses
    assert max(peaks) >= 1, "no TeX run was seen: the test proves nothing"
    assert max(peaks) <= SLOTS, f"{max(peaks)} TeX processes at once with {SLOTS} slots"


@pytest.mark.parametrize(("total", "workers"), [(2, 2), (5, 2), (7, 3), (32, 3), (0, 2)])
def test_shares_add_up_to_the_whole_the_first_ones_one_more(total: int, workers: int) -> None:
    parts = [share(total, workers, index) for index in range(workers)]
    assert sum(parts) == total
    assert parts == sorted(parts, reverse=True)
    assert max(parts) - min(parts) <= 1


def test_each_worker_serves_with_its_share() -> None:
    whole = Settings(workers=3, render_slots=7, queue_max=32, owner_queue_max=2, cache_bytes=300)
    parts = [worker_settings(whole, index) for index in range(3)]
    assert [p.render_slots for p in parts] == [3, 2, 2]
    assert [p.queue_max for p in parts] == [11, 11, 10]
    assert [p.owner_queue_max for p in parts] == [1, 1, 1]
    assert [p.cache_bytes for p in parts] == [100, 100, 100]


def test_more_workers_than_slots_is_refused_in_one_line() -> None:
    result = run_cli("--slots", "2", "serve", "--bind", "127.0.0.1:0", "--workers", "3")
    assert result.returncode == 1
    assert result.stderr.startswith("texrender: 3 workers need at least 3 render slots")
    assert len(result.stderr.splitlines()) == 1, result.stderr
