"""``?paper=`` on the render routes, over real HTTP: the size asked for is the page size, a
size texrender does not know is a 400, one the template is not made for a 422."""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest

from tests.server.http.test_http import assert_problem

pytestmark = pytest.mark.tex

LETTER = {"sender": {"name": "Zoë"}, "paragraphs": ["Hello."]}


def media_box(pdf: bytes) -> str:
    info = subprocess.run(["pdfinfo", "-box", "-"], input=pdf, capture_output=True, check=True)
    found = re.search(r"MediaBox:\s+0\.00\s+0\.00\s+(\S+)\s+(\S+)", info.stdout.decode())
    assert found
    return f"{found[1]} x {found[2]}"


async def test_paper_is_the_page_size_and_its_own_etag(client: httpx.AsyncClient) -> None:
    a4 = await client.post("/v1/render/cover-letter", json=LETTER)
    letter = await client.post("/v1/render/cover-letter?paper=Letter", json=LETTER)
    assert a4.status_code == letter.status_code == 200
    assert media_box(a4.content) == "595.28 x 841.89"
    assert media_box(letter.content) == "612.00 x 792.00"
    assert a4.headers["etag"] != letter.headers["etag"]
    # The A4 document's ETag does not answer for the Letter one.
    again = await client.post(
        "/v1/render/cover-letter?paper=letter",
        json=LETTER,
        headers={"if-none-match": a4.headers["etag"]},
    )
    assert again.status_code == 200
    assert media_box(again.content) == "612.00 x 792.00"


@pytest.mark.parametrize("value", ["a5", "", "legal", "a4,letter"])
async def test_400_a_paper_size_texrender_does_not_know(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.post(f"/v1/render/cover-letter?paper={value}", json=LETTER)
    body = assert_problem(response, 400, "invalid-parameter")
    assert "a4" in body["detail"]
    assert "letter" in body["detail"]


async def test_422_a_size_the_template_is_not_made_for(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/render/echo?paper=letter", json={"text": "hi"})
    body = assert_problem(response, 422, "unsupported-paper")
    assert "'echo' is made for a4 paper" in body["detail"]
    response = await client.post("/v1/render/echo?paper=a4", json={"text": "hi"})
    assert response.status_code == 200


async def test_a_stored_document_on_letter(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/documents", json={"template": "cover-letter", "data": LETTER})
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    letter = await client.get(f"{location}/pdf?paper=letter")
    assert letter.status_code == 200
    assert media_box(letter.content) == "612.00 x 792.00"
    wrong = await client.get(f"{location}/pdf?paper=b5")
    assert_problem(wrong, 400, "invalid-parameter")


async def test_the_openapi_document_describes_the_parameter(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    for path in ("/v1/render/cover-letter", "/v1/documents/{document_id}/pdf"):
        operation = next(iter(document["paths"][path].values()))
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert parameters["paper"]["schema"]["enum"] == ["a4", "letter"]
