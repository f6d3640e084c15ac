"""Every template end to end: from its own sample, from dense data, through the Unicode path;
each PDF checked by the text in it, its pages and its layout warnings. And what each one prints:
every place its schema describes, except the ones its template.toml says it does not."""

from __future__ import annotations

import json
import subprocess
import unicodedata
from typing import Any

import httpx
import pytest

from rendering.catalogue import Catalogue, Template
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
    # Not a word to say: nothing read another way, nothing left out, no line sticks out.
    assert "x-render-warnings" not in response.headers, response.headers["x-render-warnings"]
    dry = await client.post(f"/v1/validate/{name}", json=sample(name))
    assert dry.json()["warnings"] == []
    # Markdown's backticks mark a code span; they are not part of the text.
    assert "`" not in pdf_text(response.content)


async def test_a_code_span_in_the_sample_prints_its_text(client: httpx.AsyncClient) -> None:
    data = sample("resume-classic")
    assert "the `raw_events` topic" in data["work"][0]["highlights"][2]
    response = await client.post("/v1/render/resume-classic", json=data)
    assert "the raw_events topic" in squashed(response.content)


# ---------------------------------------------------------------------------------------------
# What each template prints

CATALOGUE = Catalogue.load([DEFAULT_TEMPLATES_DIR])
MARK = "Zqxvw"
ISO_DATE_PATTERN = "^([1-2][0-9]{3}"


def leaf_places(schema: Any, root: dict[str, Any], place: str = "") -> dict[str, Any]:
    """Every place of a value that is not an object or a list, with its schema."""
    if isinstance(schema, dict) and "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].partition("#/")[2].split("/"):
            target = target[part]
        schema = target
    if "properties" in schema:
        places: dict[str, Any] = {}
        for key, sub in schema["properties"].items():
            places |= leaf_places(sub, root, f"{place}.{key}" if place else key)
        return places
    if schema.get("type") == "array":
        return leaf_places(schema.get("items", {}), root, f"{place}[]")
    return {place: schema}


def marked(schema: dict[str, Any]) -> tuple[Any, str]:
    """A value for a place of this schema, and what of it shows in the source when printed."""
    if schema.get("format") == "email":
        return f"{MARK.lower()}@example.org", MARK.lower()
    if schema.get("format") == "uri":
        return f"https://{MARK.lower()}.example.org/", MARK.lower()
    if str(schema.get("pattern", "")).startswith(ISO_DATE_PATTERN):
        return "1911-11", "1911"
    return MARK, MARK


def holding(place: str, value: Any) -> dict[str, Any]:
    """A document with ``value`` at ``place`` (``work[].highlights[]``) and nothing else."""
    built: Any = value
    for part in reversed(place.split(".")):
        for _ in range(part.count("[]")):
            built = [built]
        built = {part.replace("[]", ""): built}
    result: dict[str, Any] = built
    return result


def body_of(template: Template, data: dict[str, Any]) -> str:
    required = {key: template.sample[key] for key in template.schema.get("required", [])}
    source = template.to_tex({**required, **data})
    return source.split("\\begin{document}", 1)[1]


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_template_prints_every_place_its_schema_describes_but_the_ones_it_names(
    name: str,
) -> None:
    template = CATALOGUE[name]
    hidden = template.shown.not_printed | template.shown.metadata
    unprinted, listed = [], []
    for place, schema in leaf_places(template.schema, dict(template.schema)).items():
        value, shows = marked(schema)
        if shows not in body_of(template, holding(place, value)):
            unprinted.append(place)
        if any(place == h or place.startswith((f"{h}.", f"{h}[]")) for h in hidden):
            listed.append(place)  # a listed place covers everything under it
    assert unprinted == listed


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
    data["basics"]["name"] = "陈静怡"
    unicode = await client.post("/v1/render/resume-modern", json=data)
    assert unicode.status_code == 200
    assert 'engine;desc="xelatex"' in unicode.headers["server-timing"]
    assert "陈静怡" in squashed(unicode.content)
    # Cyrillic its fast path sets, in its sans serif (T2A: CM-Super's sans).
    data["basics"]["name"] = "Дмитрий Иванов"
    cyrillic = await client.post("/v1/render/resume-modern", json=data)
    assert cyrillic.status_code == 200
    assert "engine" not in cyrillic.headers["server-timing"]
    assert "Дмитрий Иванов" in squashed(cyrillic.content)
    fonts = subprocess.run(
        ["pdffonts", "-"], input=cyrillic.content, capture_output=True, check=True
    ).stdout.decode()
    assert "SFSS" in fonts or "SFSX" in fonts, fonts


async def test_an_empty_letter_is_refused_and_empty_parts_are_skipped(
    client: httpx.AsyncClient,
) -> None:
    letter = {"paragraphs": [""], "sender": {"name": ""}, "subject": ""}
    # Read strictly, the empty strings stay: nothing to print, which is no document.
    strict = await client.post("/v1/render/cover-letter?strict=true", json=letter)
    assert strict.status_code == 422
    assert strict.json()["type"] == "/problems/empty-document"
    # One word to print, and every empty part around it is skipped without a TeX error.
    letter["closing"] = "Regards,"
    for query in ("?strict=true", "?strict=true&format=png&dpi=24"):
        response = await client.post(f"/v1/render/cover-letter{query}", json=letter)
        assert response.status_code == 200, response.text
    strict = await client.post("/v1/render/cover-letter?strict=true", json=letter)
    assert pdf_pages(strict.content) == 1
    assert squashed(strict.content) == "Regards,"
    # Read leniently, empty values are absent: a letter needs a paragraph.
    lenient = await client.post("/v1/render/cover-letter", json=letter)
    assert lenient.status_code == 422
    assert [e["pointer"] for e in lenient.json()["errors"]] == ["/paragraphs"]
