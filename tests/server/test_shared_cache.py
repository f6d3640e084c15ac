"""Two real servers sharing one real Redis: what one typeset is a cache hit on the other, with
its warnings; a Redis that dies mid-test, or was never there, fails no render and no readiness
check, and is counted in /metrics."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import trio

from loadtest.drive import free_port
from server.settings import Settings, SettingsError
from tests.conftest import StartServer, pdf_text
from tests.redis_server import RedisServer
from tests.rendering.test_diagnose import WIDE
from tests.server.test_metrics import scrape, value

pytestmark = pytest.mark.tex


def resume(name: str) -> dict[str, object]:
    return {"basics": {"name": name, "label": "Analyst"}}


async def render(
    client: httpx.AsyncClient, body: object, template: str = "resume-classic"
) -> httpx.Response:
    response = await client.post(f"/v1/render/{template}", json=body)
    assert response.status_code == 200, response.text
    return response


async def wait_ready(client: httpx.AsyncClient) -> dict[str, object]:
    """/readyz's body once it answers 200 (when the formats are built: Redis plays no part)."""
    with trio.fail_after(30):
        while (ready := await client.get("/readyz")).status_code != 200:
            await trio.sleep(0.05)
    body: dict[str, object] = ready.json()
    return body


async def test_a_pdf_typeset_by_one_server_is_a_cache_hit_on_the_other(
    start_server: StartServer, redis_server: RedisServer
) -> None:
    first = await start_server(cache_url=redis_server.url)
    second = await start_server(cache_url=redis_server.url)
    name = f"Shared Hopper {uuid.uuid4().hex[:8]}"
    typeset = await render(first.client, resume(name))
    assert "tex;dur=" in typeset.headers["server-timing"]
    hit = await render(second.client, resume(name))
    timing = hit.headers["server-timing"]
    assert timing.startswith("cache;dur="), timing
    assert "tex;" not in timing
    assert hit.headers["etag"] == typeset.headers["etag"]
    assert name in pdf_text(hit.content)
    again = await render(second.client, resume(name))  # now from the second one's memory
    assert again.headers["server-timing"].startswith("cache;dur=")

    on_first, on_second = await scrape(first.client), await scrape(second.client)
    assert value(on_first, "texrender_cache_shared_writes_total") == 1
    assert value(on_first, "texrender_cache_shared_misses_total") == 1
    assert value(on_second, "texrender_cache_shared_hits_total") == 1
    assert value(on_second, "texrender_cache_shared_errors_total") == 0
    assert value(on_second, "texrender_cache_shared_up") == 1
    assert value(on_second, "texrender_cache_hits_total") == 2  # Redis, then memory
    assert value(on_second, "texrender_cache_shared_seconds_count", operation="get") == 1
    assert (
        value(on_second, "texrender_renders_total", template="resume-classic", outcome="cached")
        == 2
    )
    ready = (await second.client.get("/readyz")).json()
    assert ready["shared_cache"] == "up"


async def test_layout_warnings_come_with_a_pdf_from_the_other_server(
    start_server: StartServer, redis_server: RedisServer
) -> None:
    first = await start_server(cache_url=redis_server.url)
    second = await start_server(cache_url=redis_server.url)
    body = {"text": uuid.uuid4().hex, "paragraphs": [f"starts fine then {WIDE}"]}
    typeset = await render(first.client, body, "layout")
    hit = await render(second.client, body, "layout")
    assert hit.headers["server-timing"].startswith("cache;dur=")
    warnings = json.loads(hit.headers["x-render-warnings"])
    assert warnings == json.loads(typeset.headers["x-render-warnings"])
    assert "wider than the text column" in warnings["warnings"][0]["message"]


async def test_renders_go_on_when_redis_dies(
    start_server: StartServer, redis_server: RedisServer
) -> None:
    first = await start_server(cache_url=redis_server.url)
    second = await start_server(cache_url=redis_server.url)
    await render(first.client, resume("Before The Crash"))
    redis_server.kill()
    names = [f"After The Crash {index}" for index in range(3)]
    for name in names:  # on the first: every lookup and write fails, then none is tried
        response = await render(first.client, resume(name))
        assert "tex;dur=" in response.headers["server-timing"]
        assert name in pdf_text(response.content)
    elsewhere = await render(second.client, resume(names[0]))  # typeset again: no Redis
    assert "tex;dur=" in elsewhere.headers["server-timing"]
    assert (
        (await render(second.client, resume(names[0])))
        .headers["server-timing"]
        .startswith("cache;")
    )  # its own memory still serves

    samples = await scrape(first.client)
    assert value(samples, "texrender_cache_shared_errors_total") >= 3
    assert value(samples, "texrender_cache_shared_skipped_total") >= 1  # the breaker opened
    assert value(samples, "texrender_cache_shared_up") == 0
    ready = await wait_ready(first.client)
    assert ready["shared_cache"] == "down"


async def test_a_server_starts_and_renders_without_its_redis(start_server: StartServer) -> None:
    server = await start_server(cache_url=f"redis://127.0.0.1:{free_port()}/0")
    response = await render(server.client, resume("No Redis Here"))
    assert "No Redis Here" in pdf_text(response.content)
    assert (await wait_ready(server.client))["shared_cache"] == "down"


async def test_without_a_cache_url_there_is_no_shared_cache(client: httpx.AsyncClient) -> None:
    assert (await client.get("/readyz")).json()["shared_cache"] == "off"
    samples = await scrape(client)
    assert not [name for name, _ in samples if name.startswith("texrender_cache_shared")]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://", "redis://host/db0"]
)
def test_a_cache_url_must_name_a_redis(url: str) -> None:
    with pytest.raises(SettingsError, match="cache_url has an invalid value: not a Redis URL"):
        Settings(cache_url=url)


def test_a_wrong_cache_url_is_not_repeated_with_its_password() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings(cache_url="http://user:s3cret@cache:6379/0")
    assert "s3cret" not in str(refused.value)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://u:p@cache:6380/2", "unix:///run/redis.sock"]
)
def test_redis_urls_are_accepted(url: str) -> None:
    assert Settings(cache_url=url).render_config().cache_url == url
