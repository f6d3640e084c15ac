"""A right-to-left document is laid out mirrored: what starts a line in a left-to-right résumé
(a title, a heading, a bullet) is on the right, the dates on the left; links cover their own
text and nothing else."""

from __future__ import annotations

import json
import re
import subprocess
import zlib
from dataclasses import dataclass

import httpx
import pytest

from tools.exact_text import CORPUS_DIR

pytestmark = pytest.mark.tex

A4_WIDTH = 595.28


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    x_max: float


def words(pdf: bytes) -> list[Word]:
    """Page 1's words and where they are, as ``pdftotext -bbox`` reads them."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    found = re.finditer(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', html)
    return [Word(m.group(3), float(m.group(1)), float(m.group(2))) for m in found]


def link_widths(pdf: bytes) -> list[float]:
    """The width of each link annotation (the PDF's streams inflated and read for /Rect)."""
    inflated = []
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        try:
            inflated.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    text = pdf + b"\n".join(inflated)
    # One annotation a line in what xdvipdfmx writes: its link action nests a dictionary.
    rects = re.findall(rb"/Subtype\s*/Link.*?/Rect\s*\[([^\]]*)\]", text)
    return [float(r.split()[2]) - float(r.split()[0]) for r in rects]


@pytest.mark.parametrize("template", ["resume-classic", "resume-modern"])
async def test_an_arabic_resume_is_mirrored(client: httpx.AsyncClient, template: str) -> None:
    data = json.loads((CORPUS_DIR / "arabic.json").read_text(encoding="utf-8"))
    response = await client.post(f"/v1/render/{template}", json=data)
    assert response.status_code == 200, response.text
    page = words(response.content)
    # The employer's name (a title) starts at the right margin, its first word rightmost
    # (pdftotext's boxes hold a word's letters in visual order); its dates start at the left.
    title = next(w for w in page if w.text in ("شركة", "شركة"[::-1]))
    assert title.x_max > A4_WIDTH * 0.85, title
    # The dates are Arabic (meta.language "ar"): "since 2019 until now" ends at the left.
    dates = next(w for w in page if w.text in ("الآن", "الآن"[::-1]))
    assert dates.x_min < A4_WIDTH * 0.15, dates
    # A heading, in Arabic, is on the right too.
    heading = next(w for w in page if w.text in ("الخبرة", "الخبرة"[::-1]))
    assert heading.x_max > A4_WIDTH * 0.85, heading
    # The two links (e-mail, telephone) each cover a few words, not the rest of the page.
    widths = link_widths(response.content)
    assert len(widths) == 2, widths
    assert all(0 < width < A4_WIDTH / 3 for width in widths), widths
