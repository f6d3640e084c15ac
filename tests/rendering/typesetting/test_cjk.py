"""Han characters in the face of the document's language, serif or sans as the template's
Latin, and wrapped CJK lines that extract with no spaces in them."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.conftest import pdf_text

pytestmark = pytest.mark.tex

# Characters whose shapes differ between Chinese (simplified, traditional), Japanese and Korean.
HAN = "门述骨直"


async def _render(client: httpx.AsyncClient, template: str, data: object) -> bytes:
    response = await client.post(f"/v1/render/{template}", json=data)
    assert response.status_code == 200, response.text
    assert 'engine;desc="xelatex"' in response.headers["server-timing"]
    return response.content


def _picture(pdf: bytes) -> bytes:
    """Page 1 as a PNG: what the glyphs look like."""
    return subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout


def _resume(language: str | None, text: str = HAN) -> dict[str, object]:
    data: dict[str, object] = {"basics": {"name": text, "label": text}}
    if language:
        data["meta"] = {"language": language}
    return data


@pytest.mark.parametrize(
    ("template", "face"), [("resume-classic", "Serif"), ("resume-modern", "Sans")]
)
async def test_cjk_text_takes_the_cjk_face_of_the_templates_latin(
    client: httpx.AsyncClient, template: str, face: str
) -> None:
    pdf = await _render(client, template, _resume("zh-Hans"))
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    assert f"Noto{face}CJK" in fonts.stdout.decode(), fonts.stdout.decode()


async def test_the_same_han_characters_take_each_languages_forms(
    client: httpx.AsyncClient,
) -> None:
    # Noto CJK names every face of its collection after the first (JP) in the PDF: the
    # shapes on the page tell the faces apart.
    pictures = {
        language: _picture(await _render(client, "resume-classic", _resume(language)))
        for language in ("zh-Hans", "zh-Hant", "ja", "ko")
    }
    assert len(set(pictures.values())) == len(pictures)
    # Without a language, Han characters alone read as simplified Chinese.
    assert _picture(await _render(client, "resume-classic", _resume(None))) == pictures["zh-Hans"]
    assert (
        _picture(await _render(client, "resume-classic", _resume("zh-TW"))) == pictures["zh-Hant"]
    )


async def test_kana_or_hangul_in_the_text_choose_japanese_or_korean(
    client: httpx.AsyncClient,
) -> None:
    for language, extra in (("ja", "です"), ("ko", "입니다")):
        text = HAN + extra
        tagged = _picture(await _render(client, "resume-classic", _resume(language, text)))
        assert _picture(await _render(client, "resume-classic", _resume(None, text))) == tagged


async def test_wrapped_cjk_lines_extract_without_spaces(client: httpx.AsyncClient) -> None:
    summary = "八年后端开发经验，专注于支付系统和分布式存储。重视代码质量，乐于指导新同事。" * 4  # noqa: RUF001
    data = {"meta": {"language": "zh"}, "basics": {"name": "陈静怡", "summary": summary}}
    text = pdf_text(await _render(client, "resume-classic", data))
    lines = [line for line in text.splitlines() if line and line[0] in summary]
    assert len(lines) > 1, text  # the summary wraps
    assert all(" " not in line for line in lines), lines
    assert "".join(lines) == summary
