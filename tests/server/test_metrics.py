"""/metrics through a real server: counters move by exactly what happened, labels stay bounded,
the loop-lag histogram notices a blocked loop, Server-Timing adds up."""

from __future__ import annotations

import re
import time
import uuid
from functools import partial

import httpx
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

from server.app import create_app
from server.settings import Settings
from tests.conftest import StartServer

pytestmark = pytest.mark.tex

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def renders(samples: Samples, template: str, outcome: str) -> float:
    return value(samples, "texrender_renders_total", template=template, outcome=outcome)


async def busy(client: httpx.AsyncClient, running: int, waiting: int) -> bool:
    samples = await scrape(client)
    return (
        value(samples, "texrender_renders_in_flight") == running
        and value(samples, "texrender_queue_depth") == waiting
    )


async def wait_busy(client: httpx.AsyncClient, running: int, waiting: int = 0) -> None:
    with trio.fail_after(10):
        while not await busy(client, running, waiting):
            await trio.sleep(0.02)


SPIN = {"text": "spin"}


async def test_outcomes_are_counted_exactly(start_server: StartServer) -> None:
    client = (await start_server(render_slots=1, queue_max=1)).client
    before = await scrape(client)
    assert value(before, "texrender_render_slots") == 1
    assert (await client.post("/v1/render/echo", json={"text": "ok"})).status_code == 200
    assert (await client.post("/v1/render/echo", json={"text": [1]})).status_code == 422
    assert (await client.post("/v1/render/read-file", json={"text": "x"})).status_code == 422
    async with trio.open_nursery() as requests:
        for n in range(2):
            body = {"text": f"spin {n}"}
            requests.start_soon(partial(client.post, "/v1/render/endless-loop", json=body))
        await wait_busy(client, running=1, waiting=1)
        full = await client.post("/v1/render/echo", json={"text": "x"})
        assert full.status_code == 429
        requests.cancel_scope.cancel()
    await wait_busy(client, running=0, waiting=0)
    after = await scrape(client)

    expected = {
        ("echo", "ok"): 1,
        ("echo", "invalid_data"): 1,
        ("read-file", "tex_error"): 1,
        ("echo", "rejected"): 1,
        ("endless-loop", "cancelled"): 2,
        ("endless-loop", "timeout"): 0,
    }
    for (template, outcome), moved in expected.items():
        delta = renders(after, template, outcome) - renders(before, template, outcome)
        assert delta == moved, (template, outcome)
    tex_runs = value(after, "texrender_render_duration_seconds_count", template="echo")
    assert tex_runs == 1
    waits = value(after, "texrender_queue_wait_seconds_count")
    assert waits == 4  # ok, tex error, and the two endless loops (one ran, one waited)


async def test_timeouts_and_expired_waits(start_server: StartServer) -> None:
    server = await start_server(render_slots=1, render_timeout_s=1.0, queue_timeout_s=0.2)
    client = server.client
    async with trio.open_nursery() as requests:
        requests.start_soon(lambda: client.post("/v1/render/endless-loop", json=SPIN))
        await wait_busy(client, running=1)
        expired = await client.post("/v1/render/echo", json={"text": "x"})
        assert expired.status_code == 503
    after = await scrape(client)
    assert renders(after, "endless-loop", "timeout") == 1
    assert renders(after, "echo", "expired") == 1


async def test_http_labels_use_route_templates(client: httpx.AsyncClient) -> None:
    random_path = f"/nowhere/{uuid.uuid4().hex}"
    assert (await client.get(random_path)).status_code == 404
    assert (await client.post("/v1/render/echo", json={"text": "a"})).status_code == 200
    assert (await client.post("/v1/render/no-such", json={})).status_code == 404
    assert (await client.request("BREW", "/healthz")).status_code == 405
    samples = await scrape(client)
    routes = {
        dict(labels)["route"]
        for (name, labels) in samples
        if name == "texrender_http_requests_total"
    }
    assert "<unmatched>" in routes
    assert "/v1/render/<template>" in routes
    assert not any(random_path in r or "no-such" in r for r in routes)
    methods = {
        dict(labels)["method"]
        for (name, labels) in samples
        if name.startswith("texrender_http") and "method" in dict(labels)
    }
    assert "BREW" not in methods
    rendered = value(
        samples,
        "texrender_http_requests_total",
        route="/v1/render/<template>",
        method="POST",
        status="200",
    )
    assert rendered == 1
    # A template name is a label only when the template exists.
    templates = {dict(labels).get("template") for (name, labels) in samples}
    assert "no-such" not in templates


async def test_build_and_process_metrics(client: httpx.AsyncClient) -> None:
    samples = await scrape(client)
    info = [labels for (name, labels) in samples if name == "texrender_build_info"]
    assert len(info) == 1
    assert "pdfTeX" in dict(info[0])["tex_engine_version"]
    assert value(samples, "texrender_process_resident_memory_bytes") > 0
    assert value(samples, "texrender_process_open_fds") > 0


async def test_loop_lag_rises_when_the_loop_is_blocked(
    start_server: StartServer, settings: Settings
) -> None:
    app = create_app(settings)

    @app.get("/test/block")
    async def block() -> str:
        time.sleep(0.3)  # deliberately blocks the event loop  # noqa: ASYNC251
        return "blocked"

    client = (await start_server(app=app)).client

    async def samples_beyond(
        count: float,
    ) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """The first scrape with more than ``count`` loop-lag samples."""
        with trio.fail_after(10):
            while True:
                scraped = await scrape(client)
                if value(scraped, "texrender_event_loop_lag_seconds_count") > count:
                    return scraped
                await trio.sleep(0.02)

    before = await samples_beyond(0)
    slow_before = value(before, "texrender_event_loop_lag_seconds_count") - value(
        before, "texrender_event_loop_lag_seconds_bucket", le="0.1"
    )
    assert (await client.get("/test/block")).status_code == 200
    # The sampler that was stuck behind the blocked loop has reported once it ran again.
    after = await samples_beyond(value(before, "texrender_event_loop_lag_seconds_count") + 1)
    slow_after = value(after, "texrender_event_loop_lag_seconds_count") - value(
        after, "texrender_event_loop_lag_seconds_bucket", le="0.1"
    )
    assert slow_after - slow_before >= 1
    lag_sum = value(after, "texrender_event_loop_lag_seconds_sum") - value(
        before, "texrender_event_loop_lag_seconds_sum"
    )
    assert lag_sum >= 0.2


SERVER_TIMING = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+;dur=\d+(\.\d+)?$")


async def test_server_timing_parses_and_adds_up(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/render/echo", json={"text": "timing"})
    header = response.headers["server-timing"]
    parts = [p.strip() for p in header.split(",")]
    assert all(SERVER_TIMING.match(p) for p in parts), header
    durations = {p.split(";")[0]: float(p.split("=")[1]) for p in parts}
    assert set(durations) >= {"queue", "template", "tex", "total"}
    assert durations["tex"] > 0
    assert durations["total"] >= durations["queue"] + durations["tex"]


async def test_readyz_explains_itself(start_server: StartServer) -> None:
    server = await start_server()
    client = server.client
    with trio.fail_after(60):  # the resume format may still be building
        while (ready := await client.get("/readyz")).status_code != 200:
            assert ready.json()["checks"]["formats_settled"] is False
            await trio.sleep(0.05)
    body = ready.json()
    assert body["checks"] == {
        "engine_found": True,
        "not_draining": True,
        "queue_not_full": True,
        "formats_settled": True,
        "database": True,  # an SQLite file: always
    }
    assert body["formats"]["resume-classic"] == "ready"
    assert body["formats"]["echo"] == "none"
    assert body["format_files"]["resume-classic"] == "uncompressed"
    assert "pdfTeX" in body["engine_version"]
    server.state.draining = True
    draining = await client.get("/readyz")
    assert draining.status_code == 503
    assert draining.json()["checks"]["not_draining"] is False
    assert (await client.get("/healthz")).status_code == 200


async def test_store_calls_are_timed_on_sqlite_as_on_postgresql(
    client: httpx.AsyncClient,
) -> None:
    def count(samples: Samples, operation: str) -> float:
        key = ("texrender_store_query_seconds_count", frozenset({("operation", operation)}))
        return samples.get(key, 0.0)

    before = await scrape(client)
    created = await client.post("/v1/documents", json={"template": "echo", "data": {"text": "x"}})
    assert created.status_code == 201
    assert (await client.get(created.headers["Location"])).status_code == 200
    after = await scrape(client)
    assert count(after, "create") == count(before, "create") + 1
    assert count(after, "get") == count(before, "get") + 1
