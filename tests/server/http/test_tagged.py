"""``?tagged=`` on the render routes, over real HTTP: a tagged PDF when asked for (a structure
tree, marked content), an untagged one by default, each with its own ETag and cache entry; a
value that is not a yes or a no is a 400."""

from __future__ import annotations

import httpx
import pytest

from tests.rendering.test_pdf_metadata import is_tagged
from tests.server.http.test_http import assert_problem

pytestmark = pytest.mark.tex

LETTER = {"sender": {"name": "Zoë"}, "paragraphs": ["Hello."]}


def from_cache(response: httpx.Response) -> bool:
    return response.headers["server-timing"].startswith("cache;")


async def test_tagged_when_asked_its_own_etag_and_cache_entry(client: httpx.AsyncClient) -> None:
    plain = await client.post("/v1/render/cover-letter", json=LETTER)
    assert plain.status_code == 200, plain.text
    assert not is_tagged(plain.content)
    tagged = await client.post("/v1/render/cover-letter?tagged=true", json=LETTER)
    assert tagged.status_code == 200, tagged.text
    assert not from_cache(tagged)  # the same body, but never the untagged PDF from the cache
    assert is_tagged(tagged.content)
    assert tagged.headers["etag"] != plain.headers["etag"]
    # The untagged document's ETag does not answer for the tagged one.
    again = await client.post(
        "/v1/render/cover-letter?tagged=Yes",
        json=LETTER,
        headers={"if-none-match": plain.headers["etag"]},
    )
    assert again.status_code == 200
    assert from_cache(again)
    assert again.headers["etag"] == tagged.headers["etag"]
    assert is_tagged(again.content)
    # Saying no is the default.
    said_no = await client.post("/v1/render/cover-letter?tagged=off", json=LETTER)
    assert said_no.headers["etag"] == plain.headers["etag"]
    assert not is_tagged(said_no.content)


@pytest.mark.parametrize("value", ["maybe", "2", "tagged", "true,false"])
async def test_400_a_value_that_is_not_a_yes_or_a_no(client: httpx.AsyncClient, value: str) -> None:
    response = await client.post(f"/v1/render/cover-letter?tagged={value}", json=LETTER)
    body = assert_problem(response, 400, "invalid-parameter")
    assert body["detail"] == "tagged must be true or false"


async def test_a_picture_of_the_tagged_pdf_is_its_own(client: httpx.AsyncClient) -> None:
    plain = await client.post("/v1/render/cover-letter?format=png&dpi=30", json=LETTER)
    tagged = await client.post("/v1/render/cover-letter?format=png&dpi=30&tagged=1", json=LETTER)
    assert plain.status_code == tagged.status_code == 200
    assert tagged.headers["content-type"] == "image/png"
    assert tagged.headers["etag"] != plain.headers["etag"]


async def test_a_stored_document_tagged(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/documents", json={"template": "cover-letter", "data": LETTER})
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    tagged = await client.get(f"{location}/pdf?tagged=true")
    assert tagged.status_code == 200
    assert is_tagged(tagged.content)
    plain = await client.get(f"{location}/pdf")
    assert not is_tagged(plain.content)
    wrong = await client.get(f"{location}/pdf?tagged=sometimes")
    assert_problem(wrong, 400, "invalid-parameter")


async def test_the_openapi_document_describes_the_parameter(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    for path in ("/v1/render/cover-letter", "/v1/documents/{document_id}/pdf"):
        operation = next(iter(document["paths"][path].values()))
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert parameters["tagged"]["in"] == "query"
        assert "true" in parameters["tagged"]["schema"]["enum"]
        assert "tagged PDF" in parameters["tagged"]["description"]
