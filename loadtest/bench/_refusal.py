"""One 429 measured alone: what a refusal costs the server when nothing else is going on but
the one render that keeps its only slot busy."""

from __future__ import annotations

import collections
import itertools
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from ..drive import TemplateBody, serving, wait_ready
from ._server_cpu import server_counters


def refusal_cost(
    serve: list[str], template: str, data: Path, render_cpu_ms: float, requests: int = 400
) -> dict[str, Any]:
    """Server CPU ms of one 429, measured alone: a server with one slot and no queue, its slot
    kept busy by a client rendering unique bodies, and a second client sending ``requests``
    unique bodies one after another (all refused but the few that find the slot free, when the
    first client is refused in turn). The TeX runs made meanwhile are taken out at
    ``render_cpu_ms`` each; every 429 of either client is counted."""
    bodies = TemplateBody.build(template, json.loads(data.read_bytes()), unique=True)
    path = f"/v1/render/{template}"
    headers = {"content-type": "application/json"}
    # The server's CPU for one refusal is measured, not its pause before sending one.
    one_slot = [*serve, "--slots", "1", "serve", "--queue-max", "0", "--bind", "127.0.0.1:0"]
    one_slot += ["--refusal-pause", "0"]
    stop = threading.Event()
    statuses: collections.Counter[int] = collections.Counter()  # both clients' answers

    def hold_the_slot(url: str) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            for n in itertools.count():
                if stop.is_set():
                    return
                body = bodies.numbered(f"holder {n}")
                status = client.post(path, content=body, headers=headers).status_code
                if counting.is_set():
                    statuses[status] += 1

    counting = threading.Event()

    with serving(one_slot) as server:
        url = server.wait_for_url()
        wait_ready(url)
        holder = threading.Thread(target=hold_the_slot, args=(url,), daemon=True)
        holder.start()
        with httpx.Client(base_url=url, timeout=60) as client:
            while client.get("/readyz").json()["renders_in_flight"] < 1:
                time.sleep(0.01)
            before = server_counters(url)
            counting.set()
            for n in range(requests):
                answer = client.post(path, content=bodies.numbered(f"refused {n}"), headers=headers)
                statuses[answer.status_code] += 1
            counting.clear()
            after = server_counters(url)
        stop.set()
        holder.join(60)
    cpu_ms = 1000 * (after["cpu_s"] - before["cpu_s"])
    tex_runs = after["tex_runs"] - before["tex_runs"]
    refused = statuses[429]
    return {
        "requests": requests,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "tex_runs_meanwhile": tex_runs,
        "cpu_ms": round(cpu_ms, 1),
        "cpu_ms_per_429": round((cpu_ms - tex_runs * render_cpu_ms) / refused, 3)
        if refused
        else None,
    }
