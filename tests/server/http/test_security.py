"""What keeps browsers and hostile clients from misusing answers: nosniff on everything, a
strict policy on HTML pages, and no redirect built from the request's Host header."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.tex


async def test_every_kind_of_answer_says_nosniff(served: LiveServer) -> None:
    client = served.client
    answers = [
        await client.get("/v1/templates"),
        await client.get("/v1/templates/no-such-template"),
        await client.post("/v1/render/echo", json={"text": "sniff me"}),
        await client.get("/docs"),
        await client.get("/healthz"),
        await client.get("/metrics"),
    ]
    assert [a.status_code for a in answers] == [200, 404, 200, 200, 200, 200]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff", answer.url


async def test_the_docs_page_runs_only_its_own_scripts_and_is_never_framed(
    served: LiveServer,
) -> None:
    page = await served.client.get("/docs")
    policy = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert "unsafe-eval" not in policy
    # Every script is a file of the server's: none inline, none from another host.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.DOTALL)
    assert scripts
    for attributes, body in scripts:
        assert body.strip() == ""
        assert re.search(r'src="/docs/assets/[\w.-]+\.js"', attributes)
    start = await served.client.get("/docs/assets/texrender-docs.js")
    assert start.status_code == 200
    assert start.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in start.content
    # A JSON answer is no page: no policy needed, and none that would get in a viewer's way.
    assert "content-security-policy" not in (await served.client.get("/v1/templates")).headers


@pytest.mark.parametrize("path", ["//v1//templates", "/v1//templates", "/v1/templates/"])
async def test_no_redirect_takes_its_host_from_the_request(served: LiveServer, path: str) -> None:
    async with httpx.AsyncClient(base_url=served.url, follow_redirects=False) as raw:
        answer = await raw.get(path, headers={"Host": "evil.example"})
    assert not answer.is_redirect, answer.headers.get("location")
    assert "evil.example" not in answer.headers.get("location", "")
    assert answer.status_code in (200, 404)
