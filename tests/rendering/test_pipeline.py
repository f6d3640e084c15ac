"""The pipeline's door, limiter and queue (with a fake engine), and real TeX under concurrency."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio
import trio.testing

from rendering.admission import Admission
from rendering.catalogue import Catalogue, Template
from rendering.config import RenderLimits
from rendering.errors import (
    InvalidData,
    QueueTimeout,
    RenderQueueFull,
    TemplateNotFound,
    UnsupportedCharacter,
)
from rendering.explain import find_character
from rendering.output import PdfCache
from rendering.pipeline import Pipeline, Rendered, RenderOrder
from rendering.reading import Reading
from rendering.service import RenderService, build_service
from rendering.typesetting._engine import CompileResult, PdfLatexEngine
from server.settings import Settings
from tests.conftest import TEST_TEMPLATES_DIR, pdf_text, tex_processes


class GateEngine:
    """A fake engine whose compiles finish only when the test says so."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.release = trio.Event()

    async def compile(
        self, source: str, *, timeout_s: float, format_name: str | None = None
    ) -> CompileResult:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await self.release.wait()
        finally:
            self.running -= 1
        return CompileResult(b"%PDF-fake " + source.encode(), 0.0)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load([TEST_TEMPLATES_DIR])


async def real_service(settings: Settings) -> RenderService:
    """The real pipeline over the test templates, formats off."""
    return await build_service(settings.replace(formats_enabled=False).render_config())


def make_pipeline(catalogue: Catalogue, engine: object, **limits: float) -> Pipeline:
    return Pipeline(catalogue, engine, RenderLimits(**limits))  # type: ignore[arg-type]


async def render(pipeline: Pipeline, template: str, data: object, **order: object) -> Rendered:
    """One call through the door, for data in hand."""
    return await pipeline.render(RenderOrder(template, lambda: data, **order))  # type: ignore[arg-type]


class SleepingEngine:
    """Takes a quarter of a second (of the mock clock) per compile, and says so."""

    async def compile(
        self, source: str, *, timeout_s: float, format_name: str | None = None
    ) -> CompileResult:
        await trio.sleep(0.25)
        return CompileResult(b"%PDF-fake " + source.encode(), 0.25)


async def test_renders_through_the_engine(
    catalogue: Catalogue, autojump_clock: trio.testing.MockClock
) -> None:
    pipeline = make_pipeline(catalogue, SleepingEngine(), slots=1)
    result = await render(pipeline, "echo", {"text": "a_b"})
    assert b"BEGIN a\\_b END" in result.body
    assert result.timings.tex_s == 0.25
    assert result.timings.total_s >= 0.25
    assert result.timings.queue_s == 0.0
    assert not result.cached


async def test_unknown_template_and_bad_data_fail_before_the_queue(catalogue: Catalogue) -> None:
    pipeline = make_pipeline(catalogue, GateEngine(), slots=1)
    with pytest.raises(TemplateNotFound):
        await render(pipeline, "nope", {})
    with pytest.raises(InvalidData) as caught:
        await render(pipeline, "echo", {"text": [5], "count": -1})
    assert [e.pointer for e in caught.value.errors] == ["/count", "/text"]
    assert pipeline.statistics().busy == 0


async def test_queue_full_is_refused_at_once(catalogue: Catalogue) -> None:
    engine = GateEngine()
    pipeline = make_pipeline(catalogue, engine, slots=2, queue_max=3)
    async with trio.open_nursery() as nursery:
        for n in range(5):
            nursery.start_soon(render, pipeline, "echo", {"text": f"x{n}"})
        await trio.testing.wait_all_tasks_blocked()
        stats = pipeline.statistics()
        assert (stats.busy, stats.waiting, stats.queue_full) == (2, 3, True)
        with pytest.raises(RenderQueueFull):
            await render(pipeline, "echo", {"text": "x"})
        engine.release.set()
    assert engine.peak == 2
    assert pipeline.statistics().busy == 0


async def test_a_refusal_comes_before_validation_and_filling(catalogue: Catalogue) -> None:
    engine = GateEngine()
    pipeline = make_pipeline(catalogue, engine, slots=1, queue_max=0)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(render, pipeline, "echo", {"text": "holds the slot"})
        await trio.testing.wait_all_tasks_blocked()
        # Invalid data: had it been validated first, this would be InvalidData.
        with pytest.raises(RenderQueueFull):
            await render(pipeline, "echo", {"text": ["not", "text"]})
        engine.release.set()


async def test_invalid_data_is_refused_at_once_while_others_wait(catalogue: Catalogue) -> None:
    """Filling waits for a slot (so a burst of arrivals does not fill all at once), but the
    schema check does not: a 422 never queues."""
    engine = GateEngine()
    pipeline = make_pipeline(catalogue, engine, slots=1, queue_max=4)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(render, pipeline, "echo", {"text": "holds the slot"})
        nursery.start_soon(render, pipeline, "echo", {"text": "waits"})
        await trio.testing.wait_all_tasks_blocked()
        assert pipeline.statistics().waiting == 1
        with trio.fail_after(1), pytest.raises(InvalidData):
            await render(pipeline, "echo", {"text": ["not", "text"]})
        with trio.fail_after(1), pytest.raises(InvalidData):
            await render(pipeline, "echo", ["not an object"])
        engine.release.set()


async def test_the_door_lets_in_only_a_render_that_can_share_one_under_way(
    catalogue: Catalogue,
) -> None:
    engine = GateEngine()
    pipeline = make_pipeline(catalogue, engine, slots=1, queue_max=0)
    pipeline.admission.check()  # a free slot: anyone
    shared: list[Rendered] = []

    async def share() -> None:
        shared.append(await render(pipeline, "echo", {"text": "under way"}, identity=b"A"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(share)
        await trio.testing.wait_all_tasks_blocked()
        with pytest.raises(RenderQueueFull):
            pipeline.admission.check()
        with pytest.raises(RenderQueueFull):
            await render(pipeline, "echo", {"text": "another"}, identity=b"B")
        # The same data, known by its identity: it joins the render under way.
        nursery.start_soon(share)
        await trio.testing.wait_all_tasks_blocked()
        engine.release.set()
    assert [r.cached for r in shared] == [False, True]
    assert shared[0].body == shared[1].body


async def test_a_render_expected_to_wait_too_long_is_refused_with_that_wait(
    catalogue: Catalogue, autojump_clock: trio.testing.MockClock
) -> None:
    pipeline = make_pipeline(
        catalogue, SleepingEngine(), slots=1, queue_max=10, queue_max_wait_s=0.6
    )
    assert pipeline.admission.expected_wait_s() == 0.0
    await render(pipeline, "echo", {"text": "timed"})  # TeX takes 0.25 s: the estimate
    refused: list[RenderQueueFull] = []

    async def render_doc(n: int) -> None:
        try:
            await render(pipeline, "echo", {"text": f"doc {n}"})
        except RenderQueueFull as exc:
            refused.append(exc)

    async with trio.open_nursery() as nursery:
        for n in range(4):
            nursery.start_soon(render_doc, n)
            await trio.testing.wait_all_tasks_blocked()
    # Arriving behind 0, 1 and 2 renders: 0.25, 0.5 and 0.75 s of expected wait.
    assert len(refused) == 1
    assert "expected wait" in refused[0].detail
    assert refused[0].retry_after_s in (1, 2)  # 0.75 s, spread by up to half again


def test_clients_refused_together_are_told_different_waits() -> None:
    admission = Admission(RenderLimits(slots=1, queue_max=0))
    admission.timed(4.0)  # as if TeX had been taking 4 s
    admission._slots.busy = 1  # as if a render held the one slot
    waits = set()
    for _ in range(50):
        with pytest.raises(RenderQueueFull) as caught:
            admission.check()
        assert caught.value.retry_after_s is not None
        waits.add(caught.value.retry_after_s)
    assert waits <= {4, 5, 6}
    assert len(waits) > 1


async def test_waiting_past_the_deadline_gives_up(
    catalogue: Catalogue, autojump_clock: trio.testing.MockClock
) -> None:
    engine = GateEngine()
    pipeline = make_pipeline(catalogue, engine, slots=1, queue_timeout_s=5)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(render, pipeline, "echo", {"text": "first"})
        await trio.testing.wait_all_tasks_blocked()
        started = trio.current_time()
        with pytest.raises(QueueTimeout):
            await render(pipeline, "echo", {"text": "second"})
        assert trio.current_time() - started == pytest.approx(5)
        engine.release.set()


def test_find_character_points_at_every_field() -> None:
    data = {"a": "x★", "b": [{"c": "no"}, {"d/e": "★"}], "★key": 1}
    assert list(find_character(data, "★")) == ["/a", "/b/1/d~1e", "/★key"]


@pytest.mark.tex
async def test_a_character_tex_rejects_is_traced_to_its_field(
    catalogue: Catalogue, work_dir: Path, no_leftovers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safety net behind the character check: if TeX still says "not set up" (a table
    out of date with the installed TeX), the 422 names the fields holding the character."""
    pipeline = make_pipeline(catalogue, PdfLatexEngine(work_root=work_dir), slots=1)
    # Strict reading keeps the pictograph; a template without a reader has no pre-check
    # either, so the engine's own error is what is left. Bypass the check to reach it:
    monkeypatch.setattr(Template, "read", lambda self, data, **options: Reading(data))
    with pytest.raises(UnsupportedCharacter) as caught:
        await render(pipeline, "echo", {"text": "I \u2605 TeX"})
    assert [e.pointer for e in caught.value.errors] == ["/text"]
    assert "U+2605" in caught.value.detail


@pytest.mark.tex
async def test_every_unsupported_character_is_named_at_once(settings: Settings) -> None:
    pipeline = (await real_service(settings)).pipeline
    with pytest.raises(UnsupportedCharacter) as caught:
        await render(pipeline, "echo", {"text": "Жуков and Ωmega", "count": 1})
    assert [e.pointer for e in caught.value.errors] == ["/text"]
    assert "CYRILLIC CAPITAL LETTER ZHE" in caught.value.detail
    assert "GREEK CAPITAL LETTER OMEGA" in caught.value.detail
    assert "6 character(s)" in caught.value.detail


@pytest.mark.tex
async def test_never_more_tex_processes_than_slots(settings: Settings, no_leftovers: None) -> None:
    pipeline = (await real_service(settings.replace(render_slots=2, queue_max=8))).pipeline
    peak = 0
    results: list[bytes] = []

    async def render_one(i: int) -> None:
        result = await render(pipeline, "slow", {"text": f"doc {i}", "count": 300000})
        results.append(result.body)

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, len(tex_processes()))
            await trio.sleep(0.005)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(watch)
        async with trio.open_nursery() as renders:
            for i in range(6):
                renders.start_soon(render_one, i)
        nursery.cancel_scope.cancel()
    assert peak == 2
    assert sorted(pdf_text(pdf).split()[1] for pdf in results) == [str(i) for i in range(6)]


async def test_what_one_owner_rendered_is_no_cache_hit_or_known_etag_for_another(
    catalogue: Catalogue, autojump_clock: trio.testing.MockClock
) -> None:
    """Renders are partitioned by owner: a stranger sending the same data gets a render of
    its own (another TeX run, another ETag), so it cannot learn that someone rendered it."""
    engine = SleepingEngine()
    pipeline = Pipeline(catalogue, engine, RenderLimits(slots=1), cache=PdfCache(10_000_000))
    data = {"text": "a secret offer letter"}
    alice = await render(pipeline, "echo", data, owner="alice")
    again = await render(pipeline, "echo", data, owner="alice")
    bob = await render(pipeline, "echo", data, owner="bob")
    assert [alice.cached, again.cached, bob.cached] == [False, True, False]
    assert again.etag == alice.etag
    assert bob.etag != alice.etag
    assert bob.body == alice.body  # the same document, made again
    refused = await render(pipeline, "echo", data, owner="bob", if_none_match={alice.etag})
    assert not refused.not_modified
