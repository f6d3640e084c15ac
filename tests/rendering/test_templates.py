"""Every template end to end: from its own sample, from dense data, through the Unicode path;
each PDF checked by the text in it, its pages and its layout warnings."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import httpx
import pytest

from server.settings import DEFAULT_TEMPLATES_DIR
from tests.conftest import TESTS_DIR, pdf_pages, pdf_text

pytestmark = pytest.mark.tex

TEMPLATES = sorted(
    p.name for p in DEFAULT_TEMPLATES_DIR.iterdir() if (p / "template.toml").is_file()
)


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEFAULT_TEMPLATES_DIR / name / "sample.json").read_text())
    return data


def squashed(pdf: bytes) -> str:
    return " ".join(unicodedata.normalize("NFKC", pdf_text(pdf)).split())


def layout_warnings(response: httpx.Response) -> list[str]:
    header = response.headers.get("x-render-warnings")
    if header is None:
        return []
    return [
        w["message"]
        for w in json.loads(header)["warnings"]
        if "wider than" in w["message"] or "laid out for" in w["message"]
    ]


@pytest.mark.parametrize("name", TEMPLATES)
async def test_every_template_renders_its_sample_cleanly(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.post(f"/v1/render/{name}", json=sample(name))
    assert response.status_code == 200, response.text
    assert pdf_pages(response.content) == 1
    assert layout_warnings(response) == []  # no line sticks out, nothing spills over


async def test_the_cover_letter_prints_every_part(client: httpx.AsyncClient) -> None:
    data = sample("cover-letter")
    response = await client.post("/v1/render/cover-letter", json=data)
    text = squashed(response.content)
    for part in (
        data["sender"]["name"],
        data["sender"]["email"],
        data["recipient"]["organization"],
        "9008 Tromsø",
        "Gdańsk, 30 November 2026",
        data["subject"],
        data["salutation"],
        "Staff Data Engineer position",  # markup: **bold** became bold, the text stays
        data["closing"],
        "Enclosed: Resume, Two references",
    ):
        assert part in text, part
    assert "**" not in text


async def test_a_json_resume_basics_object_is_a_sender(client: httpx.AsyncClient) -> None:
    basics = sample("resume-classic")["basics"]
    letter = {"sender": basics, "paragraphs": ["Short and to the point."], "closing": "Best,"}
    response = await client.post("/v1/render/cover-letter", json=letter)
    assert response.status_code == 200, response.text
    text = squashed(response.content)
    assert basics["name"] in text
    assert basics["label"] in text
    assert text.count(basics["name"]) == 2  # the letterhead, and the signature under "Best,"
    assert basics["name"] in text.split("Best,")[1]


async def test_a_letter_in_japanese_takes_the_unicode_path(client: httpx.AsyncClient) -> None:
    letter = {
        "sender": {"name": "山田 花子", "email": "hanako@example.jp"},
        "recipient": {"name": "佐藤 一郎", "organization": "株式会社サンプル"},
        "date": "2026-12-01",
        "salutation": "拝啓",
        "paragraphs": ["貴社のソフトウェアエンジニア職に応募いたします。" * 3],
        "closing": "敬具",
    }
    response = await client.post("/v1/render/cover-letter", json=letter)
    assert response.status_code == 200, response.text
    assert 'engine;desc="xelatex"' in response.headers["server-timing"]
    text = squashed(response.content).replace(" ", "")
    for part in ("山田花子", "株式会社サンプル", "拝啓", "貴社のソフトウェアエンジニア職", "敬具"):
        assert part in text, part


async def test_a_letter_too_long_for_one_page_says_so(client: httpx.AsyncClient) -> None:
    letter = {"paragraphs": [" ".join(["A sentence that goes on."] * 40)] * 8}
    response = await client.post("/v1/render/cover-letter", json=letter)
    assert response.status_code == 200
    assert pdf_pages(response.content) >= 2
    assert any("laid out for at most 1" in m for m in layout_warnings(response))


DENSE = TESTS_DIR / "fixtures" / "resumes" / "german-engineer-long-career.json"


@pytest.mark.parametrize("name", ["resume-classic", "resume-modern"])
async def test_a_dense_resume_sets_without_a_line_too_wide(
    client: httpx.AsyncClient, name: str
) -> None:
    data = json.loads(DENSE.read_text(encoding="utf-8"))
    response = await client.post(f"/v1/render/{name}", json=data)
    assert response.status_code == 200, response.text
    assert not [m for m in layout_warnings(response) if "wider than" in m]
    text = squashed(response.content)
    for job in data["work"]:
        company = job.get("name") or job.get("company")
        if company:
            assert company.split()[0] in text, company


async def test_the_modern_resume_has_tags_and_a_unicode_path(client: httpx.AsyncClient) -> None:
    data = sample("resume-modern")
    response = await client.post("/v1/render/resume-modern", json=data)
    text = squashed(response.content)
    for keyword in data["skills"][0]["keywords"]:
        assert keyword in text, keyword
    assert text.index(data["basics"]["name"]) < text.index("Experience")  # reading order
    data["basics"]["name"] = "Дмитрий Иванов"
    unicode = await client.post("/v1/render/resume-modern", json=data)
    assert unicode.status_code == 200
    assert 'engine;desc="xelatex"' in unicode.headers["server-timing"]
    assert "Дмитрий Иванов" in squashed(unicode.content)


async def test_an_empty_letter_is_an_empty_page(client: httpx.AsyncClient) -> None:
    letter = {"paragraphs": [""], "sender": {"name": ""}, "subject": ""}
    # Read strictly, the empty strings stay: nothing to print, and one empty page.
    for query in ("?strict=true", "?strict=true&format=png&dpi=24"):
        response = await client.post(f"/v1/render/cover-letter{query}", json=letter)
        assert response.status_code == 200, response.text
    strict = await client.post("/v1/render/cover-letter?strict=true", json=letter)
    assert pdf_pages(strict.content) == 1
    # Read leniently, empty values are absent: a letter needs a paragraph.
    lenient = await client.post("/v1/render/cover-letter", json=letter)
    assert lenient.status_code == 422
    assert [e["pointer"] for e in lenient.json()["errors"]] == ["/paragraphs"]
