"""The HTTP contract, end to end: a real Hypercorn server on a loopback port, real TeX."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from rendering.errors import FieldError, InvalidData, RenderError, TexDiagnostic, TexError
from server.app import create_app
from server.http.auth import Unauthorized
from server.http.problems import RequestError
from server.settings import Settings
from server.store.keys import KeyRefusal
from tests.conftest import (
    SHARED_RESUME,
    StartServer,
    error_classes,
    job_dirs,
    pdf_text,
    tex_processes,
)

pytestmark = pytest.mark.tex


def assert_problem(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == f"/problems/{type_}"
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def wait_for(check: Callable[[], Awaitable[bool]], seconds: float = 10) -> None:
    with trio.fail_after(seconds):
        while not await check():
            await trio.sleep(0.02)


async def until_ready(client: httpx.AsyncClient) -> None:
    """Until the server's formats are built: they are TeX processes too, started with the
    server, and a test that counts TeX processes must count only its render's."""
    with trio.fail_after(60):
        while (await client.get("/readyz")).status_code != 200:
            await trio.sleep(0.05)


async def slots_busy(client: httpx.AsyncClient, busy: int, waiting: int = 0) -> bool:
    body = (await client.get("/readyz")).json()
    return bool(body["renders_in_flight"] == busy and body["queue_depth"] == waiting)


JSON = {"content-type": "application/json"}
SLOW = {"text": "slow", "count": 20_000_000}


def slow(n: int) -> dict[str, object]:
    """A slow document that differs from every other (identical ones share one TeX run)."""
    return {**SLOW, "text": f"slow {n}"}


# --- success -------------------------------------------------------------------------------


async def test_render_returns_a_pdf_with_its_headers(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/render/echo", json={"text": "Grüße, Zoë"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="echo.pdf"'
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', response.headers["etag"])
    timing = dict(
        part.strip().split(";dur=") for part in response.headers["server-timing"].split(",")
    )
    assert set(timing) == {"template", "queue", "tex", "total"}
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert "BEGIN Grüße, Zoë END" in pdf_text(response.content)


async def test_matching_if_none_match_gives_304(client: httpx.AsyncClient) -> None:
    first = await client.post("/v1/render/echo", json={"text": "same"})
    etag = first.headers["etag"]
    second = await client.post(
        "/v1/render/echo", json={"text": "same"}, headers={"If-None-Match": etag}
    )
    assert second.status_code == 304
    assert second.content == b""
    assert second.headers["etag"] == etag


async def test_request_id_is_echoed_or_replaced(client: httpx.AsyncClient) -> None:
    ok = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert ok.headers["x-request-id"] == "abc-123"
    bad = await client.get("/healthz", headers={"X-Request-ID": "no spaces <allowed>"})
    assert re.fullmatch(r"[0-9a-f]{32}", bad.headers["x-request-id"])


async def test_catalogue(client: httpx.AsyncClient) -> None:
    listing = (await client.get("/v1/templates")).json()["templates"]
    names = [t["name"] for t in listing]
    assert "resume-classic" in names
    assert "echo" in names
    assert set(listing[0]) == {
        "name", "title", "description", "engine", "version", "papers", "preview"
    }  # fmt: skip
    papers = {t["name"]: t["papers"] for t in listing}
    assert papers["resume-classic"] == ["a4", "letter"]
    assert papers["echo"] == ["a4"]  # A4 unless its template.toml says
    one = (await client.get("/v1/templates/echo")).json()
    assert one["schema"]["required"] == ["text"]
    assert one["sample"] == {"text": "Hello, world"}


async def test_own_resume_sample_renders(client: httpx.AsyncClient) -> None:
    entry = (await client.get("/v1/templates/resume-classic")).json()
    sample = entry["sample"]
    response = await client.post("/v1/render/resume-classic", json=sample)
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    assert sample["basics"]["name"] in text
    assert sample["work"][0]["name"] in text
    assert "Present" in text


@pytest.mark.skipif(
    not SHARED_RESUME.is_file(),
    reason=f"../shared is not here: no JSON Resume conformance sample at {SHARED_RESUME}",
)
async def test_shared_json_resume_sample_renders(client: httpx.AsyncClient) -> None:
    sample = json.loads(SHARED_RESUME.read_text())
    response = await client.post("/v1/render/resume-classic", json=sample)
    assert response.status_code == 200, response.text
    text = " ".join(pdf_text(response.content).split())
    assert sample["basics"]["name"] in text
    assert sample["work"][0]["name"] in text


# --- every error in the contract -----------------------------------------------------------


async def test_400_body_is_not_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/render/echo", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "invalid-json")


async def test_404_unknown_template(client: httpx.AsyncClient) -> None:
    assert_problem(await client.post("/v1/render/nope", json={}), 404, "template-not-found")
    assert_problem(await client.get("/v1/templates/nope"), 404, "template-not-found")


async def test_404_unknown_route(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/no/such/route"), 404, "not-found")


async def test_405_wrong_method(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/render/echo")
    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["allow"]


async def test_413_body_too_large(start_server: StartServer) -> None:
    client = (await start_server(max_body_bytes=1000)).client
    response = await client.post("/v1/render/echo", json={"text": "x" * 2000})
    assert_problem(response, 413, "body-too-large")


async def test_415_not_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/render/echo", content=b"text=1")
    assert_problem(response, 415, "unsupported-media-type")


async def test_422_lists_every_schema_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/render/echo", json={"text": [1], "count": -5})
    body = assert_problem(response, 422, "invalid-data")
    assert [e["pointer"] for e in body["errors"]] == ["/count", "/text"]
    assert all(e["message"] for e in body["errors"])


async def test_422_names_every_unsupported_character_and_field(client: httpx.AsyncClient) -> None:
    data = {"text": "Иван", "extra": {"note": "中文", "list": ["ok", "Ωmega"]}}
    response = await client.post("/v1/render/echo", json=data)
    body = assert_problem(response, 422, "unsupported-character")
    assert sorted(e["pointer"] for e in body["errors"]) == [
        "/extra/list/1",
        "/extra/note",
        "/text",
    ]
    for name in ("CYRILLIC CAPITAL LETTER I", "CJK UNIFIED IDEOGRAPH-4E2D", "GREEK CAPITAL"):
        assert name in body["detail"]


async def test_emoji_are_dropped_with_a_warning(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/render/echo", json={"text": "snow \u2603\ufe0f man 🇩🇪"})
    assert response.status_code == 200
    assert "snow man" in " ".join(pdf_text(response.content).split())
    warnings = json.loads(response.headers["x-render-warnings"])
    assert warnings["count"] == 1
    assert warnings["warnings"][0]["pointer"] == "/text"
    strict = await client.post("/v1/render/echo?strict=true", json={"text": "snow \u2603 man"})
    assert_problem(strict, 422, "unsupported-character")


async def test_422_tex_error_is_parsed(client: httpx.AsyncClient, work_dir: Path) -> None:
    response = await client.post("/v1/render/read-file", json={"text": "x"})
    body = assert_problem(response, 422, "tex-error")
    assert "/etc/hostname" in body["tex"]["message"]
    assert isinstance(body["tex"]["line"], int)
    hostname = Path("/etc/hostname").read_text().strip()
    assert hostname not in response.text.replace("/etc/hostname", "")


async def test_429_when_the_queue_is_full(start_server: StartServer) -> None:
    client = (await start_server(render_slots=1, queue_max=1)).client
    async with trio.open_nursery() as nursery:
        for n in range(2):
            nursery.start_soon(partial(client.post, "/v1/render/slow", json=slow(n)))
        await wait_for(lambda: slots_busy(client, busy=1, waiting=1))
        response = await client.post("/v1/render/echo", json={"text": "x"})
        assert_problem(response, 429, "queue-full")
        assert response.headers["retry-after"] == "1"
        assert (await client.get("/readyz")).status_code == 503
        nursery.cancel_scope.cancel()


async def test_a_full_server_refuses_before_parsing_but_serves_what_it_has(
    start_server: StartServer,
) -> None:
    client = (await start_server(render_slots=1, queue_max=0)).client
    cached = json.dumps({"text": "rendered before"}).encode()
    assert (await client.post("/v1/render/echo", content=cached, headers=JSON)).is_success
    async with trio.open_nursery() as nursery:
        nursery.start_soon(partial(client.post, "/v1/render/slow", json=slow(0)))
        await wait_for(lambda: slots_busy(client, busy=1))
        # Not even JSON: had it been parsed first, this would be a 400.
        response = await client.post("/v1/render/echo", content=b"{not json", headers=JSON)
        assert_problem(response, 429, "queue-full")
        # These very bytes were rendered before: their PDF needs no slot.
        response = await client.post("/v1/render/echo", content=cached, headers=JSON)
        assert response.status_code == 200
        assert "rendered before" in pdf_text(response.content)
        nursery.cancel_scope.cancel()


async def test_503_after_waiting_past_the_queue_deadline(start_server: StartServer) -> None:
    client = (await start_server(render_slots=1, queue_timeout_s=0.3)).client
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: client.post("/v1/render/slow", json=SLOW))
        await wait_for(lambda: slots_busy(client, busy=1))
        response = await client.post("/v1/render/echo", json={"text": "x"})
        assert_problem(response, 503, "queue-timeout")
        assert int(response.headers["retry-after"]) > 0
        nursery.cancel_scope.cancel()


async def test_504_runaway_document_is_killed(
    start_server: StartServer, no_leftovers: None
) -> None:
    client = (await start_server(render_timeout_s=1.0)).client
    await until_ready(client)
    response = await client.post("/v1/render/endless-loop", json={"text": "x"})
    assert_problem(response, 504, "render-timeout")
    assert tex_processes() == []


# --- responsiveness and cancellation -------------------------------------------------------


async def test_health_answers_while_every_slot_is_busy(client: httpx.AsyncClient) -> None:
    async with trio.open_nursery() as nursery:
        for n in range(4):
            nursery.start_soon(partial(client.post, "/v1/render/slow", json=slow(n)))
        await wait_for(lambda: slots_busy(client, busy=2, waiting=2))
        for _ in range(20):
            with trio.fail_after(2):
                response = await client.get("/healthz")
            assert response.status_code == 200
        # Still busy after the twenty answers: they were given while TeX held every slot.
        assert await slots_busy(client, busy=2, waiting=2)
        nursery.cancel_scope.cancel()


async def test_client_disconnect_kills_the_render(
    client: httpx.AsyncClient, work_dir: Path
) -> None:
    await until_ready(client)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: client.post("/v1/render/slow", json=SLOW))
        with trio.fail_after(10):
            while not tex_processes():
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()  # closes the connection mid-request
    with trio.fail_after(5):
        while tex_processes() or job_dirs(work_dir):
            await trio.sleep(0.02)
    assert (await client.get("/readyz")).json()["renders_in_flight"] == 0


async def test_500_reveals_nothing(start_server: StartServer, settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/test/bug")
    async def bug() -> str:
        raise RuntimeError("secret internals")

    response = await (await start_server(app=app)).client.get("/test/bug")
    body = assert_problem(response, 500, "internal-error")
    assert "secret" not in response.text
    assert body["detail"] == "an unexpected error occurred"


async def test_503_when_the_engine_is_missing(start_server: StartServer) -> None:
    client = (await start_server(tex_engine="no-such-tex-engine")).client
    response = await client.post("/v1/render/echo", json={"text": "x"})
    assert_problem(response, 503, "engine-unavailable")
    assert response.headers["retry-after"] == "30"
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["engine_found"] is False


def example(cls: type[RenderError | RequestError]) -> RenderError | RequestError:
    if issubclass(cls, InvalidData):
        return cls("bad", [FieldError("/x", "bad")])
    if issubclass(cls, TexError):
        return cls("tex", TexDiagnostic("Undefined control sequence.", 3, "\\foo"))
    if issubclass(cls, Unauthorized):
        return cls("detail", KeyRefusal.MISSING)
    return cls("detail")


async def test_every_error_class_is_answered_as_it_says(
    start_server: StartServer, settings: Settings
) -> None:
    app = create_app(settings)
    errors = {cls.__name__: cls for cls in error_classes()}
    assert len(errors) >= 17  # the whole tree (tests/test_errors.py holds it exactly)

    @app.get("/test/raise/<name>")
    async def raise_it(name: str) -> str:
        raise example(errors[name])

    client = (await start_server(app=app)).client
    for name, cls in errors.items():
        response = await client.get(f"/test/raise/{name}")
        body = assert_problem(response, cls.status, cls.type)
        assert body["title"] == cls.title
        if cls is Unauthorized:
            assert response.headers["www-authenticate"] == 'Bearer realm="texrender"'
        if cls.retry_after_s is not None:
            assert response.headers["retry-after"] == str(cls.retry_after_s)
        else:
            assert "retry-after" not in response.headers


async def test_tex_killed_from_outside_is_the_servers_fault_not_the_datas(
    client: httpx.AsyncClient,
) -> None:
    """The OOM killer or an operator stopping TeX is no error in the data: 503 with
    Retry-After (try again), and an outcome of its own in the metrics, never a 422."""
    answers: list[httpx.Response] = []

    async def render() -> None:
        answers.append(await client.post("/v1/render/slow", json=slow(1)))

    # Formats are built at start-up by TeX processes too: only the render's may be killed.
    await until_ready(client)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(render)
        with trio.fail_after(10):
            while not tex_processes():
                await trio.sleep(0.01)
        for pid in tex_processes():
            os.kill(pid, signal.SIGKILL)
    body = assert_problem(answers[0], 503, "tex-killed")
    assert "SIGKILL" in body["detail"]
    assert answers[0].headers["retry-after"] == "1"
    metrics = (await client.get("/metrics")).text
    assert 'texrender_renders_total{outcome="killed",template="slow"} 1.0' in metrics
