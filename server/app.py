"""The application factory. No module-level app: ``create_app(settings)`` builds one.

The app is Quart wiring only: the render pipeline is built by :func:`rendering.build_service`
at start-up, the same way the offline CLI and the tests build it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import trio
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException

from rendering import RenderError, TexEngine

from .http import problems
from .http.access_log import record_request
from .http.asgi import ResponseSafeHTTPConnection
from .http.auth import announce_auth, authenticate
from .http.body import refuse_ambiguous_length
from .http.early_refusal import EarlyRefusal
from .http.record import open_record, stamp_response
from .http.security import security_headers
from .metrics import Metrics
from .routes import catalogue, docs, documents, ops, playground, render, validate
from .settings import Settings
from .startup import Opened, open_parts
from .state import EXTENSION_KEY, AppState
from .store import StoreError
from .store.health import DatabaseCheck
from .tarpit import Tarpit
from .version import texrender_version


class TexrenderApp(QuartTrio):
    asgi_http_class = ResponseSafeHTTPConnection
    opener: Callable[[], Awaitable[Opened]]
    _opened: Opened | None = None

    async def __call__(
        self, scope: Any, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        # HTTP requests meet the early refusal first (see server.http.early_refusal).
        if scope["type"] == "http":
            await self._early_refusal(scope, receive, send)
        else:
            await self.asgi_app(scope, receive, send)

    @functools.cached_property
    def _early_refusal(self) -> EarlyRefusal:
        return EarlyRefusal(self.extensions, self.asgi_app)

    async def open_parts(self) -> Opened:
        """The store and the render service, opened once. ``texrender serve`` opens them before
        Hypercorn starts, so that a failure the user can fix (:class:`StartupFailed`) comes out
        as itself, not as text inside the ASGI lifespan; the start-up hook takes them."""
        if self._opened is None:
            self._opened = await self.opener()
        return self._opened


def create_app(settings: Settings, *, engine: TexEngine | None = None) -> TexrenderApp:
    """Build the app. Templates are loaded and the engine probed when it starts serving.

    ``engine`` replaces the real pdflatex runner (tests use fakes for pure HTTP logic).
    """
    app = TexrenderApp("texrender")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    # The whole body, not each read: a client trickling a byte a second is cut off too.
    app.config["BODY_TIMEOUT"] = settings.body_timeout_s
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = True
    # No redirects to a cleaned-up path ("//" merged, a slash added): werkzeug builds their
    # Location from the request's Host header, which any client can set.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    metrics = Metrics()
    app.opener = functools.partial(open_parts, settings, observer=metrics, engine=engine)
    background = trio.CancelScope()

    blueprints = (
        render.blueprint,
        validate.blueprint,
        catalogue.blueprint,
        documents.blueprint,
        ops.blueprint,
        docs.blueprint,
        playground.blueprint,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.before_request(open_record)
    app.before_request(refuse_ambiguous_length)
    app.before_request(authenticate)
    app.after_request(record_request)
    app.after_request(stamp_response)
    app.after_request(security_headers)
    app.register_error_handler(RenderError, problems.render_error)
    app.register_error_handler(problems.RequestError, problems.request_error)
    app.register_error_handler(StoreError, problems.store_error)
    app.register_error_handler(HTTPException, problems.http_exception)
    app.register_error_handler(Exception, problems.unexpected)

    @app.before_serving
    async def start() -> None:
        store, service = await app.open_parts()
        announce_auth(settings)
        app.extensions[EXTENSION_KEY] = AppState(
            settings,
            service,
            metrics,
            store,
            refusals=Tarpit(settings.refusal_pause_s),
            database=DatabaseCheck(store),
        )
        metrics.set_build_info(texrender_version(), service.engine.version)
        metrics.watch_pipeline(service.pipeline.statistics, service.pipeline.cache_statistics)
        metrics.watch_zygotes(service.zygote_statistics)

        async def background_work() -> None:
            # Cancelled by `stop`: the lifespan nursery waits for its children at shutdown.
            with background:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(metrics.measure_loop_lag)
                    nursery.start_soon(service.run)

        app.nursery.start_soon(background_work)

    @app.after_serving
    async def stop() -> None:
        background.cancel()
        state = app.extensions.get(EXTENSION_KEY)
        if state is not None:
            await state.service.aclose()
            await state.store.aclose()

    return app
