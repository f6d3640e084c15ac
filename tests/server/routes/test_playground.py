"""The playground's page and files as HTTP serves them (the browser tests, tests/browser/, use
them): a strict policy, only this server's own files, nothing run from a string or set as HTML,
open to all while everything it asks for needs a key; and each template's preview picture."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.routes.playground import FILES
from tests.conftest import LiveServer, StartServer

pytestmark = pytest.mark.tex

ROOT = Path(__file__).resolve().parents[3]
# Ways a string becomes code or markup; the page never needs them.
_UNSAFE_JS = re.compile(r"\beval\(|new Function\(|innerHTML|outerHTML|insertAdjacentHTML|\.write\(")
_IMPORT = re.compile(r"""^import [^;]*? from "\./([\w-]+\.js)";""", re.M)


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


async def test_the_page_carries_a_strict_policy_and_needs_no_other_host(
    served: LiveServer,
) -> None:
    page = await served.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["x-content-type-options"] == "nosniff"
    policy = page.headers["content-security-policy"]
    assert "unsafe" not in policy
    found = directives(policy)
    assert found["default-src"] == "'none'"
    assert found["script-src"] == "'self'"
    assert found["style-src"] == "'self'"
    assert found["connect-src"] == "'self'"
    assert found["img-src"] == "'self' blob:"
    assert found["frame-ancestors"] == "'none'"

    html = page.text
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert body.strip() == ""
        assert 'src="/playground/' in attributes
    addresses = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert addresses
    # This server's paths, or a place in the page itself.
    assert all(re.match(r"^(/[^/]|#)", a) for a in addresses), addresses


async def test_every_file_is_served_reached_and_never_turns_text_into_code(
    served: LiveServer,
) -> None:
    page = (await served.client.get("/")).text
    wanted = set(re.findall(r'"/playground/([\w.-]+)"', page))
    reached: set[str] = set()
    while wanted - reached:
        name = sorted(wanted - reached)[0]
        reached.add(name)
        answer = await served.client.get(f"/playground/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["x-content-type-options"] == "nosniff"
        text = answer.text
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
        if name.endswith(".js"):
            assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
            assert not _UNSAFE_JS.search(text), name
            wanted.update(_IMPORT.findall(text))
    shipped = {p.name for p in FILES.iterdir() if p.name != "index.html"}
    assert reached == shipped  # every file shipped is used, every file used is shipped


async def test_files_are_revalidated_and_nothing_else_is_served(served: LiveServer) -> None:
    first = await served.client.get("/playground/app.js")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again = await served.client.get("/playground/app.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    for path in (
        "/playground/missing.js",
        "/playground/index.html",  # the page is at /
        "/playground/..%2Fapp.py",
        "/playground/.hidden.js",
        "/playground/app.py",
    ):
        answer = await served.client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/problem+json"


async def test_template_previews_are_listed_and_served(served: LiveServer) -> None:
    listing = (await served.client.get("/v1/templates")).json()["templates"]
    previews = {t["name"]: t["preview"] for t in listing}
    assert previews["resume-classic"] == "/v1/templates/resume-classic/preview.png"
    assert previews["echo"] is None  # a test template without a picture
    picture = await served.client.get(previews["resume-classic"])
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    assert picture.content == (ROOT / "templates/resume-classic/preview.png").read_bytes()
    assert (await served.client.get("/v1/templates/echo/preview.png")).status_code == 404
    unknown = await served.client.get("/v1/templates/no-such/preview.png")
    assert unknown.json()["type"] == "/problems/template-not-found"


async def test_with_auth_on_the_page_is_open_and_what_it_asks_for_is_not(
    start_server: StartServer,
) -> None:
    server = await start_server(auth="on")
    for path in ("/", "/playground/app.js", "/playground/app.css"):
        assert (await server.client.get(path)).status_code == 200, path
    for path in ("/v1/templates", "/v1/templates/resume-classic/preview.png"):
        assert (await server.client.get(path)).status_code == 401, path


def test_the_readme_opens_with_a_picture_of_the_playground() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.search(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert first is not None
    assert first.group(1) == "docs/playground.png"
    assert readme.index(first.group(0)) < readme.index("\n## ")  # before the first section
    picture = (ROOT / "docs" / "playground.png").read_bytes()
    assert picture[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(picture) < 400_000
