"""The documents API end to end: a real server, a real database file, real keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from server.app import create_app
from server.http.openapi import Operation, describe
from server.settings import DEFAULT_TEMPLATES_DIR, Settings
from server.store import (
    DocumentNotFound,
    DocumentQuotaExceeded,
    InvalidCursor,
    RevisionMismatch,
    StoreUnavailable,
)
from server.store.sqlite import SqliteStore
from tests.conftest import LiveServer, StartServer, pdf_text, server_settings
from tests.server.conftest import add_key

pytestmark = pytest.mark.tex

MERGE = {"content-type": "application/merge-patch+json"}
SAMPLE_RESUME = DEFAULT_TEMPLATES_DIR / "resume-classic" / "sample.json"


class Owners:
    """A running server with auth on and a client for each of two owners, plus one with none."""

    def __init__(self, server: LiveServer, alice: str, bob: str) -> None:
        self.alice = server.new_client(headers=_bearer(alice))
        self.bob = server.new_client(headers=_bearer(bob))
        self.anonymous = server.client


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def open_owners(start_server: StartServer, settings: Settings) -> Owners:
    assert settings.data_dir is not None
    alice = await add_key(settings.data_dir, "alice-laptop", "alice")
    bob = await add_key(settings.data_dir, "bob-ci", "bob")
    return Owners(await start_server(settings), alice, bob)


@pytest.fixture
async def owners(start_server: StartServer, work_dir: Path) -> Owners:
    return await open_owners(start_server, server_settings(work_dir, auth="on"))


def echo(text: str, title: str | None = "a note") -> dict[str, Any]:
    body: dict[str, Any] = {"template": "echo", "data": {"text": text}}
    if title is not None:
        body["title"] = title
    return body


async def test_a_document_is_stored_read_replaced_patched_and_deleted(owners: Owners) -> None:
    client = owners.alice
    created = await client.post("/v1/documents", json=echo("first"))
    assert created.status_code == 201, created.text
    doc = created.json()
    assert created.headers["location"] == f"/v1/documents/{doc['id']}"
    assert created.headers["etag"] == '"r1"'
    assert doc["revision"] == 1
    assert doc["data"] == {"text": "first"}
    assert doc["title"] == "a note"
    assert doc["warnings"] == []
    url = doc["links"]["self"]

    got = await client.get(url)
    assert got.status_code == 200
    assert got.json()["data"] == {"text": "first"}
    assert got.headers["etag"] == '"r1"'
    unchanged = await client.get(url, headers={"if-none-match": '"r1"'})
    assert unchanged.status_code == 304

    replaced = await client.put(url, json=echo("second"), headers={"if-match": '"r1"'})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["revision"] == 2
    stale = await client.put(url, json=echo("lost"), headers={"if-match": '"r1"'})
    assert stale.status_code == 412
    assert stale.json()["type"] == "/problems/precondition-failed"

    patched = await client.patch(
        url, content=json.dumps({"data": {"count": 3}, "title": None}), headers=MERGE
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["data"] == {"text": "second", "count": 3}
    assert body["title"] is None
    assert body["revision"] == 3
    plain_json = await client.patch(url, json={"title": "x"})
    assert plain_json.status_code == 415
    stale_patch = await client.patch(
        url, content=b'{"title": "x"}', headers={**MERGE, "if-match": '"r2"'}
    )
    assert stale_patch.status_code == 412

    wrong_delete = await client.delete(url, headers={"if-match": '"r2"'})
    assert wrong_delete.status_code == 412
    deleted = await client.delete(url, headers={"if-match": '"r3"'})
    assert deleted.status_code == 204
    assert (await client.get(url)).status_code == 404
    assert (await client.delete(url)).status_code == 404


async def test_data_is_read_leniently_and_validated_before_it_is_stored(owners: Owners) -> None:
    resume = json.loads(SAMPLE_RESUME.read_text(encoding="utf-8"))
    resume["work"][0]["company"] = resume["work"][0].pop("name")  # the pre-1.0 key
    created = await owners.alice.post(
        "/v1/documents", json={"template": "resume-classic", "data": resume}
    )
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["data"]["work"][0]["name"] == resume["work"][0]["company"]
    assert "company" not in doc["data"]["work"][0]
    assert "/data/work/0/company" in {w["pointer"] for w in doc["warnings"]}
    assert "x-render-warnings" in created.headers

    refused = await owners.alice.post(
        "/v1/documents", json={"template": "echo", "data": {"count": -1}, "colour": "red"}
    )
    assert refused.status_code == 422
    pointers = {e["pointer"] for e in refused.json()["errors"]}
    assert pointers == {"/colour"}
    invalid = await owners.alice.post(
        "/v1/documents", json={"template": "echo", "data": {"count": -1}}
    )
    assert invalid.status_code == 422
    assert {e["pointer"] for e in invalid.json()["errors"]} == {"/data", "/data/count"}
    unknown = await owners.alice.post("/v1/documents", json={"template": "nope", "data": {}})
    assert unknown.status_code == 422
    assert [e["pointer"] for e in unknown.json()["errors"]] == ["/template"]
    bodies: list[Any] = [[1, 2], "text", {"data": {}}]
    for body in bodies:
        answer = await owners.alice.post("/v1/documents", json=body)
        assert answer.status_code == 422, body


async def test_a_stored_document_renders_by_id_and_an_edit_is_never_stale(
    owners: Owners,
) -> None:
    client = owners.alice
    created = (await client.post("/v1/documents", json=echo("Printed by id"))).json()
    pdf_url = created["links"]["pdf"]
    first = await client.get(pdf_url)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    assert "Printed by id" in pdf_text(first.content)
    tag = first.headers["etag"]
    again = await client.get(pdf_url, headers={"if-none-match": tag})
    assert again.status_code == 304

    await client.patch(
        created["links"]["self"], content=b'{"data": {"text": "Edited"}}', headers=MERGE
    )
    edited = await client.get(pdf_url, headers={"if-none-match": tag})
    assert edited.status_code == 200
    assert edited.headers["etag"] != tag
    assert "Edited" in pdf_text(edited.content)
    assert "Printed by id" not in pdf_text(edited.content)


async def test_pages_follow_next_links_without_repeats_while_documents_arrive(
    owners: Owners,
) -> None:
    client = owners.alice
    ids = []
    for n in range(7):
        ids.append((await client.post("/v1/documents", json=echo(f"doc {n}"))).json()["id"])
    resume = {"template": "resume-classic", "data": {"basics": {"name": "Ada"}}}
    assert (await client.post("/v1/documents", json=resume)).status_code == 201
    seen: list[str] = []
    url: str | None = "/v1/documents?limit=3&template=echo"
    while url is not None:
        page = await client.get(url)
        assert page.status_code == 200, page.text
        body = page.json()
        assert all("data" not in item for item in body["items"])
        seen += [item["id"] for item in body["items"]]
        await client.post("/v1/documents", json=echo("arrived meanwhile"))
        url = body["next"]
        if url is not None:
            assert page.headers["link"] == f'<{url}>; rel="next"'
    assert seen == list(reversed(ids))
    everything = (await client.get("/v1/documents?limit=100")).json()
    assert len(everything["items"]) == 7 + 1 + 3
    assert everything["next"] is None
    for bad in ("limit=0", "limit=101", "limit=ten", "cursor=bogus"):
        answer = await client.get(f"/v1/documents?{bad}")
        assert answer.status_code == 400, bad
        assert answer.json()["type"] == "/problems/invalid-parameter"


async def test_another_owner_can_neither_see_nor_touch_a_document(owners: Owners) -> None:
    created = (await owners.alice.post("/v1/documents", json=echo("Alice's own"))).json()
    url = created["links"]["self"]
    attempts = [
        owners.bob.get(url),
        owners.bob.get(created["links"]["pdf"]),
        owners.bob.put(url, json=echo("Bob was here")),
        owners.bob.patch(url, content=b'{"title": "Bob"}', headers=MERGE),
        owners.bob.delete(url),
        owners.bob.put(url, json=echo("Bob"), headers={"if-match": '"r1"'}),
        owners.bob.delete(url, headers={"if-match": "*"}),
    ]
    nobody = "/v1/documents/AAAAAAAAAAAAAAAAAAAAAA"
    strangers = [await attempt for attempt in attempts]
    missing = await owners.bob.get(nobody)
    for answer in strangers:
        assert answer.status_code == 404, answer.request
        body = answer.json()
        assert body["type"] == "/problems/document-not-found"
        assert body["detail"] == missing.json()["detail"]  # nothing tells the two apart
    listing = await owners.bob.get("/v1/documents")
    assert listing.json()["items"] == []
    still = await owners.alice.get(url)
    assert still.json()["data"] == {"text": "Alice's own"}
    assert still.json()["revision"] == 1


async def test_requests_without_a_live_key_are_refused(owners: Owners) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        # Open to all (readiness may still be 503 while formats build, but never 401).
        assert (await owners.anonymous.get(path)).status_code in (200, 503), path
    cases = {
        "missing": {},
        "malformed": {"authorization": "Basic YWxpY2U6c2VjcmV0"},
        "unknown": {"authorization": "Bearer trk_0123456789abcdef_" + "A" * 43},
    }
    for reason, headers in cases.items():
        for method, path in (("GET", "/v1/documents"), ("POST", "/v1/render/echo")):
            answer = await owners.anonymous.request(
                method, path, headers=headers, json={"text": "hi"}
            )
            assert answer.status_code == 401, (reason, path)
            assert answer.json()["type"] == "/problems/unauthorized"
            challenge = answer.headers["www-authenticate"]
            assert challenge.startswith('Bearer realm="texrender"')
            assert ('error="invalid_token"' in challenge) == (reason != "missing")
    metrics = (await owners.anonymous.get("/metrics")).text
    for reason in cases:
        assert f'texrender_auth_failures_total{{reason="{reason}"}} 2.0' in metrics
    rendered = await owners.alice.post("/v1/render/echo", json={"text": "with a key"})
    assert rendered.status_code == 200


async def test_a_revoked_key_stops_working(start_server: StartServer, work_dir: Path) -> None:
    settings = server_settings(work_dir, auth="on")
    assert settings.data_dir is not None
    found = await open_owners(start_server, settings)
    assert (await found.bob.get("/v1/documents")).status_code == 200
    store = await SqliteStore.open(settings.data_dir)
    await store.revoke_key("bob-ci")
    await store.aclose()
    await trio.sleep(5.2)  # what a server remembers of a checked key (server.store.keys)
    refused = await found.bob.get("/v1/documents")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    assert (await found.alice.get("/v1/documents")).status_code == 200


async def test_quotas_and_sizes_are_clear_problems(start_server: StartServer) -> None:
    client = (await start_server(documents_per_owner=2, document_max_bytes=200)).client
    for n in range(2):
        assert (await client.post("/v1/documents", json=echo(f"{n}"))).status_code == 201
    full = await client.post("/v1/documents", json=echo("third"))
    assert full.status_code == 409
    assert full.json()["type"] == "/problems/document-quota-exceeded"
    first = (await client.get("/v1/documents")).json()["items"][0]
    large = await client.put(first["links"]["self"], json=echo("x" * 300))
    assert large.status_code == 413
    assert large.json()["type"] == "/problems/document-too-large"
    assert (await client.get(first["links"]["self"])).json()["revision"] == 1


async def test_with_auth_off_everything_belongs_to_the_local_owner(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/v1/documents", json=echo("local"))
    assert created.status_code == 201
    listed = (await client.get("/v1/documents")).json()["items"]
    assert [item["id"] for item in listed] == [created.json()["id"]]


async def test_store_errors_are_problems_and_a_busy_store_asks_for_a_retry(
    start_server: StartServer, settings: Settings
) -> None:
    app = create_app(settings)
    raised: dict[str, Exception] = {
        "busy": StoreUnavailable("database is locked"),
        "missing": DocumentNotFound("x"),
        "stale": RevisionMismatch(4),
        "full": DocumentQuotaExceeded(10),
        "cursor": InvalidCursor("?"),
    }

    @app.get("/test/store/<name>")
    @describe(Operation("raise a store error", (503,)))
    async def fail(name: str) -> str:
        raise raised[name]

    client = (await start_server(app=app)).client
    expected = {"busy": 503, "missing": 404, "stale": 412, "full": 409, "cursor": 400}
    for name, status in expected.items():
        answer = await client.get(f"/test/store/{name}")
        assert answer.status_code == status, name
        assert answer.headers["content-type"] == "application/problem+json"
        assert ("retry-after" in answer.headers) == (name == "busy")


async def test_patches_without_if_match_all_apply_however_many_race(owners: Owners) -> None:
    """No precondition sent, no 412: each patch applies to whatever is current."""
    created = (await owners.alice.post("/v1/documents", json=echo("start"))).json()
    url = f"/v1/documents/{created['id']}"
    statuses: list[int] = []

    async def patch(n: int) -> None:
        answer = await owners.alice.patch(url, json={"title": f"title {n}"}, headers=MERGE)
        statuses.append(answer.status_code)

    async with trio.open_nursery() as nursery:
        for n in range(30):
            nursery.start_soon(patch, n)
    assert statuses == [200] * 30
    final = (await owners.alice.get(url)).json()
    assert final["revision"] == 31
    assert final["title"].startswith("title ")


async def test_a_patch_that_changes_nothing_makes_no_revision(owners: Owners) -> None:
    created = (await owners.alice.post("/v1/documents", json=echo("as is"))).json()
    url = f"/v1/documents/{created['id']}"
    for patch in ({}, {"title": created["title"]}, {"data": {"text": "as is"}}):
        answer = await owners.alice.patch(url, json=patch, headers=MERGE)
        assert answer.status_code == 200, answer.text
        assert answer.json()["revision"] == 1
        assert answer.headers["etag"] == '"r1"'
    changed = await owners.alice.patch(url, json={"data": {"text": "changed"}}, headers=MERGE)
    assert changed.json()["revision"] == 2


# Text that cannot be stored (issue 20): a lone surrogate is refused wherever data comes in,
# with a pointer at every field holding one; other characters, line separators included, are
# stored as sent.

SURROGATE = "\ud800"
JSON_HEADERS = {"content-type": "application/json"}


def _ascii_json(body: Any) -> bytes:
    """``body`` as JSON with ``\\u`` escapes: the only way to send a lone surrogate."""
    return json.dumps(body).encode("ascii")


def _pointers(answer: httpx.Response) -> list[str]:
    return sorted(error["pointer"] for error in answer.json()["errors"])


async def test_a_lone_surrogate_is_refused_with_a_pointer_at_every_field_holding_one(
    owners: Owners,
) -> None:
    client = owners.alice
    body = {
        "template": "echo",
        "title": f"CV {SURROGATE}",
        "data": {"text": f"x{SURROGATE}y", "meta": {f"key{SURROGATE}": "fine"}},
    }
    expected = ["/data/meta/key\ud800", "/data/text", "/title"]
    created = await client.post("/v1/documents", content=_ascii_json(body), headers=JSON_HEADERS)
    assert created.status_code == 422, created.text
    assert created.json()["type"] == "/problems/invalid-data"
    assert _pointers(created) == expected
    assert all("surrogate" in e["message"] for e in created.json()["errors"])

    url = (await client.post("/v1/documents", json=echo("kept"))).json()["links"]["self"]
    replaced = await client.put(url, content=_ascii_json(body), headers=JSON_HEADERS)
    assert replaced.status_code == 422, replaced.text
    assert _pointers(replaced) == expected
    for patch, pointers in [
        ({"title": SURROGATE}, ["/title"]),
        ({"data": {"text": SURROGATE}}, ["/data/text"]),
        ({"data": {"meta": {SURROGATE: 1}}}, ["/data/meta/\ud800"]),
    ]:
        patched = await client.patch(url, content=_ascii_json(patch), headers=MERGE)
        assert patched.status_code == 422, patched.text
        assert _pointers(patched) == pointers
    kept = (await client.get(url)).json()
    assert (kept["revision"], kept["data"], kept["title"]) == (1, {"text": "kept"}, "a note")


async def test_render_and_validate_refuse_a_lone_surrogate_as_documents_do(
    client: httpx.AsyncClient,
) -> None:
    data = {"text": f"a {SURROGATE}", f"other{SURROGATE}": "b"}
    for route in ("/v1/render/echo", "/v1/validate/echo"):
        answer = await client.post(route, content=_ascii_json(data), headers=JSON_HEADERS)
        assert answer.status_code == 422, (route, answer.text)
        assert answer.json()["type"] == "/problems/invalid-data"
        assert _pointers(answer) == ["/other\ud800", "/text"]


async def test_line_separators_are_stored_and_read_back_exactly(owners: Owners) -> None:
    text = "one\u2028two\u2029three\x85four"
    body = {"template": "echo", "title": "a\u2028b", "data": {"text": text, "k\u2029": "\x85"}}
    created = await owners.alice.post(
        "/v1/documents", content=_ascii_json(body), headers=JSON_HEADERS
    )
    assert created.status_code == 201, created.text
    got = (await owners.alice.get(created.json()["links"]["self"])).json()
    assert got["data"] == {"text": text, "k\u2029": "\x85"}
    assert got["title"] == "a\u2028b"
