"""The Unicode path: text pdfLaTeX cannot set goes, by itself, through XeLaTeX and Noto fonts
with the same template; characters no installed font has are still one clear 422."""

from __future__ import annotations

import unicodedata

import httpx
import pytest

from rendering.filling._escape import escape_latex
from rendering.filling._script import Script
from rendering.filling._unicode import unicode_fill
from rendering.reading._charset import strip_invisible
from rendering.typesetting._fonts import parse_charset
from tests.conftest import pdf_text

pytestmark = pytest.mark.tex

RENDER = "/v1/render/resume-classic"
NAMES = {
    "cyrillic": "Дмитрий Иванов",
    "greek": "Γιώργος Παπαδόπουλος",
    "japanese": "山田 花子",
    "arabic": "محمد علي",
    "hebrew": "דוד כהן",
    "korean": "김민준",
    "vietnamese": "Nguyễn Thị Hương",
}
# The scripts the fast path sets itself (T2A, LGR: the machine has their fonts).
ON_THE_FAST_PATH = {"cyrillic", "greek"}


def page_text(pdf: bytes) -> str:
    """The page's text, with Arabic presentation forms read back as letters."""
    return " ".join(unicodedata.normalize("NFKC", pdf_text(pdf)).split())


@pytest.mark.parametrize("script", sorted(NAMES))
async def test_a_name_in_another_script_is_set_by_the_path_that_can(
    client: httpx.AsyncClient, script: str
) -> None:
    name = NAMES[script]
    data = {
        "basics": {"name": name, "label": "Engineer", "email": "someone@example.org"},
        "work": [{"name": "Acme", "position": "Developer", "startDate": "2020-01"}],
    }
    response = await client.post(RENDER, json=data)
    assert response.status_code == 200, response.text
    unicode_path = 'engine;desc="xelatex"' in response.headers["server-timing"]
    assert unicode_path == (script not in ON_THE_FAST_PATH)
    text = page_text(response.content)
    assert name in text, text
    assert "someone@example.org" in text
    assert "Jan 2020" in text


async def test_latin_text_keeps_the_fast_path(client: httpx.AsyncClient) -> None:
    response = await client.post(RENDER, json={"basics": {"name": "Zoë Łukasiewicz-Núñez"}})
    assert response.status_code == 200
    assert "engine" not in response.headers["server-timing"]
    assert "Zoë Łukasiewicz-Núñez" in page_text(response.content)


async def test_characters_no_font_has_are_one_422_listing_all_of_them(
    client: httpx.AsyncClient,
) -> None:
    data = {
        "basics": {"name": "Иван ก", "label": "क and \u1200"},
        "work": [{"name": "𐀀 Ltd"}],
    }
    response = await client.post(RENDER, json=data)
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/problems/unsupported-character"
    for char in ("U+0E01", "U+0915", "U+1200", "U+10000"):
        assert char in body["detail"], body["detail"]
    assert "U+0418" not in body["detail"]  # Cyrillic is settable: not listed
    assert "No installed font" in body["detail"]
    assert sorted(e["pointer"] for e in body["errors"]) == [
        "/basics/label",
        "/basics/name",
        "/work/0/name",
    ]


async def test_right_to_left_text_reads_right_to_left(client: httpx.AsyncClient) -> None:
    # pdftotext puts text in reading order: "מ" (the first letter) must come before "ה".
    response = await client.post(RENDER, json={"basics": {"name": "Ada", "label": "מנהלת"}})
    assert response.status_code == 200
    text = page_text(response.content)
    assert "מנהלת" in text, text


def test_runs_of_right_to_left_text_are_marked_only_for_the_unicode_path() -> None:
    text = "Name: محمد علي, since 2024 and דוד."
    assert escape_latex(text) == text
    with unicode_fill(True):
        marked = escape_latex(text)
    # Each right-to-left word carries its text for extractors, its letters in visual order
    # (extractors reverse them back).
    assert marked == (
        r"Name: \beginR{}\trRtlText{062F0645062D0645}{محمد} "
        r"\trRtlText{064A06440639}{علي}\endR{}, since 2024 and "
        r"\beginR{}\trRtlText{05D305D505D3}{דוד}\endR{}."
    )


def test_a_right_to_left_value_is_a_right_to_left_paragraph_with_its_latin_runs_inside() -> None:
    with unicode_fill(True, Script(rtl=True)):
        assert escape_latex("Senior engineer") == r"\beginL{}Senior engineer\endL{}"
        marked = escape_latex("أنشأت نظام على Prometheus لخمسين خدمة.")
    assert marked.startswith(r"\beginR{}")
    assert marked.endswith(r"\endR{}")
    prometheus = "200F" + "Prometheus".encode("utf-16-be").hex().upper()
    assert rf"\beginL{{}}\trLtrText{{{prometheus}}}{{Prometheus}}\endL{{}} " in marked


def test_a_fontconfig_charset_is_read_as_ranges() -> None:
    assert parse_charset("20-7e a0-377 384 1f00-1f15") == [
        (0x20, 0x7E),
        (0xA0, 0x377),
        (0x384, 0x384),
        (0x1F00, 0x1F15),
    ]


def test_a_joiner_that_spells_an_arabic_script_word_is_kept() -> None:
    joined = "\u0644\u200d\u0627"  # lam, zero width joiner, alef
    assert strip_invisible(joined) == joined
    assert strip_invisible("Ada\u200dLovelace") == "AdaLovelace"  # decoration: removed
    assert strip_invisible("\u200d\u0644") == "\u0644"  # not between two letters


async def test_a_persian_name_with_a_non_joiner_renders(client: httpx.AsyncClient) -> None:
    name = "\u0645\u0647\u062f\u06cc\u200c\u0632\u0627\u062f\u0647"  # Mahdi-zadeh
    response = await client.post(RENDER, json={"basics": {"name": name}})
    assert response.status_code == 200, response.text
    assert 'engine;desc="xelatex"' in response.headers["server-timing"]
    assert name.replace("\u200c", "") in page_text(response.content).replace("\u200c", "")
