"""The one door: a :class:`RenderOrder` in, a :class:`Rendered` document out.

The HTTP routes, ``texrender render`` and the tests all make the same call::

    rendered = await pipeline.render(RenderOrder.for_data("resume-classic", data))

Behind it, in order: the template is looked up; data seen before (the same request body, the
same stored revision) finds its render key without being read again, and so its 304 or its
cached PDF; a render that would get no slot in time is refused before any work
(:mod:`rendering.admission`); the data is read (:mod:`rendering.reading`) and keyed; the
client's copy, if current, is a 304; then the cache, a render of the same key already under way,
or a slot, the filling and TeX; a page picture last. Every outcome is reported to the observer
once. Cancelling :meth:`Pipeline.render` (a client that went away) stops the TeX process at once.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import trio

from .admission import Admission, RenderStatistics
from .catalogue import Catalogue, Template
from .config import RenderLimits
from .errors import (
    FieldError,
    InvalidData,
    ReadWarning,
    RenderError,
    RenderQueueFull,
    TexError,
    outcome_of,
)
from .explain import explain_tex_error, layout_warnings
from .outcome import NullObserver, Outcome, RenderObserver
from .output import (
    CacheStatistics,
    InFlight,
    PageRasterizer,
    PageRequest,
    PdfCache,
    Recent,
    body_digest,
    render_key,
)
from .reading import Reading
from .typesetting import (
    CompileResult,
    FormatStore,
    TexEngine,
    UnicodeCoverage,
    layout_report,
)

PDF = "application/pdf"
PNG = "image/png"
# A last page filled less than this (a few lines of a résumé's page) is worth a second run one
# notch tighter, in a template that can be fitted (``fit = true`` in its template.toml).
FIT_LAST_PAGE_BELOW = 0.15


@dataclass(frozen=True)
class UnicodePath:
    """The second engine of templates with a Unicode path, and what it can set."""

    engine: TexEngine
    coverage: UnicodeCoverage
    engine_id: str
    name: str = "xelatex"
    formats: FormatStore | None = None  # its preambles, precompiled


@dataclass(frozen=True)
class RenderOrder:
    """One document asked for.

    ``load`` produces the data when it must be read; ``identity`` names that data without
    reading it (the request body as sent, a stored document's id and revision), so a repeat is
    answered from what the first one found; None: nothing is remembered. ``if_none_match``
    holds the validators the client already has (opaque parts, weak comparison). ``owner``
    names whose render it is: renders wait in their owner's turn, and what one owner rendered
    is never a cache hit, a shared render or a known ETag for another.
    """

    template: str
    load: Callable[[], Any]
    identity: bytes | None = None
    strict: bool = False
    page: PageRequest | None = None
    if_none_match: Collection[str] = ()
    owner: str = ""  # whose render: its fair share of the queue, its own cache partition
    paper: str | None = None  # the paper size asked for; None: the usual one for the data
    tagged: bool = False  # a tagged PDF (and pictures of it): costlier in TeX, so only if asked

    @classmethod
    def for_data(
        cls,
        template: str,
        data: Any,
        *,
        strict: bool = False,
        page: PageRequest | None = None,
        paper: str | None = None,
        tagged: bool = False,
    ) -> RenderOrder:
        """An order for data already in hand (the command line, tests)."""
        return cls(template, lambda: data, strict=strict, page=page, paper=paper, tagged=tagged)

    def scope(self, template_version: str, engine_id: str) -> str:
        """What, beside the data, makes this order's document what it is (who asks, which
        template version, how the data is read, on which engine, paper and tagging): the same
        request body in another scope may be another document."""
        parts = (self.owner, template_version, self.strict, engine_id, self.paper, self.tagged)
        return "|".join(str(part) for part in parts)


@dataclass(frozen=True)
class Timings:
    """Where a render's time went, in seconds (all but ``total_s`` are 0 for a cached one)."""

    template_s: float = 0.0
    queue_s: float = 0.0
    tex_s: float = 0.0
    total_s: float = 0.0


@dataclass(frozen=True)
class Rendered:
    """What the pipeline answers: the document (or "not modified") and what to say about it."""

    body: bytes  # the PDF or the PNG; empty when not modified
    media_type: str
    etag: str  # the opaque part of a weak validator
    filename: str
    outcome: Outcome  # ok, or cached (from the cache, a shared render, or not modified)
    warnings: tuple[ReadWarning, ...] = ()  # what reading changed, then what the layout shows
    timings: Timings = Timings()
    engine: str = ""  # the Unicode path's engine when it set the document; "" the fast path
    not_modified: bool = False

    @property
    def cached(self) -> bool:
        return self.outcome is Outcome.CACHED


@dataclass(frozen=True)
class Checked:
    """The data as it would be rendered, what reading changed, and what is still wrong."""

    template: Template
    reading: Reading
    problem: InvalidData | None


@dataclass(frozen=True)
class _Known:
    """What reading some data once found out: its render key and the reading's warnings."""

    key: str
    warnings: tuple[ReadWarning, ...]


@dataclass(frozen=True)
class _Job:
    template: Template
    reading: Reading
    key: str
    owner: str
    paper: str
    tagged: bool


@dataclass(frozen=True)
class _Typeset:
    pdf: bytes
    timings: Timings
    warnings: tuple[ReadWarning, ...]  # what the layout shows
    engine: str


class Pipeline:
    """Owns the slots, the cache, the in-flight renders and what earlier requests found out."""

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
        self.catalogue = catalogue
        self.engine = engine
        self.admission = Admission(limits)
        self.limits = limits
        self.observer: RenderObserver = observer or NullObserver()
        self.formats = formats
        self.cache = cache or PdfCache(0)
        self.engine_id = engine_id
        self.rasterizer = rasterizer or PageRasterizer()
        self.unicode = unicode
        self._renders: InFlight[_Typeset] = InFlight()
        self._pictures: InFlight[bytes] = InFlight()
        self._known: Recent[_Known] = Recent()
        # Layout warnings by render key, so a cached PDF comes with the warnings it had.
        self._layout: Recent[tuple[ReadWarning, ...]] = Recent()

    # --- what the server reads at scrape time ---------------------------------------------

    def statistics(self) -> RenderStatistics:
        return self.admission.statistics()

    def cache_statistics(self) -> CacheStatistics:
        return self.cache.statistics()

    @property
    def unicode_coverage(self) -> UnicodeCoverage | None:
        """What the Unicode path can set (None: no Unicode path on this machine)."""
        return self.unicode.coverage if self.unicode is not None else None

    # --- the door ---------------------------------------------------------------------------

    async def render(self, order: RenderOrder) -> Rendered:
        """The document ``order`` asks for.

        Raises:
            TemplateNotFound: no such template.
            UnsupportedPaper: the template is not made for the paper size asked for.
            InvalidData: the data fails the template's schema (or is not plain JSON).
            UnsupportedCharacter, DataTooLarge: the data cannot be set.
            RenderQueueFull: refused at the door; QueueTimeout: no slot in time.
            TexError, TexTimeout, EngineUnavailable: from the engine or the rasterizer.
            PageNotFound: a page past the last.
            Any exception ``order.load`` raises, before anything is reported.
        """
        started = trio.current_time()
        template = self.catalogue.get_template(order.template)
        digest = self._digest(template, order)
        known = self._known.get(digest) if digest is not None else None
        if known is not None:
            warnings = (*known.warnings, *self._layout_of(known.key))
            answer = self._from_memory(template, order, known.key, warnings, started)
            if answer is not None:
                return answer
        # A render of a key already under way is let in: it joins that render.
        if known is None or known.key not in self._renders:
            self._check_admission(template, order.owner)
        job = self._read(template, order)
        if digest is not None:
            self._known.put(digest, _Known(job.key, job.reading.warnings))
        if self._etag(job.key, order.page) in order.if_none_match:
            self.observer.finished(template.name, Outcome.CACHED)
            return self._not_modified(template, order.page, job.key, job.reading.warnings)
        try:
            typeset, outcome = await self._pdf(job, started)
            body, timings = typeset.pdf, typeset.timings
            if order.page is not None:
                body = await self._picture(job.key, typeset.pdf, order.page, order.owner)
                timings = dataclasses.replace(timings, total_s=trio.current_time() - started)
        except RenderError as exc:
            exc.warnings = job.reading.warnings
            raise
        warnings = (*job.reading.warnings, *typeset.warnings)
        return self._answer(
            template, order.page, job.key, body, outcome, warnings, timings, typeset.engine
        )

    def refusal_at_door(self, order: RenderOrder) -> RenderQueueFull | None:
        """The refusal :meth:`render` would answer ``order`` with at once for want of a slot,
        reported as that render's outcome; None when it might go on: a free slot or room to
        wait, or data seen before (its PDF may be cached, its render under way: :meth:`render`
        decides, and refuses it there if it must).

        Reads no data and takes nothing from the owner's rate: the server asks this before a
        request's machinery runs, so a refusal under overload costs next to nothing.

        Raises:
            TemplateNotFound: no such template.
        """
        template = self.catalogue.get_template(order.template)
        refused = self.admission.refusal(order.owner)
        if refused is None:
            return None
        digest = self._digest(template, order)
        if digest is not None and self._known.get(digest) is not None:
            return None
        self.observer.finished(template.name, refused.outcome)
        return refused

    def _digest(self, template: Template, order: RenderOrder) -> str | None:
        """What names ``order``'s data in :attr:`_known` (its identity in its scope); None
        when the order's data has no identity."""
        if order.identity is None:
            return None
        return body_digest(order.scope(template.version, self.engine_id), order.identity)

    def check(self, order: RenderOrder) -> Checked:
        """The dry run: the data read and validated as a render would, no TeX.

        Raises:
            TemplateNotFound: no such template.
            DataTooLarge, UnsupportedCharacter: the data cannot be read at all.
        """
        template = self.catalogue.get_template(order.template)
        reading, problem = template.check(
            order.load(), strict=order.strict, unicode=self.unicode_coverage
        )
        return Checked(template, reading, problem)

    def tex_source(self, order: RenderOrder) -> tuple[str, tuple[ReadWarning, ...]]:
        """The TeX source a render of ``order`` would typeset, and what reading changed.

        Raises:
            TemplateNotFound, UnsupportedPaper, InvalidData, UnsupportedCharacter,
            DataTooLarge.
        """
        checked = self.check(order)
        if checked.problem is not None:
            raise checked.problem
        reading, template = checked.reading, checked.template
        paper = template.paper_for(reading.data, order.paper)
        source = template.to_tex(
            reading.data,
            unicode=reading.unicode,
            paper=paper,
            tagged=order.tagged,
            language=reading.language,
        )
        return source, reading.warnings

    # --- the steps --------------------------------------------------------------------------

    def _from_memory(
        self,
        template: Template,
        order: RenderOrder,
        key: str,
        warnings: tuple[ReadWarning, ...],
        started: float,
    ) -> Rendered | None:
        """A 304 or a cached document for a render key already known; None to go on."""
        if self._etag(key, order.page) in order.if_none_match:
            self.observer.finished(template.name, Outcome.CACHED)
            return self._not_modified(template, order.page, key, warnings)
        cached = self.cache.peek(self._cache_key(key, order.page))
        if cached is None:
            return None
        self.observer.finished(template.name, Outcome.CACHED)
        timings = Timings(total_s=trio.current_time() - started)
        return self._answer(template, order.page, key, cached, Outcome.CACHED, warnings, timings)

    def _check_admission(self, template: Template, owner: str) -> None:
        try:
            self.admission.check(owner)
        except RenderQueueFull as exc:
            self.observer.finished(template.name, exc.outcome)
            raise

    def _read(self, template: Template, order: RenderOrder) -> _Job:
        """Read the order's data for ``template`` (leniently unless strict) and key it; a
        failure is reported to the observer like any other outcome."""
        try:
            data = order.load()
            reading = template.read(data, strict=order.strict, unicode=self.unicode_coverage)
            paper = template.paper_for(reading.data, order.paper)
            key = self._key(template, reading, order.owner, paper, order.tagged)
            return _Job(template, reading, key, order.owner, paper, order.tagged)
        except RenderError as exc:
            self.observer.finished(template.name, exc.outcome)
            raise

    def _key(
        self, template: Template, reading: Reading, owner: str, paper: str, tagged: bool
    ) -> str:
        """The content address of a render: equal keys give the same document.

        Raises:
            InvalidData: the data holds a value JSON cannot represent (NaN, infinity).
        """
        unicode = reading.unicode and self.unicode is not None
        engine_id = self.unicode.engine_id if unicode and self.unicode else self.engine_id
        try:
            return render_key(template.version, reading.data, engine_id, owner, paper, tagged)
        except ValueError as exc:
            message = f"the data is not plain JSON: {exc}"
            raise InvalidData(message, [FieldError("", message)]) from exc

    async def _pdf(self, job: _Job, started: float) -> tuple[_Typeset, Outcome]:
        """The PDF of ``job``: from the cache, shared with a render under way, or typeset."""
        outcome = Outcome.ERROR
        try:
            cached = await self.cache.fetch(job.key) if self.cache.enabled else None
            if cached is not None:
                outcome = Outcome.CACHED
                timings = Timings(total_s=trio.current_time() - started)
                warnings = self._layout_of(job.key, cached.notes)
                return _Typeset(cached.body, timings, warnings, ""), outcome
            typeset, shared = await self._renders.run(job.key, lambda: self._typeset(job, started))
            if shared:
                outcome = Outcome.CACHED
                timings = Timings(total_s=trio.current_time() - started)
                return dataclasses.replace(typeset, timings=timings), outcome
            outcome = Outcome.OK
            return typeset, outcome
        except BaseException as exc:
            outcome = outcome_of(exc)
            raise
        finally:
            self.observer.finished(job.template.name, outcome)

    async def _typeset(self, job: _Job, started: float) -> _Typeset:
        template, data = job.template, job.reading.data
        unicode = job.reading.unicode and self.unicode is not None
        template.validate(data, job.reading.explanations)  # a 422 comes at once, not queued
        validated = trio.current_time()
        admitted: float | None = None
        try:
            async with self.admission.slot(job.owner):
                admitted = trio.current_time()
                self.observer.queue_waited(template.name, admitted - validated)
                # Filled once a slot is ours, not on arrival: the fills of a burst of arrivals
                # are spread out at the pace of TeX instead of holding the event loop at once.
                source = template.to_tex(
                    data,
                    unicode=unicode,
                    paper=job.paper,
                    tagged=job.tagged,
                    language=job.reading.language,
                )
                filled = trio.current_time()
                if unicode:
                    assert self.unicode is not None
                    engine, formats = self.unicode.engine, self.unicode.formats
                else:
                    engine, formats = self.engine, self.formats
                # The formats hold the untagged preamble: a tagged render compiles plainly
                # (format_for would find its preamble differs, and say so in the log).
                fmt = (
                    formats.format_for(template.name, source)
                    if formats and not job.tagged
                    else None
                )
                try:
                    compiled = await engine.compile(
                        source, timeout_s=self.limits.render_timeout_s, format_name=fmt
                    )
                    if template.fit and _last_page_short(compiled.log):
                        compiled = await self._fitted(job, unicode, engine, fmt, compiled)
                except TexError as exc:
                    raise explain_tex_error(
                        exc, template, data, unicode=unicode, paper=job.paper, tagged=job.tagged
                    ) from exc
                finally:
                    self.observer.typeset(template.name, trio.current_time() - filled)
                self.admission.timed(compiled.tex_seconds)
        finally:
            if admitted is None:  # gave up waiting, or was cancelled in the queue
                self.observer.queue_waited(template.name, trio.current_time() - validated)
        warnings = layout_warnings(
            template, data, compiled.log, unicode=unicode, paper=job.paper, tagged=job.tagged
        )
        if warnings:
            self._layout.put(job.key, warnings)
        if self.cache.enabled:
            await self.cache.put(job.key, compiled.pdf, _notes_of(warnings))
        timings = Timings(
            template_s=(validated - started) + (filled - admitted),
            queue_s=admitted - validated,
            tex_s=compiled.tex_seconds,
            total_s=trio.current_time() - started,
        )
        engine_name = self.unicode.name if unicode and self.unicode else ""
        return _Typeset(compiled.pdf, timings, warnings, engine_name)

    async def _fitted(
        self,
        job: _Job,
        unicode: bool,
        engine: TexEngine,
        fmt: str | None,
        first: CompileResult,
    ) -> CompileResult:
        """Shrink to fit: a document whose last page would hold only a few lines, set again
        one notch tighter (``texrender_fit``: the template's leading a little smaller); kept
        when it has fewer pages. One more run at most, and only when the first left time
        enough of the render timeout for it."""
        left = self.limits.render_timeout_s - first.tex_seconds
        if left < 2 * first.tex_seconds:
            return first
        template, data = job.template, job.reading.data
        source = template.to_tex(
            data,
            unicode=unicode,
            paper=job.paper,
            fit=True,
            tagged=job.tagged,
            language=job.reading.language,
        )
        second = await engine.compile(source, timeout_s=left, format_name=fmt)
        before, after = layout_report(first.log).pages, layout_report(second.log).pages
        better = second if before and after and after < before else first
        return dataclasses.replace(better, tex_seconds=first.tex_seconds + second.tex_seconds)

    async def _picture(self, key: str, pdf: bytes, page: PageRequest, owner: str) -> bytes:
        """One page of the PDF of ``key`` as a PNG: from the cache, from an identical request
        under way, or rasterized under a render slot and cached."""
        picture_key = self._cache_key(key, page)
        cached = await self.cache.get(picture_key) if self.cache.enabled else None
        if cached is not None:
            return cached
        picture, _ = await self._pictures.run(
            picture_key, lambda: self._rasterize(picture_key, pdf, page, owner)
        )
        return picture

    async def _rasterize(
        self, picture_key: str, pdf: bytes, page: PageRequest, owner: str
    ) -> bytes:
        async with self.admission.slot(owner):
            picture = await self.rasterizer.png(pdf, page, timeout_s=self.limits.render_timeout_s)
        if self.cache.enabled:
            await self.cache.put(picture_key, picture)
        return picture

    # --- the answer -------------------------------------------------------------------------

    def _layout_of(self, key: str, notes: bytes = b"") -> tuple[ReadWarning, ...]:
        """The layout warnings of ``key``'s PDF: as this instance saw them, or as the instance
        that typeset it left them in the shared cache (``notes``)."""
        known = self._layout.get(key)
        if known is None and notes:
            known = _warnings_of(notes)
            self._layout.put(key, known)
        return known or ()

    @staticmethod
    def _cache_key(key: str, page: PageRequest | None) -> str:
        return key if page is None else f"{key}.{page.suffix()}"

    @staticmethod
    def _etag(key: str, page: PageRequest | None) -> str:
        """The opaque part of a weak validator, from the render key: renders of the same input
        are the same document (byte-identical from the same start; from a format or not, they
        may differ in bytes, hence weak). A page picture adds its page and resolution."""
        return key[:32] if page is None else f"{key[:32]}-{page.suffix()}"

    def _not_modified(
        self,
        template: Template,
        page: PageRequest | None,
        key: str,
        warnings: tuple[ReadWarning, ...],
    ) -> Rendered:
        """Output is deterministic: the client's copy is this document. No TeX, no cache read."""
        media, filename = _media(template, page)
        return Rendered(
            b"", media, self._etag(key, page), filename, Outcome.CACHED, warnings, not_modified=True
        )

    def _answer(
        self,
        template: Template,
        page: PageRequest | None,
        key: str,
        body: bytes,
        outcome: Outcome,
        warnings: tuple[ReadWarning, ...],
        timings: Timings,
        engine: str = "",
    ) -> Rendered:
        media, filename = _media(template, page)
        etag = self._etag(key, page)
        return Rendered(body, media, etag, filename, outcome, warnings, timings, engine)


def _last_page_short(log: str) -> bool:
    """Whether a document of several pages ends on a page it fills less than
    :data:`FIT_LAST_PAGE_BELOW` of (as the template reported it in the log)."""
    report = layout_report(log)
    fill = report.last_page_fill
    return (report.pages or 0) > 1 and fill is not None and fill < FIT_LAST_PAGE_BELOW


def _notes_of(warnings: tuple[ReadWarning, ...]) -> bytes:
    """Layout warnings as the notes of a cached PDF (empty when there are none)."""
    if not warnings:
        return b""
    return json.dumps([[w.pointer, w.message] for w in warnings]).encode()


def _warnings_of(notes: bytes) -> tuple[ReadWarning, ...]:
    """The layout warnings :func:`_notes_of` wrote; none if the notes cannot be read."""
    try:
        return tuple(
            ReadWarning(str(pointer), str(message)) for pointer, message in json.loads(notes)
        )
    except (ValueError, TypeError):
        return ()


def _media(template: Template, page: PageRequest | None) -> tuple[str, str]:
    """The media type and file name of a document or of one page's picture. Template names are
    ``[a-z0-9-]`` (checked by the catalogue): the file name is always safe."""
    if page is None:
        return PDF, f"{template.name}.pdf"
    return PNG, f"{template.name}-page-{page.page}.png"
