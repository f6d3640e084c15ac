"""``Idempotency-Key`` on ``POST /v1/documents``, end to end: a real server and database."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import trio

from tests.conftest import StartServer, server_settings
from tests.server.routes.test_documents import open_owners

pytestmark = pytest.mark.tex

NOTE = {"template": "echo", "data": {"text": "hello"}, "title": "a note"}


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def count(client: httpx.AsyncClient) -> int:
    return len((await client.get("/v1/documents", params={"limit": 100})).json()["items"])


async def test_a_retried_create_answers_the_first_response_again(client: httpx.AsyncClient) -> None:
    first = await client.post("/v1/documents", json=NOTE, headers=keyed('"0b6c-retry"'))
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = await client.post("/v1/documents", json=NOTE, headers=keyed("0b6c-retry"))
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (again.headers["Location"], again.headers["ETag"]) == (
        first.headers["Location"],
        first.headers["ETag"],
    )
    assert await count(client) == 1
    # The same document without a key, or with another key, is a new document.
    assert (await client.post("/v1/documents", json=NOTE)).status_code == 201
    other = await client.post("/v1/documents", json=NOTE, headers=keyed("another"))
    assert other.json()["id"] != first.json()["id"]
    assert await count(client) == 3


async def test_the_same_key_with_another_document_is_refused(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/documents", json=NOTE, headers=keyed("k"))).status_code == 201
    changed = {**NOTE, "title": "another note"}
    refused = await client.post("/v1/documents", json=changed, headers=keyed("k"))
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/idempotency-key-reused"
    assert await count(client) == 1


async def test_the_same_document_sent_with_other_spacing_is_the_same_request(
    client: httpx.AsyncClient,
) -> None:
    compact = b'{"template":"echo","data":{"text":"hello"},"title":"a note"}'
    spaced = b'{ "title": "a note",\n  "template": "echo", "data": { "text": "hello" } }'
    headers = {"content-type": "application/json", **keyed("spacing")}
    first = await client.post("/v1/documents", content=compact, headers=headers)
    again = await client.post("/v1/documents", content=spaced, headers=headers)
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.parametrize(
    "value",
    ["", '""', "x" * 256, "has space", "caf\u00e9", 'quo"te', "back\\slash"],
    ids=["empty", "empty-quoted", "too-long", "space", "non-ascii", "quote", "backslash"],
)
async def test_an_unusable_key_is_a_clear_400_and_stores_nothing(
    client: httpx.AsyncClient, value: str
) -> None:
    answer = await client.post(
        "/v1/documents", json=NOTE, headers=[(b"Idempotency-Key", value.encode("utf-8"))]
    )
    assert answer.status_code == 400
    assert answer.json()["type"] == "/problems/invalid-idempotency-key"
    assert await count(client) == 0


async def test_a_key_given_twice_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/documents", json=NOTE, headers=[("Idempotency-Key", "a"), ("Idempotency-Key", "b")]
    )
    assert answer.status_code == 400
    assert "given 2 times" in answer.json()["detail"]


async def test_concurrent_retries_make_one_document(start_server: StartServer) -> None:
    server = await start_server()
    answers: list[httpx.Response] = []

    async def send() -> None:
        async with server.new_client() as client:
            answers.append(await client.post("/v1/documents", json=NOTE, headers=keyed("race")))

    async with trio.open_nursery() as nursery:
        for _ in range(6):
            nursery.start_soon(send)
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert sum("Idempotent-Replayed" in answer.headers for answer in answers) == 5
    assert await count(server.client) == 1


async def test_keys_are_per_owner(start_server: StartServer, work_dir: Path) -> None:
    owners = await open_owners(start_server, server_settings(work_dir, auth="on"))
    mine = await owners.alice.post("/v1/documents", json=NOTE, headers=keyed("shared"))
    theirs = await owners.bob.post("/v1/documents", json=NOTE, headers=keyed("shared"))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert await count(owners.alice) == 1
    assert await count(owners.bob) == 1
