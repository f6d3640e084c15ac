"""The one way in: build the whole render pipeline from a plain config object.

The HTTP app, the offline ``texrender render`` and the tests all call :func:`build_service`,
so they load templates, probe the engine, choose the format directory and wire the cache and
the pipeline the same way. Only what an observer wants to hear (metrics) and, for tests, the
engine itself can be passed in::

    service = await build_service(RenderConfig(template_dirs=(path,)))
    rendered = await service.pipeline.render(RenderOrder.for_data("resume-classic", data))

:meth:`RenderService.build_formats` compiles the templates' preambles; a long-running host runs
it in the background (renders compile plainly until it is done), a one-shot one may skip it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trio

from .catalogue import Catalogue
from .config import RenderConfig
from .loaded_engines import Loaded, LoadedEngines
from .outcome import RenderObserver
from .output import PageRasterizer, PdfCache, RedisCache
from .pipeline import Pipeline, UnicodePath
from .typesetting import ENGINE as UNICODE_ENGINE
from .typesetting import (
    EngineInfo,
    FormatStore,
    PdfLatexEngine,
    TexEngine,
    ZygoteStatistics,
    cut_cjk_collections,
    ensure_private_dir,
    measure_coverage,
    prepare_cyrillic_greek,
    probe_engine,
    tfm_dir,
    write_driver_config,
    write_fontconfig,
)

log = logging.getLogger("texrender")


@dataclass(frozen=True)
class RenderService:
    """The pipeline, built: what was loaded and found, and the pipeline that uses it."""

    config: RenderConfig
    catalogue: Catalogue
    engine: EngineInfo
    pipeline: Pipeline
    formats: FormatStore | None = None
    loaded: LoadedEngines | None = None

    async def run(self) -> None:
        """What a long-running host runs beside serving, until cancelled: the formats built,
        then the loaded engines (with ``zygotes`` on) kept for renders to fork from."""
        await self.build_formats()
        if self.loaded is not None:
            await self.loaded.serve()

    def zygote_statistics(self) -> ZygoteStatistics:
        """What the loaded engines have done (all zero when they are off)."""
        return self.loaded.statistics() if self.loaded is not None else ZygoteStatistics()

    async def build_formats(self) -> None:
        """Build (or adopt) and check every template's format, one at a time (the Unicode
        path's after the fast path's, and after its CJK fonts are cut)."""
        if self.formats is not None:
            await self.formats.build_missing()
        unicode = self.pipeline.unicode
        if unicode is not None and unicode.formats is not None:
            # The CJK fonts cut for xdvipdfmx, beside the formats (found there from now on).
            await trio.to_thread.run_sync(cut_cjk_collections, unicode.formats.directory)
            # xdvipdfmx's own configuration and XeTeX's fontconfig one, read from there too.
            await trio.to_thread.run_sync(write_driver_config, unicode.formats.directory)
            await trio.to_thread.run_sync(write_fontconfig, unicode.formats.directory)
            await unicode.formats.build_missing()

    def readiness(self) -> dict[str, bool]:
        """The checks that say whether this service should be sent renders now."""
        return {
            "engine_found": self.engine.found,
            "queue_not_full": not self.pipeline.statistics().queue_full,
            "formats_settled": all(store.settled for store in self._format_stores()),
        }

    def shared_cache_state(self) -> str:
        """``off`` (no shared cache), or the shared cache's state: ``up``, ``down`` or
        ``unknown``. Not a readiness check: renders go on without it."""
        shared = self.pipeline.cache_statistics().shared
        return shared.state if shared is not None else "off"

    async def aclose(self) -> None:
        """Let go of what the service holds open (the shared cache's connections)."""
        await self.pipeline.cache.aclose()

    def format_states(self) -> dict[str, str]:
        """Each template's format state (``ready``, ``pending``, ...); empty with formats off.
        The Unicode path's are named ``<template>/xelatex``."""
        states = self.formats.statuses() if self.formats else {}
        return states | _unicode_named(self.pipeline.unicode, FormatStore.statuses)

    def format_files(self) -> dict[str, str]:
        """How each ready format is stored: ``uncompressed`` (``compressed`` if it had to fall
        back)."""
        files = self.formats.files() if self.formats else {}
        return files | _unicode_named(self.pipeline.unicode, FormatStore.files)

    def _format_stores(self) -> list[FormatStore]:
        unicode = self.pipeline.unicode
        stores = [self.formats, unicode.formats if unicode is not None else None]
        return [store for store in stores if store is not None]


def _unicode_named(
    unicode: UnicodePath | None, read: Callable[[FormatStore], dict[str, str]]
) -> dict[str, str]:
    if unicode is None or unicode.formats is None:
        return {}
    return {f"{name}/{unicode.name}": value for name, value in read(unicode.formats).items()}


async def build_service(
    config: RenderConfig,
    *,
    observer: RenderObserver | None = None,
    engine: TexEngine | None = None,
) -> RenderService:
    """Load the catalogue, probe the TeX engine, plan the formats, and wire the pipeline.

    ``engine`` replaces the real sandboxed pdflatex (a fake, for tests of pure logic); formats
    are then off. A missing engine is not fatal: it is reported in ``engine`` and renders fail
    with :class:`~rendering.errors.EngineUnavailable`.

    Raises:
        CatalogueError: a template folder is malformed.
    """
    catalogue = await trio.to_thread.run_sync(Catalogue.load, config.template_dirs)
    info = await probe_engine(config.tex_engine)
    if not info.found:
        log.error("TeX engine %r not found; renders will fail", config.tex_engine)
    engine_id = f"{config.tex_engine}|{info.version}"
    formats: FormatStore | None = None
    real_engine = engine is None  # a fake engine (tests of logic) gets no Unicode path either
    format_dir: Path | None = None
    fonts: Path | None = None
    if engine is None:
        folder = await trio.to_thread.run_sync(usable_folder, config)
        format_dir = folder if config.formats_enabled else None
        fonts = await cyrillic_greek_fonts(config, folder)
        if fonts is not None:
            catalogue = catalogue.with_cyrillic_greek()
        real = PdfLatexEngine(
            config.tex_engine,
            work_root=config.work_dir,
            format_dir=format_dir,
            tfm_dir=fonts,
            user=config.tex_user,
        )
        swept = await trio.to_thread.run_sync(real.sweep_leftovers)
        if swept:
            log.warning(
                "removed %d work director%s left by a server process that stopped: %s",
                len(swept),
                "y" if len(swept) == 1 else "ies",
                ", ".join(p.name for p in swept),
            )
        if format_dir is not None:
            formats = FormatStore(real, format_dir, engine_id)
            await trio.to_thread.run_sync(formats.plan, _filled_samples(catalogue))
        engine = real
    log.info(
        "loaded %d template(s); engine %s; %d render slots",
        len(catalogue),
        info.version or "NOT FOUND",
        config.limits.slots,
    )
    pipeline = Pipeline(
        catalogue,
        engine,
        config.limits,
        observer=observer,
        formats=formats,
        cache=PdfCache(config.cache_bytes, config.cache_dir, await shared_cache(config)),
        engine_id=engine_id,
        rasterizer=PageRasterizer(work_root=config.work_dir, user=config.tex_user),
        unicode=await unicode_path(catalogue, config, format_dir) if real_engine else None,
    )
    loaded = loaded_engines(config, format_dir, formats, pipeline.unicode)
    return RenderService(config, catalogue, info, pipeline, formats, loaded)


def loaded_engines(
    config: RenderConfig,
    format_dir: Path | None,
    formats: FormatStore | None,
    unicode: UnicodePath | None,
) -> LoadedEngines | None:
    """The loaded engines of the formats planned (None when they or the formats are off):
    the fast path's started with the service, the Unicode path's on first use."""
    if not config.zygotes or format_dir is None:
        return None
    engines: list[Loaded] = []
    if formats is not None and isinstance(formats.builder, PdfLatexEngine):
        engines.append(Loaded(formats.builder, formats, prestart=True))
    if (
        unicode is not None
        and unicode.formats is not None
        and isinstance(unicode.engine, PdfLatexEngine)
    ):
        engines.append(Loaded(unicode.engine, unicode.formats, prestart=False))
    return LoadedEngines(engines, format_dir, config.zygote_shim) if engines else None


async def shared_cache(config: RenderConfig) -> RedisCache | None:
    """The Redis tier of the cache when ``cache_url`` is set, its state logged; one that does
    not answer yet is used all the same (renders go on without it until it does).

    Raises:
        ValueError: ``cache_url`` is not a Redis URL.
    """
    if config.cache_url is None:
        return None
    shared = RedisCache(
        config.cache_url,
        ttl_s=config.cache_ttl_s,
        timeout_s=config.cache_timeout_s,
        max_value_bytes=config.cache_value_max_bytes,
    )
    log.info("%s", await shared.describe())
    return shared


async def unicode_path(
    catalogue: Catalogue, config: RenderConfig, format_dir: Path | None = None
) -> UnicodePath | None:
    """XeLaTeX, what the installed fonts let it set and its formats (planned, in
    ``format_dir``), when some template has a Unicode path; None (and a warning) when the
    machine lacks the engine or the fonts."""
    if not any(template.unicode_engine for template in catalogue.values()):
        return None
    coverage = await measure_coverage()
    info = await probe_engine(UNICODE_ENGINE)
    if coverage is None or not info.found:
        log.warning(
            "no Unicode path: %s or its Noto fonts are missing; text pdfLaTeX cannot set "
            "will be refused",
            UNICODE_ENGINE,
        )
        return None
    engine = PdfLatexEngine(
        UNICODE_ENGINE, work_root=config.work_dir, format_dir=format_dir, user=config.tex_user
    )
    log.info("Unicode path: %s, %d ranges of code points", info.version, len(coverage.ranges))
    engine_id = f"{UNICODE_ENGINE}|{info.version}"
    formats: FormatStore | None = None
    if format_dir is not None:
        formats = FormatStore(engine, format_dir, engine_id)
        samples = {
            template.name: template.to_tex(template.sample, unicode=True)
            for template in catalogue.values()
            if template.unicode_engine is not None
        }
        await trio.to_thread.run_sync(formats.plan, samples)
    return UnicodePath(engine, coverage, engine_id, UNICODE_ENGINE, formats)


def usable_folder(config: RenderConfig) -> Path | None:
    """texrender's own folder for what it makes for TeX (the formats, the fonts' metrics), or
    None when it is unusable. Blocking (it may create the folder): call from a thread."""
    default = Path(tempfile.gettempdir()) / f"texrender-formats-{os.geteuid()}"
    try:
        return ensure_private_dir(config.format_dir or default)
    except OSError as exc:
        log.warning("formats disabled (and Cyrillic and Greek fonts' metrics): %s", exc)
        return None


async def cyrillic_greek_fonts(config: RenderConfig, folder: Path | None) -> Path | None:
    """The folder of the Cyrillic fonts' metrics when the fast path can set Cyrillic and Greek
    (made in ``folder`` now if they were not: rendering.typesetting._cyrgreek); None, and the
    reason logged, when it cannot (such text then takes the Unicode path)."""
    if not config.cyrillic_greek:
        reason: str | None = "turned off (cyrillic_greek)"
    elif folder is None:
        reason = "texrender has no folder of its own to make the LH fonts' metrics in"
    else:
        reason = await prepare_cyrillic_greek(folder)
    if reason is not None or folder is None:
        log.warning("Cyrillic and Greek take the Unicode path: %s", reason)
        return None
    log.info("Cyrillic and Greek on the fast path (T2A, LGR)")
    return tfm_dir(folder)


def _filled_samples(catalogue: Catalogue) -> dict[str, str]:
    """Each template's sample as TeX, by template name: what its format is built from."""
    return {template.name: template.to_tex(template.sample) for template in catalogue.values()}
