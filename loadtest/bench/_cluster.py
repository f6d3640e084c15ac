"""Many instances behind HAProxy (issue 21): what the proxy and two more instances change, on
this one machine, in one run.

One Redis (the shared PDF cache), one ``texrender serve`` alone (its default render slots) and
three more (``instance_slots`` each), all on it; HAProxy from the example configuration in
front of the lone one (its three server lines all pointing there) and in front of the three,
and a second HAProxy in front of the three that balances renders round robin instead of on a
hash of the body. Then, each run a closed loop of ``clients`` for ``duration_s`` (and at most
``max_requests``), made ``rounds`` times in turn with the others of its group and merged, so
that other work on the machine weighs on each alike:

- unique bodies (every render a TeX run): the lone instance directly, through HAProxy, and the
  three through HAProxy: renders/s, p50 and p99;
- ``documents`` bodies sent again and again, each run with bodies of its own (so every run
  starts cold; every instance has rendered a few bodies before the first run): the three
  through HAProxy balanced on the body and round robin, and the lone one directly. Answers
  without ``tex`` in ``Server-Timing`` were cache hits; the instances' ``/metrics`` tell which
  came from Redis, typeset by another instance (cross-instance hits), and how many TeX runs
  there were.

Loopback only: every server is started here, on free loopback ports.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import trio

from ..drive import (
    HAPROXY,
    JSON_HEADERS,
    REDIS_SERVER,
    TEXRENDER,
    HAProxy,
    TemplateBody,
    closed_loop,
    free_port,
    load_client,
    redis_server,
    refuse_remote,
    server_timing_ms,
    serving,
    wait_ready,
)
from ..record import Recorder, Series, histogram_summary, new_histogram, parse_prometheus
from ._errors import BenchError


@dataclass(frozen=True)
class ClusterPlan:
    """How the step runs; the defaults take about two and a half minutes."""

    clients: int = 6
    duration_s: float = 10.0  # a run; each run is made ``rounds`` times
    rounds: int = 2
    max_requests: int = 5000  # a run's bound besides its time
    documents: int = 30  # distinct bodies of the cache-friendly runs
    instance_slots: int = 1  # render slots of each of the three (three on this machine)
    timeout_s: float = 60.0


def missing_tools() -> str | None:
    """Why the step cannot run here, or None."""
    if HAPROXY is None:
        return "haproxy is not installed (Debian's haproxy package)"
    if REDIS_SERVER is None:
        return "redis-server is not installed (Debian's redis-server package)"
    return None


@contextmanager
def _proxy(servers: list[int], renders_balance: str | None = None) -> Iterator[HAProxy]:
    folder = Path(tempfile.mkdtemp(prefix="texrender-bench-haproxy-"))
    proxy = HAProxy(folder, servers, renders_balance=renders_balance)
    try:
        proxy.start()
        for name in ("texrender1", "texrender2", "texrender3"):
            proxy.wait_for(name, "UP")
        yield proxy
    except (RuntimeError, TimeoutError) as exc:
        raise BenchError(f"haproxy: {exc}") from None
    finally:
        proxy.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _instance(global_flags: list[str], cache_url: str, workdir: Path, *more: str) -> list[str]:
    """A ``texrender serve`` on the shared Redis, auth off, a data folder of its own."""
    data = tempfile.mkdtemp(prefix="data-", dir=workdir)
    argv = [str(TEXRENDER), *global_flags, "--auth", "off", "--data-dir", data]
    return [*argv, "--cache-url", cache_url, *more]


def _start(stack: ExitStack, argv: list[str]) -> str:
    """Start a server for the rest of the step (stopped with it); its URL once it is ready."""
    server = stack.enter_context(serving(argv, env={**os.environ}))
    url = server.wait_for_url()
    wait_ready(url)
    return url


def _warm(urls: list[str], path: str, next_body: Callable[[], bytes], renders: int = 3) -> None:
    """A few renders on each instance, not counted: its first ones load TeX's files."""
    for url in urls:
        for _ in range(renders):
            body = next_body()
            answer = httpx.post(f"{url}{path}", content=body, headers=JSON_HEADERS, timeout=60)
            if answer.status_code != 200:
                raise BenchError(f"a warm-up render on {url} answered {answer.status_code}")


def _metrics(urls: list[str]) -> dict[Series, float]:
    """The instances' ``/metrics`` summed, series by series."""
    total: dict[Series, float] = {}
    for url in urls:
        for series, value in parse_prometheus(httpx.get(f"{url}/metrics", timeout=10).text).items():
            total[series] = total.get(series, 0.0) + value
    return total


def _counter(before: dict[Series, float], after: dict[Series, float], name: str) -> int:
    return round(
        sum(v for (n, _), v in after.items() if n == name)
        - sum(v for (n, _), v in before.items() if n == name)
    )


async def _load(
    url: str, path: str, next_body: Callable[[], bytes], plan: ClusterPlan
) -> tuple[Recorder, int]:
    """One closed-loop run; the recorder, and the 200s whose ``Server-Timing`` had no ``tex``."""
    reason = await refuse_remote(url)
    if reason is not None:
        raise BenchError(reason)
    recorder = Recorder(trio.current_time())
    without_tex = 0

    async def count(response: httpx.Response) -> None:
        nonlocal without_tex
        if response.status_code == 200 and server_timing_ms(response, "tex") is None:
            without_tex += 1

    client = load_client(url, plan.clients, plan.timeout_s)
    client.event_hooks["response"].append(count)
    async with client:
        await closed_loop(
            client, lambda: (path, next_body()), recorder,
            concurrency=plan.clients, stop_at=recorder.start + plan.duration_s,
            requests=plan.max_requests, drain_s=plan.timeout_s, timeout_s=plan.timeout_s,
        )  # fmt: skip
    recorder.end = trio.current_time()
    return recorder, without_tex


@dataclass(frozen=True)
class Target:
    """Where a run sends: ``url``, served by ``instances`` (their URLs, for ``/metrics``), and
    the proxy in between, if any (each instance's share)."""

    name: str
    url: str
    instances: list[str]
    proxy: HAProxy | None = None


@dataclass
class Measured:
    """One configuration's runs, merged: the answers, and the instances' counters."""

    latency: Any = dataclasses.field(default_factory=new_histogram)  # of the successes
    ok: int = 0
    statuses: Counter[str] = dataclasses.field(default_factory=Counter)
    elapsed_s: float = 0.0
    without_tex: int = 0
    counters: Counter[str] = dataclasses.field(default_factory=Counter)
    per_server: Counter[str] = dataclasses.field(default_factory=Counter)
    rounds: list[float] = dataclasses.field(default_factory=list)  # renders/s of each run

    def add(
        self, target: Target, path: str, next_body: Callable[[], bytes], plan: ClusterPlan
    ) -> None:
        before, taken = _metrics(target.instances), _per_server(target.proxy)
        recorder, without_tex = trio.run(_load, target.url, path, next_body, plan)
        after = _metrics(target.instances)
        elapsed = recorder.elapsed(recorder.start)
        self.elapsed_s += elapsed
        self.without_tex += without_tex
        self.rounds.append(round(recorder.ok / elapsed, 3) if elapsed > 0 else 0.0)
        for name in COUNTERS:
            self.counters[name] += _counter(before, after, name)
        self.per_server.update(
            {k: v - taken.get(k, 0) for k, v in _per_server(target.proxy).items()}
        )
        self.latency.add(recorder.histogram)
        self.ok += recorder.ok
        self.statuses.update(recorder.status_counts)
        print(
            f"   {self.rounds[-1]:.2f} renders/s, {dict(recorder.status_counts)}; without TeX "
            f"{without_tex}",
            flush=True,
        )


COUNTERS = (
    "texrender_render_duration_seconds_count",
    "texrender_cache_hits_total",
    "texrender_cache_shared_hits_total",
)


def _row(name: str, target: Target, measured: Measured) -> dict[str, Any]:
    ok, elapsed = measured.ok, measured.elapsed_s
    shared = measured.counters["texrender_cache_shared_hits_total"]
    row: dict[str, Any] = {
        "run": name,
        "url": target.url,
        "instances": len(target.instances),
        "ok": ok,
        "renders_per_s": round(ok / elapsed, 3) if elapsed > 0 else 0.0,
        "rounds_renders_per_s": measured.rounds,
        "latency_ms": histogram_summary(measured.latency),
        "status_counts": dict(sorted(measured.statuses.items())),
        "answered_without_tex": measured.without_tex,
        "tex_runs": measured.counters["texrender_render_duration_seconds_count"],
        "memory_hits": measured.counters["texrender_cache_hits_total"] - shared,
        "redis_hits": shared,  # typeset by another instance (or evicted from memory)
        "cache_hit_ratio": round(measured.without_tex / ok, 3) if ok else None,
        "cross_instance_hit_ratio": round(shared / ok, 3) if ok else None,
    }
    if target.proxy is not None:  # the renders each instance took
        row["per_server"] = dict(sorted(measured.per_server.items()))
    return row


def _interleaved(
    runs: list[tuple[str, Target, Callable[[], Callable[[], bytes]]]],
    path: str,
    plan: ClusterPlan,
) -> list[dict[str, Any]]:
    """Each run ``plan.rounds`` times, in turn (a, b, c, a, b, c), so that whatever else the
    machine does weighs on all of them alike; each run's rounds merged into one row."""
    measured = {name: Measured() for name, _, _ in runs}
    for number in range(1, plan.rounds + 1):
        for name, target, bodies in runs:
            print(f"-- {name} (round {number} of {plan.rounds})", flush=True)
            measured[name].add(target, path, bodies(), plan)
    return [_row(name, target, measured[name]) for name, target, _ in runs]


def _per_server(proxy: HAProxy | None) -> dict[str, int]:
    """Requests each server took in the render backend, so far."""
    if proxy is None:
        return {}
    return {
        row["svname"]: int(row["stot"] or 0)
        for row in proxy.stats()
        if row["pxname"] == "texrender_renders" and row["svname"].startswith("texrender")
    }


class _Bodies:
    """Unique bodies, or a pool of ``size`` sent in a random order; each run its own tag, so
    no run finds the bodies of another in a cache."""

    def __init__(self, body: TemplateBody) -> None:
        self.body = body
        self.run = itertools.count()

    def unique(self) -> Callable[[], bytes]:
        tag, numbers = f"u{next(self.run)}-{time.time_ns()}", itertools.count()
        return lambda: self.body.numbered(f"{tag}-{next(numbers)}")

    def pool(self, size: int, seed: int) -> Callable[[], bytes]:
        tag = f"p{next(self.run)}-{time.time_ns()}"
        bodies = [self.body.numbered(f"{tag}-{n}") for n in range(size)]
        rng = random.Random(seed)  # noqa: S311 (an order, not a secret)
        return lambda: rng.choice(bodies)


def cluster(
    global_flags: list[str], template: str, data: Path, workdir: Path, plan: ClusterPlan
) -> dict[str, Any]:
    """The whole step: its results dict.

    Raises:
        BenchError: haproxy or redis-server is missing or does not start.
        SpawnError: a server does not start.
    """
    began = time.monotonic()
    missing = missing_tools()
    if missing is not None:
        raise BenchError(missing)
    document = json.loads(data.read_text(encoding="utf-8"))
    bodies = _Bodies(TemplateBody.build(template, document, unique=True))
    path = f"/v1/render/{quote(template, safe='')}"
    with ExitStack() as stack:
        try:
            cache_url = stack.enter_context(redis_server())
        except RuntimeError as exc:
            raise BenchError(str(exc)) from None
        lone_port = free_port()
        lone_argv = _instance(global_flags, cache_url, workdir)
        lone = _start(stack, [*lone_argv, "serve", "--bind", f"127.0.0.1:{lone_port}"])
        three: list[str] = []
        ports = [free_port() for _ in range(3)]
        for port in ports:
            argv = _instance(global_flags, cache_url, workdir, "--slots", str(plan.instance_slots))
            three.append(_start(stack, [*argv, "serve", "--bind", f"127.0.0.1:{port}"]))
        one_proxy = stack.enter_context(_proxy([lone_port] * 3))
        three_proxy = stack.enter_context(_proxy(ports))
        rr_proxy = stack.enter_context(_proxy(ports, renders_balance="roundrobin"))
        _warm([lone, *three], path, bodies.unique())
        direct = Target("1 instance, directly", lone, [lone])
        one = Target("1 instance through HAProxy", one_proxy.url, [lone], one_proxy)
        many = Target("3 instances through HAProxy", three_proxy.url, three, three_proxy)
        many_rr = Target("3 instances, round robin", rr_proxy.url, three, rr_proxy)
        size = plan.documents
        rows = _interleaved(
            [(t.name, t, bodies.unique) for t in (direct, one, many)], path, plan
        ) + _interleaved(
            [
                (f"{size} documents again and again: 3 instances, balanced on the body", many,
                 lambda: bodies.pool(size, 1)),
                (f"{size} documents again and again: 3 instances, round robin", many_rr,
                 lambda: bodies.pool(size, 1)),
                (f"{size} documents again and again: 1 instance, directly", direct,
                 lambda: bodies.pool(size, 1)),
            ],
            path, plan,
        )  # fmt: skip
        lone_slots = int(httpx.get(f"{lone}/readyz", timeout=10).json()["render_slots"])
    return {
        "template": template,
        "plan": dataclasses.asdict(plan),
        "lone_instance_slots": lone_slots,
        "haproxy_config": "deploy/haproxy/haproxy.cfg",
        "rows": rows,
        "elapsed_s": round(time.monotonic() - began, 1),
    }
