"""A page as a PNG picture: ``?format=png`` or ``Accept: image/png``, rendered by pdftoppm in
the box, under a render slot, cached like the PDF."""

from __future__ import annotations

import struct

import httpx
import pytest

from rendering.errors import PageNotFound
from rendering.output import PageRasterizer, PageRequest
from tests.conftest import pdf_pages

pytestmark = pytest.mark.tex

LONG = " ".join(f"word{n:04d}" for n in range(1000))  # about three pages of the echo template


def png_size(picture: bytes) -> tuple[int, int]:
    assert picture[:8] == b"\x89PNG\r\n\x1a\n", picture[:16]
    width, height = struct.unpack(">II", picture[16:24])
    return width, height


async def test_a_page_comes_back_as_a_png_at_the_asked_resolution(
    client: httpx.AsyncClient, no_leftovers: None
) -> None:
    body = {"text": "A page as a picture"}
    pdf = await client.post("/v1/render/echo", json=body)
    picture = await client.post("/v1/render/echo?format=png&dpi=50", json=body)
    assert picture.status_code == 200, picture.text
    assert picture.headers["content-type"] == "image/png"
    assert picture.headers["vary"] == "Accept"
    assert 'filename="echo-page-1.png"' in picture.headers["content-disposition"]
    # US letter (the echo template's paper) at 50 dpi.
    assert png_size(picture.content) == (425, 550)
    assert picture.headers["etag"] != pdf.headers["etag"]

    again = await client.post(
        "/v1/render/echo?format=png&dpi=50",
        json=body,
        headers={"if-none-match": picture.headers["etag"]},
    )
    assert again.status_code == 304
    cached = await client.post("/v1/render/echo?format=png&dpi=50", json=body)
    assert cached.content == picture.content
    assert cached.headers["server-timing"].startswith("cache;")

    by_accept = await client.post("/v1/render/echo", json=body, headers={"accept": "image/png"})
    assert by_accept.headers["content-type"] == "image/png"
    assert png_size(by_accept.content) == (816, 1056)  # the default 96 dpi
    pdf_first = await client.post(
        "/v1/render/echo", json=body, headers={"accept": "image/png;q=0.5, application/pdf"}
    )
    assert pdf_first.headers["content-type"] == "application/pdf"


async def test_each_page_has_its_picture_and_a_page_past_the_last_is_404(
    client: httpx.AsyncClient, no_leftovers: None
) -> None:
    body = {"text": LONG}
    pdf = await client.post("/v1/render/echo", json=body)
    pages = pdf_pages(pdf.content)
    assert pages >= 2
    first = await client.post("/v1/render/echo?format=png&dpi=30", json=body)
    last = await client.post(f"/v1/render/echo?format=png&dpi=30&page={pages}", json=body)
    assert first.status_code == last.status_code == 200
    assert first.content != last.content
    past = await client.post(f"/v1/render/echo?format=png&page={pages + 1}", json=body)
    assert past.status_code == 404
    assert past.json()["type"] == "/problems/page-not-found"
    for bad in ("format=jpeg", "format=png&page=0", "format=png&dpi=1000", "page=2", "dpi=72"):
        answer = await client.post(f"/v1/render/echo?{bad}", json=body)
        assert answer.status_code == 400, bad
        assert answer.json()["type"] == "/problems/invalid-parameter"


async def test_a_stored_document_has_pictures_too(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/v1/documents", json={"template": "echo", "data": {"text": "stored, pictured"}}
    )
    url = created.json()["links"]["pdf"]
    picture = await client.get(f"{url}?format=png&dpi=40")
    assert picture.status_code == 200
    assert png_size(picture.content) == (340, 440)


async def test_the_rasterizer_alone() -> None:
    rasterizer = PageRasterizer()
    with pytest.raises(PageNotFound):
        await rasterizer.png(MINIMAL_PDF, PageRequest(page=2, dpi=30), timeout_s=10)
    picture = await rasterizer.png(MINIMAL_PDF, PageRequest(page=1, dpi=72), timeout_s=10)
    assert png_size(picture) == (200, 100)


# A one-page PDF, 200 x 100 pt, written by hand (no TeX needed for this unit).
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
