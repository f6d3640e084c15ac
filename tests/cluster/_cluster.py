"""The cluster under test: three ``texrender serve`` processes on fixed loopback ports (a
restart takes the same one, as a service manager's would), each with its own data folder, all
on one Redis (``--cache-url``) and one PostgreSQL database (``--database-url``), with auth on
and a drain delay that outlasts HAProxy's checks; HAProxy in front, from the example
configuration."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from loadtest.drive import free_port
from tests.conftest import TEST_TEMPLATES_DIR, RunningServer, server_process
from tests.haproxy_server import HAProxy
from tests.server.conftest import TEXRENDER

# HAProxy's example checks: inter 1s x fall 2, + 1 s of margin (as its comments say).
DRAIN_DELAY_S = 3
GUARD_S = 60.0  # how long the cluster waits for something before the test fails


def cli(database_url: str, *args: str) -> str:
    """``texrender --database-url URL ARGS``, as an operator runs it: its standard output."""
    done = subprocess.run(
        [TEXRENDER, "--database-url", database_url, *args],
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def make_key(database_url: str, name: str) -> str:
    """A new key named ``name`` for the owner ``name``, made once on the shared database."""
    printed = [w for w in cli(database_url, "keys", "create", name).split() if w.startswith("trk_")]
    assert len(printed) == 1, "texrender keys create printed no key"
    return printed[0]


@dataclass
class Instance:
    """One ``texrender serve`` on ``port``; started, stopped and started again."""

    name: str  # as HAProxy's configuration names it: texrender1, ...
    port: int
    argv: list[str]
    running: RunningServer | None = None
    lines: list[str] = field(default_factory=list)  # every run's log, in order
    _context: contextlib.AbstractContextManager[RunningServer] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start it and wait until ``/readyz`` is 200 (formats built, database answering)."""
        self._context = server_process(self.argv, env={**os.environ})
        self.running = self._context.__enter__()
        deadline = time.monotonic() + GUARD_S
        while httpx.get(f"{self.url}/readyz", timeout=GUARD_S).status_code != 200:
            assert time.monotonic() < deadline, f"{self.name} never became ready"
            time.sleep(0.05)

    def signal(self, signum: signal.Signals) -> None:
        assert self.running is not None
        self.running.process.send_signal(signum)

    def wait(self) -> int:
        """Its exit code once it has stopped; its log kept."""
        assert self.running is not None
        assert self._context is not None
        code = self.running.process.wait(timeout=GUARD_S)
        self._context.__exit__(None, None, None)
        self.lines.extend(self.running.lines)
        self.running = self._context = None
        return code

    def stop(self) -> None:
        if self.running is not None:
            self.signal(signal.SIGKILL)
            self.wait()

    def events(self) -> list[str]:
        """The ``event`` of each JSON log line, every run so far and the current one."""
        lines = [*self.lines, *(self.running.lines if self.running else [])]
        found = []
        for line in lines:
            with contextlib.suppress(ValueError, AttributeError):
                found.append(str(json.loads(line)["event"]))
        return found


@dataclass
class Cluster:
    instances: list[Instance]
    proxy: HAProxy
    database_url: str
    keys: dict[str, str]  # name (= owner) -> key


def instances(database_url: str, cache_url: str, count: int = 3) -> list[Instance]:
    """``count`` instances, not started: free ports, a data folder each (made here, for the
    files a server keeps besides the store: none of them shared)."""
    made = []
    for number in range(1, count + 1):
        port = free_port()
        data = tempfile.mkdtemp(prefix=f"texrender-cluster-{number}-")
        argv = [TEXRENDER, "--templates", str(TEST_TEMPLATES_DIR), "--data-dir", data]
        argv += ["--database-url", database_url, "--cache-url", cache_url, "--auth", "on"]
        argv += ["--slots", "1", "--log-format", "json", "serve", "--bind", f"127.0.0.1:{port}"]
        argv += ["--drain-delay", str(DRAIN_DELAY_S), "--graceful-timeout", "30"]
        made.append(Instance(f"texrender{number}", port, argv))
    return made


def data_folder(instance: Instance) -> Path:
    return Path(instance.argv[instance.argv.index("--data-dir") + 1])
