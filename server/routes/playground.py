"""``GET /``: the playground, a page to pick a template, edit its data and watch the pages.

Its files are shipped in the package (``server/playground/``) and served by texrender itself,
read once through ``trio.Path`` and kept in memory: the page needs no other host. It is open to
all, like ``/docs``; every request the page makes is authorized like any other client's.
The page carries a policy stricter than the docs page's: no inline style either.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import trio
from quart import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from ..http.openapi import Operation, describe
from ..http.security import POLICY_HEADER, STRICT_HTML_POLICY

blueprint = Blueprint("playground", __name__)

FILES = Path(__file__).resolve().parent.parent / "playground"
PAGE = "index.html"
MEDIA = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# A plain file name: letters, digits and dashes, one suffix (no path, no hidden file).
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.[a-z]+$")
_loaded: dict[str, tuple[bytes, str]] = {}


async def _file(name: str) -> tuple[bytes, str]:
    """The bytes of one of the page's files and their strong validator, read once."""
    found = _loaded.get(name)
    if found is None:
        content = await trio.Path(FILES / name).read_bytes()
        found = (content, hashlib.sha256(content).hexdigest()[:32])
        _loaded[name] = found
    return found


async def _exists(name: str) -> bool:
    return name in _loaded or await trio.Path(FILES / name).is_file()


async def _answer(name: str, media: str) -> Response:
    content, etag = await _file(name)
    if request.if_none_match.contains(etag):
        response = Response(b"", status=304)
    else:
        response = Response(content, content_type=media)
    response.set_etag(etag)
    # Revalidated on each load, so a new version of the server is never mixed with old files.
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/")
@describe(
    Operation(
        "The playground: pick a template, edit its data, see the pages (served locally)",
        (200, 304),
        success={"text/html": {"type": "string"}},
        open=True,
        tag="operations",
    )
)
async def page() -> Response:
    response = await _answer(PAGE, "text/html; charset=utf-8")
    response.headers[POLICY_HEADER] = STRICT_HTML_POLICY
    return response


@blueprint.get("/playground/<name>")
@describe(
    Operation(
        "A file of the playground page",
        (200, 304, 404),
        success={"application/octet-stream": {"type": "string"}},
        open=True,
        tag="operations",
    )
)
async def asset(name: str) -> Response:
    media = MEDIA.get(Path(name).suffix)
    if media is None or not _NAME.match(name) or not await _exists(name):
        raise NotFound(f"no playground file named {name!r}")
    return await _answer(name, media)
