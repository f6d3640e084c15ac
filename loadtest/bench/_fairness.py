"""Fair sharing between keys (issue 20): what one key's flood costs another key's renders.

A ``texrender serve`` of its own on a loopback port, with auth on and a data directory of its
own, where ``texrender keys create`` made two keys before it started: ``probe`` and ``flood``,
each its own owner. Then, in one run against that one server:

1. warm-up: a few renders of each key, not counted (the keys work, TeX's files are cached);
2. idle: the probe key alone renders ``renders`` unique bodies one after another (one client,
   in a process of its own: :func:`loadtest.drive.serial_client`);
3. flooded: the flood key's ``flood_clients`` clients loop as fast as they can on unique
   bodies, asking again at once after a 429 (hostile); once they have run ``settle_s``, the
   probe key does exactly what it did idle; the flood stops when the probe is done.

One render time is the median ``Server-Timing: tex`` of the idle renders: the server's own TeX
wall time. The target (issue 20): the probe key's flooded p99 at most twice its idle p99 plus
one render time, and no 429 for it. Every loop is bounded by a count and a time.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import trio

from ..drive import (
    JSON_HEADERS,
    TEXRENDER,
    Answer,
    SerialClient,
    SerialClientError,
    TemplateBody,
    Workload,
    closed_loop,
    key_label,
    load_client,
    refuse_remote,
    serial_client,
    serving,
    side_client,
    wait_ready,
)
from ..record import (
    ReadyzPeaks,
    Recorder,
    histogram_summary,
    metrics_figures,
    scrape_metrics,
)
from ._errors import BenchError

TARGET_RATIO = 2.0
# A bound on the flood's requests besides its time (it is hostile: a 429 takes a millisecond).
FLOOD_MAX_REQUESTS = 500_000
# texrender prints a new key as trk_<key id>_<secret> on a line of its own (stdout).
_KEY = re.compile(r"(?<![A-Za-z0-9_-])trk_[0-9A-Za-z]+_[A-Za-z0-9_-]+(?![A-Za-z0-9_-])")
KEY_NAMES = ("probe", "flood")


@dataclass(frozen=True)
class FairnessPlan:
    """How the step runs; the defaults are ``make bench``'s (about a minute)."""

    renders: int = 30  # the probe key's renders, idle and flooded alike
    flood_clients: int = 64
    warmup: int = 3
    settle_s: float = 2.0  # the flood runs this long before the probe starts
    budget_s: float = 30.0  # a probe round sends nothing more after this long
    timeout_s: float = 30.0  # one request's bound
    serve_flags: tuple[str, ...] = ()  # more ``serve`` flags (the tests' small queue)


def parse_key(stdout: str) -> str:
    """The key ``texrender keys create`` printed: the one ``trk_…`` token in its output, or
    else its one line of output if that is a single word.

    Raises: BenchError (without the output, which may hold a secret) if neither is there.
    """
    found: set[str] = set(_KEY.findall(stdout))
    if len(found) == 1:
        return found.pop()
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    if not found and len(lines) == 1 and len(lines[0].split()) == 1:
        return lines[0]
    raise BenchError(
        f"cannot find the key in what `texrender keys create` printed ({len(found)} key-like "
        f"words, {len(lines)} lines)"
    )


def create_key(data_dir: Path, name: str) -> str:
    """A new key named ``name`` (its owner: ``name``) in the store under ``data_dir``.

    Raises: BenchError if ``texrender keys create`` fails or prints no key.
    """
    argv = [str(TEXRENDER), "--data-dir", str(data_dir), "keys", "create", name]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    if done.returncode != 0:
        raise BenchError(f"texrender keys create {name} failed: {done.stderr.strip()}")
    return parse_key(done.stdout)


def fairness_ratio(
    flooded_p99_ms: float | None, idle_p99_ms: float | None, render_ms: float | None
) -> float | None:
    """Flooded p99 ÷ (idle p99 + one render time): issue 20's target is at most 2."""
    if flooded_p99_ms is None or idle_p99_ms is None or render_ms is None:
        return None
    allowance = idle_p99_ms + render_ms
    return round(flooded_p99_ms / allowance, 3) if allowance > 0 else None


def _spread(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "p50": round(statistics.median(values), 3) if values else None,
        "max": round(max(values), 3) if values else None,
    }


def phase_summary(answers: list[Answer]) -> dict[str, Any]:
    """One probe round: latency of its successful renders (ms), statuses, refusals by problem
    type, and the server's own TeX time and wait for a slot (``Server-Timing``)."""
    recorder = Recorder(0.0)
    for answer in answers:
        recorder.on_sent(0.0, 0.0)
        recorder.on_done(0.0, answer.latency_s, answer.status, 0, answer.problem)
    return {
        "sent": recorder.sent,
        "ok": recorder.ok,
        "latency_ms": histogram_summary(recorder.histogram),
        "status_counts": dict(sorted(recorder.status_counts.items())),
        "problem_types": recorder.problem_types(),
        "tex_ms": _spread([a.tex_ms for a in answers if a.tex_ms is not None]),
        "queue_ms": _spread([a.queue_ms for a in answers if a.queue_ms is not None]),
        # every render in order: [latency ms, status, TeX ms, wait for a slot ms]
        "renders": [
            [round(a.latency_s * 1000, 3), a.status, a.tex_ms, a.queue_ms] for a in answers
        ],
    }


def flood_summary(recorder: Recorder, clients: int) -> dict[str, Any]:
    """The flood: its renders a second over its window, statuses, and its 429s by type (those
    cut off when the probe finished count as ``unfinished``)."""
    window = recorder.elapsed(recorder.start)
    return {
        "clients": clients,
        "window_s": round(window, 3),
        "sent": recorder.sent,
        "ok": recorder.ok,
        "ok_per_s": round(recorder.ok / window, 3) if window > 0 else 0.0,
        "status_counts": dict(sorted(recorder.status_counts.items())),
        "refused_by_type": recorder.problem_types().get("429", {}),
        "latency_ms": histogram_summary(recorder.histogram),
        "refused_latency_ms": histogram_summary(recorder.status_histograms["429"])
        if "429" in recorder.status_histograms
        else None,
    }


def verdict(
    idle: dict[str, Any], flooded: dict[str, Any], render_ms: float | None, renders: int
) -> dict[str, Any]:
    """The ratio against its target, the probe key's 429s (the target: none), and whether the
    flooded round rendered all its ``renders`` (a p99 of the few that got through would hide
    the rest)."""
    ratio = fairness_ratio(flooded["latency_ms"]["p99"], idle["latency_ms"]["p99"], render_ms)
    refused = int(flooded["status_counts"].get("429", 0))
    missing = renders - int(flooded["ok"])
    return {
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "probe_429": refused,
        "probe_not_rendered": missing,
        "met": ratio is not None and ratio <= TARGET_RATIO and refused == 0 and missing == 0,
    }


def _tex_mean_ms(before: Any, after: Any) -> float | None:
    if before is None or after is None:
        return None
    means = metrics_figures(before, after)["means"]
    found = [v for k, v in means.items() if k.startswith("texrender_render_duration_seconds") and v]
    return round(1000 * statistics.mean(found), 3) if found else None


class _Bodies:
    """Unique bodies, each tagged with its phase and this run, so no render is a cache hit."""

    def __init__(self, body: TemplateBody) -> None:
        self.body = body
        self.run = uuid.uuid4().hex[:8]

    def take(self, phase: str, count: int) -> list[bytes]:
        return [self.body.numbered(f"{phase} {self.run}-{n}") for n in range(count)]


async def _check_key(url: str, key: str, name: str, path: str, body: bytes) -> None:
    try:
        async with side_client(url, key=key) as client:
            answer = await client.post(path, content=body, headers=JSON_HEADERS)
    except httpx.HTTPError as exc:
        raise BenchError(f"the {name} key's first render failed: {exc!r}") from None
    if answer.status_code != 200:
        raise BenchError(f"the {name} key's first render answered {answer.status_code}")


async def _flooded(
    url: str,
    flood_key: str,
    probe: SerialClient,
    path: str,
    probe_bodies: list[bytes],
    flood: Workload,
    plan: FairnessPlan,
) -> tuple[list[Answer], Recorder, dict[str, Any]]:
    """The flood, and the probe's round once the flood has run ``settle_s``."""
    recorder = Recorder(trio.current_time())
    peaks = ReadyzPeaks()
    # The flood's own bound; the probe's end stops it sooner.
    stop_at = recorder.start + plan.settle_s + plan.budget_s + plan.timeout_s
    client = load_client(url, plan.flood_clients, plan.timeout_s, key=flood_key)
    async with client, side_client(url) as side, trio.open_nursery() as nursery:
        nursery.start_soon(
            partial(
                closed_loop, client, flood.next_request, recorder,
                concurrency=plan.flood_clients, stop_at=stop_at, requests=FLOOD_MAX_REQUESTS,
                drain_s=0.0, timeout_s=plan.timeout_s, honor_retry_after=False,
            )
        )  # fmt: skip
        nursery.start_soon(peaks.sample_forever, side)
        await trio.sleep(plan.settle_s)
        answers = await probe.render(path, probe_bodies, plan.budget_s)
        recorder.end = trio.current_time()
        nursery.cancel_scope.cancel()
    return answers, recorder, peaks.as_dict()


async def measure(
    url: str, keys: dict[str, str], template: str, document: Any, plan: FairnessPlan
) -> dict[str, Any]:
    """The warm-up, the idle round and the flooded round against the server at ``url``."""
    reason = await refuse_remote(url)
    if reason is not None:
        raise BenchError(reason)
    bodies = _Bodies(TemplateBody.build(template, document, unique=True))
    path = f"/v1/render/{quote(template, safe='')}"
    flood = Workload([bodies.body], [1.0])
    for name in KEY_NAMES:
        await _check_key(url, keys[name], name, path, bodies.take(f"check {name}", 1)[0])
    async with (
        serial_client(url, key=keys["probe"], timeout_s=plan.timeout_s) as probe,
        side_client(url) as side,
    ):
        warm = await probe.render(path, bodies.take("warm-up", plan.warmup), plan.budget_s)
        if any(answer.status != "200" for answer in warm):
            statuses = sorted({answer.status for answer in warm})
            raise BenchError(f"the probe key's warm-up renders answered {', '.join(statuses)}")
        before = await scrape_metrics(side)
        idle = await probe.render(path, bodies.take("idle", plan.renders), plan.budget_s)
        after = await scrape_metrics(side)
        flooded, recorder, peaks = await _flooded(
            url, keys["flood"], probe, path, bodies.take("flooded", plan.renders), flood, plan
        )
    idle_summary, flooded_summary = phase_summary(idle), phase_summary(flooded)
    render_ms = idle_summary["tex_ms"]["p50"]
    return {
        "idle": idle_summary,
        "flooded": flooded_summary,
        "render_ms": render_ms,
        "render_ms_source": "median Server-Timing tex of the idle renders",
        "tex_mean_ms_metrics": _tex_mean_ms(before, after),
        **verdict(idle_summary, flooded_summary, render_ms, plan.renders),
        "flood": {**flood_summary(recorder, plan.flood_clients), "readyz_peaks": peaks},
    }


def fairness(
    global_flags: list[str], template: str, data: Path, workdir: Path, plan: FairnessPlan
) -> dict[str, Any]:
    """The whole step: keys, a server with auth on, the measurement; its results dict.

    Raises:
        BenchError: a key cannot be made, the keys' renders fail, or the probe's client does.
        SpawnError: the server does not start.
    """
    began = time.monotonic()
    document = json.loads(data.read_text(encoding="utf-8"))
    data_dir = workdir / "fairness-data"
    keys = {name: create_key(data_dir, name) for name in KEY_NAMES}
    argv = [str(TEXRENDER), *global_flags, "--auth", "on", "--data-dir", str(data_dir)]
    argv += ["serve", "--bind", "127.0.0.1:0", *plan.serve_flags]
    with serving(argv, env={**os.environ, "TEXRENDER_AUTH": "on"}) as server:
        url = server.wait_for_url()
        readyz = wait_ready(url)
        try:
            measured = trio.run(measure, url, keys, template, document, plan)
        except SerialClientError as exc:
            raise BenchError(f"the probe key's client: {exc}") from None
    return {
        "template": template,
        "plan": dataclasses.asdict(plan),
        "server": {
            "url": url,
            "auth": "on",
            "render_slots": readyz.get("render_slots"),
            "readyz": readyz,
            "serve_flags": list(plan.serve_flags),
            # settings it took from this environment (TEXRENDER_KEY is the harness's, a secret)
            "environment": {
                name: value
                for name, value in sorted(os.environ.items())
                if name.startswith("TEXRENDER_") and name != "TEXRENDER_KEY"
            },
        },
        "keys": {name: key_label(key) for name, key in keys.items()},
        **measured,
        "elapsed_s": round(time.monotonic() - began, 1),
    }
