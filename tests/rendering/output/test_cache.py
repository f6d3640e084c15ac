"""The PDF cache, render keys, and sharing of identical renders under way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import trio.testing

from rendering.catalogue import Catalogue
from rendering.config import RenderLimits
from rendering.errors import TexDiagnostic, TexError
from rendering.output import InFlight, PdfCache, render_key
from rendering.pipeline import Pipeline, RenderOrder
from rendering.typesetting._engine import CompileResult, PdfLatexEngine
from server.http.auth import LOCAL_OWNER
from tests.conftest import TEST_TEMPLATES_DIR, StartServer, pdf_text, tex_processes

# --- PdfCache ------------------------------------------------------------------------------


async def test_hit_and_miss_are_counted() -> None:
    cache = PdfCache(max_bytes=100)
    assert await cache.get("a") is None
    await cache.put("a", b"x" * 10)
    assert await cache.get("a") == b"x" * 10
    stats = cache.statistics()
    assert (stats.hits, stats.misses, stats.entries, stats.bytes) == (1, 1, 1, 10)
    assert stats.hit_ratio == 0.5


async def test_least_recently_used_goes_first_when_over_budget() -> None:
    cache = PdfCache(max_bytes=30)
    for key in "abc":
        await cache.put(key, key.encode() * 10)
    assert await cache.get("a") is not None  # a is now the most recently used
    await cache.put("d", b"d" * 10)
    assert await cache.get("b") is None
    assert [await cache.get(k) is not None for k in "acd"] == [True, True, True]
    assert cache.statistics().bytes == 30


async def test_zero_budget_disables_and_oversized_is_skipped() -> None:
    off = PdfCache(max_bytes=0)
    assert not off.enabled
    small = PdfCache(max_bytes=5)
    await small.put("big", b"123456")
    assert await small.get("big") is None


async def test_disk_tier_survives_a_new_cache(tmp_path: Path) -> None:
    first = PdfCache(max_bytes=0, directory=tmp_path)
    assert first.enabled
    await first.put("k" * 64, b"%PDF-on-disk")
    second = PdfCache(max_bytes=1000, directory=tmp_path)
    assert await second.get("k" * 64) == b"%PDF-on-disk"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["k" * 64 + ".pdf"]


def test_render_key_is_canonical() -> None:
    base = render_key("v1", {"a": 1, "b": [1, 2]}, "pdftex")
    assert render_key("v1", {"b": [1, 2], "a": 1}, "pdftex") == base
    assert render_key("v2", {"a": 1, "b": [1, 2]}, "pdftex") != base
    assert render_key("v1", {"a": 1, "b": [2, 1]}, "pdftex") != base
    assert render_key("v1", {"a": 1, "b": [1, 2]}, "pdftex 2") != base
    letter = render_key("v1", {"a": 1, "b": [1, 2]}, "pdftex", paper="letter")
    assert letter not in (base, render_key("v1", {"a": 1, "b": [1, 2]}, "pdftex", paper="a4"))
    tagged = render_key("v1", {"a": 1, "b": [1, 2]}, "pdftex", tagged=True)
    assert tagged not in (base, letter)
    assert render_key("v1", {"a": 1, "b": [1, 2]}, "pdftex", owner="tagged") != tagged
    with pytest.raises(ValueError, match="JSON"):
        render_key("v1", {"a": float("nan")}, "pdftex")


def waiting_on(inflight: InFlight[Any], key: str) -> int:
    """How many callers wait for the work under way for ``key`` (read from its private state:
    the server has no use for the number)."""
    job = inflight._jobs.get(key)
    return job.done.statistics().tasks_waiting if job is not None else 0


# --- InFlight ------------------------------------------------------------------------------


async def test_identical_work_runs_once() -> None:
    inflight: InFlight[str] = InFlight()
    runs = 0
    gate = trio.Event()

    async def produce() -> str:
        nonlocal runs
        runs += 1
        await gate.wait()
        return "pdf"

    results: list[tuple[str, bool]] = []

    async def ask() -> None:
        results.append(await inflight.run("k", produce))

    async with trio.open_nursery() as nursery:
        for _ in range(5):
            nursery.start_soon(ask)
        await trio.testing.wait_all_tasks_blocked()
        gate.set()
    assert runs == 1
    assert sorted(results) == [("pdf", False)] + [("pdf", True)] * 4
    assert len(inflight) == 0


async def test_a_cancelled_leader_hands_over_to_a_waiter() -> None:
    inflight: InFlight[str] = InFlight()
    calls = 0

    async def produce() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await trio.sleep_forever()
        return "second try"

    async with trio.open_nursery() as nursery:
        leader = trio.CancelScope()

        async def lead() -> None:
            with leader:
                await inflight.run("k", produce)

        nursery.start_soon(lead)
        await trio.testing.wait_all_tasks_blocked()
        follower: list[tuple[str, bool]] = []

        async def follow() -> None:
            follower.append(await inflight.run("k", produce))

        nursery.start_soon(follow)
        await trio.testing.wait_all_tasks_blocked()
        assert waiting_on(inflight, "k") == 1
        leader.cancel()
    assert follower == [("second try", False)]
    assert calls == 2


async def test_a_render_error_is_shared() -> None:
    inflight: InFlight[str] = InFlight()
    gate = trio.Event()
    runs = 0

    async def produce() -> str:
        nonlocal runs
        runs += 1
        await gate.wait()
        raise TexError("TeX stopped: boom", TexDiagnostic("boom", 3, "ctx"))

    errors: list[TexError] = []

    async def ask() -> None:
        try:
            await inflight.run("k", produce)
        except TexError as exc:
            errors.append(exc)

    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(ask)
        await trio.testing.wait_all_tasks_blocked()
        gate.set()
    assert runs == 1
    assert len(errors) == 3
    assert len({id(e) for e in errors}) == 3
    assert all(e.tex.line == 3 for e in errors)
    assert len(inflight) == 0


# --- with real TeX -------------------------------------------------------------------------


class CountingEngine:
    def __init__(self, inner: PdfLatexEngine) -> None:
        self.inner = inner
        self.runs = 0

    async def compile(
        self, source: str, *, timeout_s: float, format_name: str | None = None
    ) -> CompileResult:
        self.runs += 1
        return await self.inner.compile(source, timeout_s=timeout_s, format_name=format_name)


@pytest.mark.tex
async def test_concurrent_identical_renders_run_tex_once(
    work_dir: Path, no_leftovers: None
) -> None:
    engine = CountingEngine(PdfLatexEngine(work_root=work_dir))
    pipeline = Pipeline(
        Catalogue.load([TEST_TEMPLATES_DIR]),
        engine,
        RenderLimits(slots=2),
        cache=PdfCache(max_bytes=10_000_000),
    )
    pdfs: list[bytes] = []
    order = RenderOrder.for_data("echo", {"text": "only once"})

    async def render() -> None:
        pdfs.append((await pipeline.render(order)).body)

    async with trio.open_nursery() as nursery:
        for _ in range(6):
            nursery.start_soon(render)
    assert engine.runs == 1
    assert len(set(pdfs)) == 1
    again = await pipeline.render(order)
    assert again.cached
    assert engine.runs == 1
    assert "only once" in pdf_text(again.body)


@pytest.mark.tex
async def test_cached_responses_and_304(client: httpx.AsyncClient) -> None:
    body = {"text": "cache me"}
    first = await client.post("/v1/render/echo", json=body)
    assert "tex;dur=" in first.headers["server-timing"]
    second = await client.post("/v1/render/echo", json=body)
    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["server-timing"].startswith("cache;dur=")
    reordered = await client.post(
        "/v1/render/echo", json={"text": "cache me"}, headers={"If-None-Match": 'W/"other"'}
    )
    assert reordered.status_code == 200
    not_modified = await client.post(
        "/v1/render/echo", json=body, headers={"If-None-Match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304
    metrics = (await client.get("/metrics")).text
    assert 'texrender_renders_total{outcome="cached",template="echo"} 3.0' in metrics
    assert "texrender_cache_hits_total 2.0" in metrics


@pytest.mark.tex
async def test_a_disconnected_leader_does_not_strand_its_followers(
    start_server: StartServer,
) -> None:
    server = await start_server()
    client = server.client
    service = server.state.service
    body = {"text": "shared slow", "count": 2_000_000}
    # The test template has no lenient reader: the data is keyed as sent, for its owner.
    version = service.catalogue["slow"].version
    key = render_key(version, body, service.pipeline.engine_id, LOCAL_OWNER, "a4")
    async with trio.open_nursery() as nursery:
        leader = trio.CancelScope()

        async def lead() -> None:
            with leader:
                await client.post("/v1/render/slow", json=body)

        nursery.start_soon(lead)
        with trio.fail_after(10):
            while not tex_processes():
                await trio.sleep(0.01)
        follower: list[httpx.Response] = []

        async def follow() -> None:
            follower.append(await client.post("/v1/render/slow", json=body))

        nursery.start_soon(follow)
        with trio.fail_after(10):
            while (
                waiting_on(service.pipeline._renders, key) < 1
            ):  # the follower waits on the leader
                await trio.sleep(0.01)
        leader.cancel()
        with trio.fail_after(30):
            while not follower:
                await trio.sleep(0.02)
    assert follower[0].status_code == 200
    assert "shared slow" in pdf_text(follower[0].content)
    metrics = (await client.get("/metrics")).text
    # The leader's render was cancelled; the follower took over and rendered it itself.
    assert 'texrender_renders_total{outcome="cancelled",template="slow"} 1.0' in metrics
    assert 'texrender_renders_total{outcome="ok",template="slow"} 1.0' in metrics


@pytest.mark.tex
async def test_a_repeated_body_is_served_without_reading_it_again(
    start_server: StartServer,
) -> None:
    server = await start_server()
    service = server.state.service
    reads = 0
    template = service.catalogue.get_template("resume-classic")
    original = template.read

    def counting_read(data: object, *, strict: bool = False, unicode: object = None) -> object:
        nonlocal reads
        reads += 1
        return original(data, strict=strict, unicode=unicode)  # type: ignore[arg-type]

    object.__setattr__(template, "read", counting_read)
    body = b'{"basics": {"name": "Once Read"}, "work": [{"name": "A", "endDate": "Present"}]}'
    headers = {"content-type": "application/json"}
    client = server.client
    first = await client.post("/v1/render/resume-classic", content=body, headers=headers)
    again = await client.post("/v1/render/resume-classic", content=body, headers=headers)
    etag = {"If-None-Match": first.headers["etag"], **headers}
    unchanged = await client.post("/v1/render/resume-classic", content=body, headers=etag)
    strict = await client.post(
        "/v1/render/resume-classic?strict=true", content=body, headers=headers
    )
    assert reads == 2  # the first body, and the same bytes read strictly (another reading)
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["x-render-warnings"] == first.headers["x-render-warnings"]
    assert again.headers["server-timing"].startswith("cache;dur=")
    assert unchanged.status_code == 304
    assert strict.status_code == 422  # "Present" is no date: strict reading refuses it
