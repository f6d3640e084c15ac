"""Renders refused before Quart's machinery: a real Hypercorn server on loopback, real TeX.

Each refusal here is compared with what the long way answers, and each request the long way
must answer differently (a cached body, a bad parameter, a missing key) is checked to get that
answer still."""

from __future__ import annotations

import json
import logging
from functools import partial
from pathlib import Path

import pytest
import trio
import trio.testing

from server.http.refusal_policy import RefusalLog
from tests.conftest import LiveServer, StartServer, server_settings
from tests.server.conftest import add_key
from tests.server.http.test_http import assert_problem, slots_busy, slow, wait_for
from tests.server.test_metrics import scrape, value

pytestmark = pytest.mark.tex

JSON = {"content-type": "application/json"}
EARLY = "texrender_early_refusals_total"


def early(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], type_: str) -> float:
    return value(samples, EARLY, type=type_)


async def full_server(start_server: StartServer) -> LiveServer:
    """A server with one slot and no queue; the caller keeps its slot busy."""
    return await start_server(render_slots=1, queue_max=0)


async def test_a_429_under_load_closes_the_connection_and_says_what_the_long_way_says(
    start_server: StartServer,
) -> None:
    server = await full_server(start_server)
    client = server.client
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(client.post, "/v1/render/slow", json=slow(0)))
        await wait_for(lambda: slots_busy(client, busy=1))
        before = await scrape(client)
        headers = {**JSON, "x-request-id": "early-1"}
        fast = await client.post("/v1/render/echo", json={"text": "x"}, headers=headers)
        # A Prefer header sends the same refusal the long way, through Quart.
        slow_way = {**headers, "x-request-id": "long-1", "prefer": "handling=lenient"}
        long = await client.post("/v1/render/echo", json={"text": "y"}, headers=slow_way)
        after = await scrape(client)
        nursery.cancel_scope.cancel()

    fast_body = assert_problem(fast, 429, "queue-full")
    long_body = assert_problem(long, 429, "queue-full")
    assert fast_body == {**long_body, "request_id": "early-1"}
    assert fast.headers["x-request-id"] == "early-1"
    assert fast.headers["connection"] == "close"
    assert long.headers.get("connection") != "close"
    assert fast.headers["retry-after"].isdigit()
    # Every header the long way sends is sent (values aside from the ones that vary).
    varying = {"date", "retry-after", "x-request-id", "content-length", "connection"}
    assert set(long.headers) - varying <= set(fast.headers)
    for name in set(long.headers) - varying:
        assert fast.headers[name] == long.headers[name], name
    assert early(after, "queue-full") - early(before, "queue-full") == 1
    http_429 = {"route": "/v1/render/<template>", "method": "POST", "status": "429"}
    moved = value(after, "texrender_http_requests_total", **http_429) - value(
        before, "texrender_http_requests_total", **http_429
    )
    assert moved == 2  # both refusals, the early one too
    rejected = {"template": "echo", "outcome": "rejected"}
    assert (
        value(after, "texrender_renders_total", **rejected)
        - value(before, "texrender_renders_total", **rejected)
        == 2
    )


async def test_under_load_what_the_long_way_answers_otherwise_still_gets_its_answer(
    start_server: StartServer,
) -> None:
    server = await full_server(start_server)
    client = server.client
    cached = json.dumps({"text": "rendered before"}).encode()
    assert (await client.post("/v1/render/echo", content=cached, headers=JSON)).is_success
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(client.post, "/v1/render/slow", json=slow(0)))
        await wait_for(lambda: slots_busy(client, busy=1))
        before = await scrape(client)
        # Rendered before: its PDF is served, though no slot is free.
        again = await client.post("/v1/render/echo", content=cached, headers=JSON)
        assert again.status_code == 200
        # What would fail before admission fails as it always did.
        unknown = await client.post("/v1/render/no-such-template", json={"text": "x"})
        assert_problem(unknown, 404, "template-not-found")
        odd = await client.post("/v1/render/echo?strict=maybe", json={"text": "x"})
        assert_problem(odd, 400, "invalid-parameter")
        text = await client.post(
            "/v1/render/echo", content=b"x", headers={"content-type": "text/plain"}
        )
        assert_problem(text, 415, "unsupported-media-type")
        star = await client.post(
            "/v1/render/echo", json={"text": "x"}, headers={"if-none-match": "*"}
        )
        assert star.status_code == 412
        after = await scrape(client)
        nursery.cancel_scope.cancel()
    assert early(after, "queue-full") == early(before, "queue-full")


async def test_with_auth_on_a_missing_key_is_401_and_a_known_key_is_refused_early(
    start_server: StartServer, work_dir: Path
) -> None:
    settings = server_settings(work_dir, auth="on", render_slots=1, queue_max=0)
    assert settings.data_dir is not None
    key = await add_key(settings.data_dir, "flood", "flood")
    server = await start_server(settings)
    keyed = server.new_client(headers={"authorization": f"Bearer {key}"})
    anonymous = server.client
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(keyed.post, "/v1/render/slow", json=slow(0)))
        await wait_for(lambda: slots_busy(anonymous, busy=1))
        before = await scrape(anonymous)
        missing = await anonymous.post("/v1/render/echo", json={"text": "x"})
        assert missing.status_code == 401
        wrong = await anonymous.post(
            "/v1/render/echo", json={"text": "x"}, headers={"authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401
        # Two keys: the long way reads the first (a wrong one), so must this.
        two = [("authorization", "Bearer nope"), ("authorization", f"Bearer {key}")]
        doubled = await anonymous.post(
            "/v1/render/echo", content=b'{"text": "x"}', headers=[*two, *JSON.items()]
        )
        assert doubled.status_code == 401
        refused = await keyed.post("/v1/render/echo", json={"text": "x"})
        assert_problem(refused, 429, "queue-full")
        assert refused.headers["connection"] == "close"
        after = await scrape(anonymous)
        nursery.cancel_scope.cancel()
    assert early(after, "queue-full") - early(before, "queue-full") == 1


async def test_a_flood_of_early_refusals_writes_one_access_line_a_second_saying_how_many(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    refusals = RefusalLog(every_s=1.0)
    caplog.set_level(logging.INFO, logger="texrender.access")
    for _ in range(5):
        refusals.note({"status": 429})
        await trio.sleep(0.1)
    await trio.sleep(1.0)
    refusals.note({"status": 429})
    lines = [r for r in caplog.records if r.name == "texrender.access"]
    assert [getattr(r, "refusals", None) for r in lines] == [1, 5]
    assert all(getattr(r, "early", False) and getattr(r, "status", 0) == 429 for r in lines)
