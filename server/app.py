"""The application factory. No module-level app: ``create_app(settings)`` builds one."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import subprocess
import tempfile
from pathlib import Path

import trio
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException

from rendering.cache import PdfCache
from rendering.catalogue import Catalogue
from rendering.errors import RenderError
from rendering.formats import FormatStore, ensure_private_dir
from rendering.renderer import Renderer, RenderLimits
from rendering.runner import PdfLatexEngine, TexEngine

from . import problems
from .access import record_request, start_timer
from .asgi import ResponseSafeHTTPConnection
from .metrics import Metrics
from .request_id import assign_request_id, echo_request_id
from .routes import catalogue, ops, render
from .settings import Settings
from .state import EXTENSION_KEY, AppState, EngineInfo

log = logging.getLogger("texrender")


def texrender_version() -> str:
    try:
        return importlib.metadata.version("texrender")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class TexrenderApp(QuartTrio):
    asgi_http_class = ResponseSafeHTTPConnection


def create_app(settings: Settings, *, engine: TexEngine | None = None) -> TexrenderApp:
    """Build the app. Templates are loaded and the engine probed when it starts serving.

    ``engine`` replaces the real pdflatex runner (tests use fakes for pure HTTP logic).
    """
    app = TexrenderApp("texrender")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = True
    metrics = Metrics()
    background = trio.CancelScope()

    for blueprint in (render.blueprint, catalogue.blueprint, ops.blueprint):
        app.register_blueprint(blueprint)
    app.before_request(assign_request_id)
    app.before_request(start_timer)
    app.after_request(record_request)
    app.after_request(echo_request_id)
    app.register_error_handler(RenderError, problems.render_error)
    app.register_error_handler(HTTPException, problems.http_exception)
    app.register_error_handler(Exception, problems.unexpected)

    @app.before_serving
    async def start() -> None:
        state = await build_state(settings, engine, metrics)
        app.extensions[EXTENSION_KEY] = state
        metrics.set_build_info(texrender_version(), state.engine.version)
        metrics.watch_renderer(state.renderer.statistics, state.renderer.cache.statistics)

        async def background_work() -> None:
            # Cancelled by `stop`: the lifespan nursery waits for its children at shutdown.
            with background:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(metrics.measure_loop_lag)
                    if state.formats is not None:
                        nursery.start_soon(state.formats.build_missing, state.catalogue.values())

        app.nursery.start_soon(background_work)

    @app.after_serving
    async def stop() -> None:
        background.cancel()

    return app


async def build_state(
    settings: Settings, engine: TexEngine | None, metrics: Metrics | None = None
) -> AppState:
    """Load the catalogue and plan the formats (in a thread: file I/O), probe the TeX engine."""
    metrics = metrics or Metrics()
    loaded = await trio.to_thread.run_sync(Catalogue.load, settings.template_dirs)
    info = await probe_engine(settings.tex_engine)
    formats: FormatStore | None = None
    engine_id = f"{settings.tex_engine}|{info.version}"
    if engine is None:
        format_dir = await trio.to_thread.run_sync(usable_format_dir, settings)
        real = PdfLatexEngine(
            settings.tex_engine,
            work_root=settings.work_dir,
            format_dir=format_dir,
            user=settings.tex_user,
        )
        if format_dir is not None:
            formats = FormatStore(real, format_dir, engine_id)
            await trio.to_thread.run_sync(formats.plan, list(loaded.values()))
        engine = real
    limits = RenderLimits(
        slots=settings.render_slots,
        queue_max=settings.queue_max,
        queue_timeout_s=settings.queue_timeout_s,
        render_timeout_s=settings.render_timeout_s,
    )
    log.info(
        "loaded %d template(s); engine %s; %d render slots",
        len(loaded),
        info.version or "NOT FOUND",
        limits.slots,
    )
    cache = PdfCache(settings.cache_bytes, settings.cache_dir)
    renderer = Renderer(
        loaded, engine, limits, observer=metrics, formats=formats, cache=cache, engine_id=engine_id
    )
    return AppState(settings, loaded, renderer, info, metrics, formats)


def usable_format_dir(settings: Settings) -> Path | None:
    """The directory for precompiled formats, or None when formats are off or it is unusable."""
    if not settings.formats_enabled:
        return None
    default = Path(tempfile.gettempdir()) / f"texrender-formats-{os.geteuid()}"
    try:
        return ensure_private_dir(settings.format_dir or default)
    except OSError as exc:
        log.warning("formats disabled: %s", exc)
        return None


async def probe_engine(executable: str) -> EngineInfo:
    """Ask the engine for its version; a missing engine is reported, not fatal."""
    try:
        result = await trio.run_process(
            [executable, "--version"],
            capture_stdout=True,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    except OSError:
        log.error("TeX engine %r not found; renders will fail", executable)
        return EngineInfo(found=False, version="")
    first_line = result.stdout.decode(errors="replace").splitlines()[:1]
    return EngineInfo(found=result.returncode == 0, version=first_line[0] if first_line else "")
