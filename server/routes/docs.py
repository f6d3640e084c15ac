"""``/openapi.json`` and ``/docs``: the API described, and browsable with no network.

The page is Swagger UI, whose files come from the ``swagger-ui-py`` package and are served by
texrender itself (read once through ``trio.Path``, then kept in memory): nothing is fetched from
a CDN. The description is built once per app, the first time it is asked for.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

import trio
from quart import Blueprint, Response, current_app
from werkzeug.exceptions import NotFound

from ..http.media import JSON
from ..http.openapi import Operation, build_document, describe
from ..state import app_state
from ..version import texrender_version

blueprint = Blueprint("docs", __name__)

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
    "texrender-docs.js": "text/javascript; charset=utf-8",
}
# Ours: what would otherwise be an inline script, which the page's policy does not allow.
START_SCRIPT = b"""window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    validatorUrl: null,
    // Swagger UI offers "Download file" only for an attachment; a PDF is sent inline.
    responseInterceptor: function (response) {
      var headers = response.headers || {};
      if ((headers["content-type"] || "").indexOf("application/pdf") === 0) {
        var disposition = headers["content-disposition"] || "inline";
        headers["content-disposition"] = disposition.replace(/^inline/i, "attachment");
      }
      return response;
    }
  });
});
"""
_loaded: dict[str, bytes] = {"texrender-docs.js": START_SCRIPT}
_DOCUMENT_KEY = "texrender.openapi"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>texrender API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/assets/texrender-docs.js"></script>
</body>
</html>
"""


@functools.cache
def assets_dir() -> Path:
    """Where swagger-ui-py keeps the Swagger UI files (found without importing it; the search
    of ``sys.path`` is file-system work, so call it from a thread)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@blueprint.get("/openapi.json")
@describe(
    Operation(
        "This API, described (OpenAPI 3.1)",
        (200,),
        success={JSON: {"type": "object"}},
        open=True,
        tag="operations",
    )
)
async def openapi() -> Response:
    document: bytes | None = current_app.extensions.get(_DOCUMENT_KEY)
    if document is None:
        built = build_document(current_app, app_state().service.catalogue, texrender_version())
        document = json.dumps(built, ensure_ascii=False, indent=1).encode()
        current_app.extensions[_DOCUMENT_KEY] = document
    return Response(document, content_type=JSON)


@blueprint.get("/docs")
@describe(
    Operation(
        "A browsable page of this API (Swagger UI, served locally)",
        (200,),
        success={"text/html": {"type": "string"}},
        open=True,
        tag="operations",
    )
)
async def page() -> Response:
    return Response(PAGE, content_type="text/html; charset=utf-8")


@blueprint.get("/docs/assets/<name>")
@describe(
    Operation(
        "A file of the docs page",
        (200, 404),
        success={"application/octet-stream": {"type": "string"}},
        open=True,
        tag="operations",
    )
)
async def asset(name: str) -> Response:
    media = ASSETS.get(name)
    if media is None:
        raise NotFound(f"no docs asset named {name!r}")
    content = _loaded.get(name)
    if content is None:
        directory = await trio.to_thread.run_sync(assets_dir)
        content = await trio.Path(directory / name).read_bytes()
        _loaded[name] = content
    response = Response(content, content_type=media)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
