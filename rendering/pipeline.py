"""The render pipeline: validate, fill the template, wait for a slot, typeset.

One :class:`trio.CapacityLimiter` bounds how many TeX processes run at once (default: one per
CPU). In front of it sits a bounded wait queue: when every slot is busy and ``queue_max`` renders
are already waiting, a new render fails at once with :class:`RenderQueueFull` (429) instead of
piling up; a render that waits longer than ``queue_timeout_s`` gives up with
:class:`QueueTimeout` (503). Typesetting itself is bounded by ``render_timeout_s``
(:class:`TexTimeout`, 504). Cancelling :meth:`Renderer.render` (a client that went away) stops
the TeX process at once.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import trio

from .catalogue import Catalogue, Template
from .config import RenderLimits
from .errors import (
    FieldError,
    InvalidData,
    QueueTimeout,
    RenderError,
    RenderQueueFull,
    TexError,
    UnsupportedCharacter,
    json_pointer,
    outcome_of,
)
from .explain import layout_warnings, locate_error
from .outcome import NullObserver, Outcome, RenderObserver
from .output import BodyKeys, InFlight, KnownBody, PageRasterizer, PageRequest, PdfCache, render_key
from .reading import Reading, ReadWarning
from .typesetting import (
    FormatStore,
    TexEngine,
    UnicodeCoverage,
    layout_report,
    unsupported_character,
)

MAX_REMEMBERED_NOTES = 4096


@dataclass(frozen=True)
class RenderStatistics:
    """A snapshot of the renderer's load, read straight from its limiter."""

    slots: int
    busy: int
    waiting: int
    queue_max: int

    @property
    def queue_full(self) -> bool:
        return self.busy >= self.slots and self.waiting >= self.queue_max


@dataclass(frozen=True)
class UnicodePath:
    """The second engine of templates with a Unicode path, and what it can set."""

    engine: TexEngine
    coverage: UnicodeCoverage
    engine_id: str
    name: str = "xelatex"


@dataclass(frozen=True)
class RenderJob:
    """One render, read and keyed, ready to run (:meth:`Renderer.prepare` makes them)."""

    template: Template
    reading: Reading
    key: str

    @property
    def warnings(self) -> tuple[ReadWarning, ...]:
        return self.reading.warnings


@dataclass(frozen=True)
class RenderResult:
    """A rendered PDF and where the time went (seconds)."""

    pdf: bytes
    key: str
    queue_s: float
    template_s: float
    tex_s: float
    total_s: float
    cached: bool = False  # from the cache, or shared with an identical render under way
    notes: tuple[ReadWarning, ...] = ()  # what the layout is worth a warning for
    engine: str = ""  # the Unicode path's engine when it set the document; "" the fast path

    @classmethod
    def from_cache(
        cls, pdf: bytes, key: str, total_s: float = 0.0, notes: tuple[ReadWarning, ...] = ()
    ) -> RenderResult:
        return cls(pdf, key, 0.0, 0.0, 0.0, total_s, True, notes)


class Renderer:
    """Owns the limiter and the queue; turns (template name, data) into a PDF."""

    def __init__(
        self,
        catalogue: Catalogue,
        engine: TexEngine,
        limits: RenderLimits,
        observer: RenderObserver | None = None,
        formats: FormatStore | None = None,
        cache: PdfCache | None = None,
        engine_id: str = "",
        rasterizer: PageRasterizer | None = None,
        unicode: UnicodePath | None = None,
    ) -> None:
        if limits.slots < 1 or limits.queue_max < 0:
            raise ValueError("need at least one slot and a non-negative queue size")
        self.catalogue = catalogue
        self.engine = engine
        self.limits = limits
        self.observer: RenderObserver = observer or NullObserver()
        self.formats = formats
        self.cache = cache or PdfCache(0)
        self.engine_id = engine_id
        self.rasterizer = rasterizer or PageRasterizer()
        self.unicode = unicode
        self._inflight: InFlight[RenderResult] = InFlight()
        self._pictures: InFlight[bytes] = InFlight()
        # Layout warnings by render key, so a cached PDF comes with the warnings it had.
        self._notes: OrderedDict[str, tuple[ReadWarning, ...]] = OrderedDict()
        self._bodies: BodyKeys[tuple[ReadWarning, ...]] = BodyKeys()
        self._limiter = trio.CapacityLimiter(limits.slots)
        self._recent_tex_s: float | None = None  # moving average of successful TeX runs
        self._retry_spread = random.Random()  # noqa: S311 (spreading retries, not a secret)

    def statistics(self) -> RenderStatistics:
        stats = self._limiter.statistics()
        return RenderStatistics(
            slots=int(stats.total_tokens),
            busy=stats.borrowed_tokens,
            waiting=stats.tasks_waiting,
            queue_max=self.limits.queue_max,
        )

    def _body_scope(self, template: Template, strict: bool) -> str:
        return f"{template.version}|{strict}|{self.engine_id}"

    def known_body(
        self, template_name: str, body: bytes, *, strict: bool = False
    ) -> KnownBody[tuple[ReadWarning, ...]] | None:
        """What an earlier :meth:`prepare` of these very bytes found (its render key and
        warnings, as ``notes``); None for a body not seen.

        Raises:
            TemplateNotFound: no such template.
        """
        template = self.catalogue.get_template(template_name)
        digest = BodyKeys.digest(self._body_scope(template, strict), body)
        return self._bodies.get(digest)

    def cached_pdf(self, key: str) -> bytes | None:
        """The PDF for ``key`` if it is cached in memory (no I/O); counted as a hit if so."""
        return self.cache.peek(key)

    def layout_notes(self, key: str) -> tuple[ReadWarning, ...]:
        """The layout warnings the render of ``key`` had (none if it had none, or is forgotten)."""
        return self._notes.get(key, ())

    def _remember_notes(self, key: str, notes: tuple[ReadWarning, ...]) -> None:
        if not notes:
            return
        self._notes[key] = notes
        self._notes.move_to_end(key)
        while len(self._notes) > MAX_REMEMBERED_NOTES:
            self._notes.popitem(last=False)

    def served_from_cache(self, template_name: str) -> None:
        """Count a render answered without reading its data (a 304 or a known body's PDF)."""
        self.observer.finished(template_name, Outcome.CACHED)

    def prepare(
        self, template_name: str, data: Any, *, strict: bool = False, body: bytes | None = None
    ) -> RenderJob:
        """Read ``data`` for the named template (leniently unless ``strict``) and key it.

        A failure is reported to the observer like any other render outcome.

        Raises:
            TemplateNotFound: no such template.
            InvalidData: the data is not plain JSON.
            UnsupportedCharacter: the data holds characters the template cannot typeset.
        """
        template = self.catalogue.get_template(template_name)
        try:
            reading = template.read(data, strict=strict, unicode=self.unicode_coverage)
            key = self.key_for(template, reading.data, unicode=reading.unicode)
            job = RenderJob(template, reading, key)
        except RenderError as exc:
            self.observer.finished(template.name, exc.outcome)
            raise
        if body is not None:
            digest = BodyKeys.digest(self._body_scope(template, strict), body)
            self._bodies.put(digest, KnownBody(job.key, reading.warnings))
        return job

    async def render(self, template_name: str, data: Any, *, strict: bool = False) -> RenderResult:
        """Prepare and run one render (see :meth:`prepare` and :meth:`run`)."""
        return await self.run(self.prepare(template_name, data, strict=strict))

    async def run(self, job: RenderJob) -> RenderResult:
        """Render a prepared job, reporting the outcome to the observer.

        Raises:
            InvalidData: the data fails the template's schema.
            RenderQueueFull: every slot is busy and the queue is full.
            QueueTimeout: no slot came free within ``queue_timeout_s``.
            TexError, TexTimeout, EngineUnavailable: from the engine.
        """
        started = trio.current_time()
        template, key = job.template, job.key
        outcome = Outcome.ERROR
        try:
            pdf = await self.cache.get(key) if self.cache.enabled else None
            if pdf is not None:
                outcome = Outcome.CACHED
                elapsed = trio.current_time() - started
                return RenderResult.from_cache(pdf, key, elapsed, self.layout_notes(key))
            result, shared = await self._inflight.run(key, lambda: self._render(job, started))
            if shared:
                outcome = Outcome.CACHED
                elapsed = trio.current_time() - started
                return dataclasses.replace(
                    result, queue_s=0.0, template_s=0.0, tex_s=0.0, total_s=elapsed, cached=True
                )
            outcome = Outcome.OK
            return result
        except BaseException as exc:
            outcome = outcome_of(exc)
            raise
        finally:
            self.observer.finished(template.name, outcome)

    @staticmethod
    def picture_key(key: str, page: PageRequest) -> str:
        """The cache key of a page picture of the render ``key``."""
        return f"{key}.{page.suffix()}"

    async def page_png(self, key: str, pdf: bytes, page: PageRequest) -> bytes:
        """One page of the rendered ``pdf`` (render key ``key``) as a PNG: from the cache, from
        an identical request under way, or rasterized under a render slot and cached.

        Raises:
            PageNotFound: the document has fewer pages.
            QueueTimeout: no slot came free within ``queue_timeout_s``.
            TexTimeout, EngineUnavailable: from the rasterizer.
        """
        picture_key = self.picture_key(key, page)
        cached = await self.cache.get(picture_key) if self.cache.enabled else None
        if cached is not None:
            return cached
        picture, _ = await self._pictures.run(
            picture_key, lambda: self._rasterize(picture_key, pdf, page)
        )
        return picture

    async def _wait_for_slot(self) -> None:
        """Take a render slot (release it with ``self._limiter.release()``).

        Raises:
            QueueTimeout: none came free within ``queue_timeout_s``.
        """
        with trio.move_on_after(self.limits.queue_timeout_s) as waiting:
            await self._limiter.acquire()
        if waiting.cancelled_caught:
            raise QueueTimeout(f"no render slot came free within {self.limits.queue_timeout_s:g} s")

    async def _rasterize(self, picture_key: str, pdf: bytes, page: PageRequest) -> bytes:
        await self._wait_for_slot()
        try:
            picture = await self.rasterizer.png(pdf, page, timeout_s=self.limits.render_timeout_s)
        finally:
            self._limiter.release()
        if self.cache.enabled:
            await self.cache.put(picture_key, picture)
        return picture

    def sharing(self, key: str) -> int:
        """How many renders of ``key`` are waiting for an identical one under way."""
        return self._inflight.waiting(key)

    @property
    def unicode_coverage(self) -> UnicodeCoverage | None:
        """What the Unicode path can set (None: no Unicode path on this machine)."""
        return self.unicode.coverage if self.unicode is not None else None

    def key_for(self, template: Template | str, data: Any, *, unicode: bool = False) -> str:
        """The content address of a render: equal keys give the same document.

        Raises:
            TemplateNotFound: ``template`` names no template.
            InvalidData: the data holds a value JSON cannot represent (NaN, infinity).
        """
        if isinstance(template, str):
            template = self.catalogue.get_template(template)
        engine_id = self.unicode.engine_id if unicode and self.unicode else self.engine_id
        try:
            return render_key(template.version, data, engine_id)
        except ValueError as exc:
            message = f"the data is not plain JSON: {exc}"
            raise InvalidData(message, [FieldError("", message)]) from exc

    def expected_wait_s(self) -> float:
        """How long a render arriving now would wait for a slot: whole rounds of the renders
        ahead of it (waiting ones, plus itself, over the slots) at the recent TeX time; 0 while
        a slot is free or before any render has been timed."""
        stats = self.statistics()
        if stats.busy < stats.slots or self._recent_tex_s is None:
            return 0.0
        rounds = stats.waiting // stats.slots + 1
        return rounds * self._recent_tex_s

    def admit(self, template_name: str, key: str | None = None) -> None:
        """Refuse a render at the door, before its body is even parsed, when it would not be
        given a slot in time; a render of ``key`` already under way is let in (it will share
        that render's result and needs no slot). A refusal is reported to the observer.

        Raises:
            RenderQueueFull: see :meth:`_admit`.
        """
        if key is not None and key in self._inflight:
            return
        try:
            self._admit()
        except RenderQueueFull as exc:
            self.observer.finished(template_name, exc.outcome)
            raise

    def _admit(self) -> None:
        """Refuse a render that cannot be served in time, before any work is done for it.

        Raises:
            RenderQueueFull: the queue is full, or the expected wait is past the maximum;
                ``retry_after_s`` is the expected wait, spread up to half as long again and
                rounded up, so the clients refused in one burst do not all come back at once.
        """
        stats = self.statistics()
        wait = self.expected_wait_s()
        retry = max(1, math.ceil(wait * self._retry_spread.uniform(1.0, 1.5)))
        if stats.queue_full:
            raise RenderQueueFull(
                f"all {stats.slots} render slots are busy and {stats.queue_max} renders are "
                "waiting",
                retry,
            )
        if wait > self.limits.queue_max_wait_s:
            raise RenderQueueFull(
                f"the expected wait for a render slot ({wait:.1f} s) is longer than "
                f"{self.limits.queue_max_wait_s:g} s",
                retry,
            )

    def _remember_tex_time(self, seconds: float) -> None:
        previous = self._recent_tex_s
        self._recent_tex_s = seconds if previous is None else 0.8 * previous + 0.2 * seconds

    async def _render(self, job: RenderJob, started: float) -> RenderResult:
        template, data, key = job.template, job.reading.data, job.key
        unicode = job.reading.unicode and self.unicode is not None
        self._admit()  # before validating and filling: a refusal costs next to nothing
        template.validate(data, job.reading.explanations)  # a 422 comes at once, not queued
        validated = trio.current_time()

        try:
            await self._wait_for_slot()
        finally:
            self.observer.queue_waited(template.name, trio.current_time() - validated)
        try:
            admitted = trio.current_time()
            # Filled once a slot is ours, not on arrival: the fills of a burst of arrivals are
            # spread out at the pace of TeX instead of holding the event loop all at once.
            source = template.to_tex(data, unicode=unicode)
            filled = trio.current_time()
            if unicode:
                assert self.unicode is not None
                engine, fmt = self.unicode.engine, None
            else:
                engine = self.engine
                fmt = self.formats.format_for(template.name, source) if self.formats else None
            try:
                compiled = await engine.compile(
                    source, timeout_s=self.limits.render_timeout_s, format_name=fmt
                )
            except TexError as exc:
                raise _explain(exc, template, data, unicode) from exc
            finally:
                self.observer.typeset(template.name, trio.current_time() - filled)
            self._remember_tex_time(compiled.tex_seconds)
        finally:
            self._limiter.release()
        notes = layout_warnings(template, data, layout_report(compiled.log), unicode=unicode)
        self._remember_notes(key, notes)
        if self.cache.enabled:
            await self.cache.put(key, compiled.pdf)
        finished = trio.current_time()
        return RenderResult(
            pdf=compiled.pdf,
            key=key,
            queue_s=admitted - validated,
            template_s=(validated - started) + (filled - admitted),
            tex_s=compiled.tex_seconds,
            total_s=finished - started,
            notes=notes,
            engine=self.unicode.name if unicode and self.unicode else "",
        )


def _explain(error: TexError, template: Template, data: Any, unicode: bool) -> Exception:
    """Turn "Unicode character X not set up" into a 422 that names the field holding X; any
    other error is traced to its template line and data value."""
    char = unsupported_character(error.tex)
    if char is None:
        return locate_error(template, data, error, unicode=unicode)
    pointers = list(find_character(data, char))
    message = f"character {char!r} (U+{ord(char):04X}) cannot be typeset by this template"
    errors = [FieldError(pointer, message) for pointer in pointers] or [FieldError("", message)]
    return UnsupportedCharacter(message, errors)


def find_character(data: Any, char: str, path: tuple[object, ...] = ()) -> Iterator[str]:
    """JSON Pointers of every string (key or value) in ``data`` that contains ``char``."""
    if isinstance(data, str):
        if char in data:
            yield json_pointer(path)
    elif isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and char in key:
                yield json_pointer((*path, key))
            yield from find_character(value, char, (*path, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from find_character(item, char, (*path, index))
