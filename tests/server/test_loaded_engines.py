"""A real server's loaded engines: renders forked from a TeX that has loaded the format, on
both paths, with the same text as a fresh start; counted in /metrics; off when turned off."""

from __future__ import annotations

import httpx
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import LiveServer, StartServer, pdf_text, squash

pytestmark = pytest.mark.tex


async def zygote_figures(client: httpx.AsyncClient) -> dict[str, float]:
    samples = {
        (sample.name, sample.labels.get("how")): sample.value
        for family in text_string_to_metric_families((await client.get("/metrics")).text)
        for sample in family.samples
    }
    return {
        "ready": samples[("texrender_zygotes_ready", None)],
        "started": samples[("texrender_zygote_starts_total", None)],
        "forked": samples[("texrender_zygote_jobs_total", "forked")],
        "declined": samples[("texrender_zygote_jobs_total", "declined")],
    }


async def until_zygotes(client: httpx.AsyncClient, ready: float) -> dict[str, float]:
    """The figures once at least ``ready`` zygotes are ready (formats built first)."""
    with trio.fail_after(90):
        while (figures := await zygote_figures(client))["ready"] < ready:
            await trio.sleep(0.1)
    return figures


async def until_prestarted(served: LiveServer) -> dict[str, float]:
    """The figures once the fast path's zygotes, one per format built, are all ready: the
    server starts them one after another, so the first one ready may be another template's."""
    with trio.fail_after(90):
        while (await served.client.get("/readyz")).status_code != 200:  # formats built
            await trio.sleep(0.05)
    formats = served.state.service.formats
    assert formats is not None
    return await until_zygotes(served.client, ready=len(formats.ready_formats()))


def resume(name: str, summary: str) -> dict[str, object]:
    return {"basics": {"name": name, "summary": summary}}


async def render(client: httpx.AsyncClient, body: dict[str, object]) -> str:
    response = await client.post("/v1/render/resume-classic", json=body)
    assert response.status_code == 200, response.text
    return pdf_text(response.content)


async def test_the_fast_paths_renders_are_forked_from_zygotes_started_with_the_server(
    start_server: StartServer,
) -> None:
    served = await start_server()
    client = served.client
    before = await until_prestarted(served)
    assert before["started"] >= 1
    for n in range(3):
        text = await render(client, resume(f"Ada Lovelace {n}", f"Analytical engine, note {n}."))
        assert f"Ada Lovelace {n}" in text
        assert f"note {n}." in text
    after = await zygote_figures(client)
    assert after["forked"] - before["forked"] == 3
    assert after["declined"] == before["declined"]


async def test_the_unicode_paths_zygote_starts_on_first_use_and_forks_the_next_render(
    start_server: StartServer,
) -> None:
    """The first Chinese render runs fresh (declined) and starts XeTeX's zygote; once it is
    ready the next one is forked; both read back exactly."""
    served = await start_server()
    client = served.client
    before = await until_prestarted(served)
    first = await render(client, resume("王小明", "负责分布式系统的设计。"))
    assert "王小明" in first
    assert squash("负责分布式系统的设计。") in squash(first)
    started = await zygote_figures(client)
    assert started["declined"] == before["declined"] + 1
    await until_zygotes(client, ready=before["ready"] + 1)
    second = await render(client, resume("李华", "熟悉数据库与缓存。"))
    assert "李华" in second
    assert squash("熟悉数据库与缓存。") in squash(second)
    after = await zygote_figures(client)
    assert after["forked"] == started["forked"] + 1


async def test_turned_off_every_render_starts_tex_afresh(start_server: StartServer) -> None:
    client = (await start_server(zygotes=False)).client
    with trio.fail_after(60):
        while (await client.get("/readyz")).status_code != 200:
            await trio.sleep(0.05)
    text = await render(client, resume("Grace Hopper", "Compilers."))
    assert "Grace Hopper" in text
    assert await zygote_figures(client) == {
        "ready": 0.0,
        "started": 0.0,
        "forked": 0.0,
        "declined": 0.0,
    }
