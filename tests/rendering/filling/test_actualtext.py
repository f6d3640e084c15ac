"""rendering.filling._actualtext: on the fast path every character pdfLaTeX can set reads back
out of the PDF as itself (pdftotext, after NFC), the composed ones through their /ActualText;
the Unicode path, whose fonts have every glyph, gets none of it."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from rendering import RenderConfig, RenderOrder, build_service
from rendering.catalogue import Catalogue
from rendering.filling._actualtext import BEGIN_MARK, COMPOSED_RANGES, actual_text_tex
from rendering.reading._charset import T1_TEXT
from server.settings import DEFAULT_TEMPLATES_DIR
from tests.conftest import pdf_text

TEMPLATES = ("resume-classic", "resume-modern", "cover-letter")
COMPOSED = [chr(p) for first, last in COMPOSED_RANGES for p in range(first, last + 1)]
# Every non-ASCII character the fast path sets visibly (no spaces, breaks or soft hyphens).
VISIBLE = sorted(
    chr(p)
    for p in T1_TEXT
    if p > 0x7F and unicodedata.category(chr(p)) not in ("Zs", "Cf", "Cc", "Mn")
)


def test_the_composed_characters_are_ones_the_fast_path_sets() -> None:
    assert set(map(ord, COMPOSED)) <= T1_TEXT
    assert {"ī", "ș", "Ș", "ķ", "ņ", "ģ", "į", "ų", "…", "ﬁ"} <= set(COMPOSED)
    assert not {"é", "ł", "ő", "ā", "ē"} & set(COMPOSED)  # one glyph, or decomposed: NFC mends it


def test_each_composed_character_gets_its_code_point() -> None:
    tex = actual_text_tex(((0x012B, 0x012B), (0x2026, 0x2026)))
    assert tex.startswith(BEGIN_MARK)
    assert "\\trExact{012B}{ī}" in tex
    assert "\\trExact{2026}{…}" in tex
    assert tex.count("\\trExact{") == 2


@pytest.mark.parametrize("template", TEMPLATES)
def test_only_the_fast_path_carries_it(template: str) -> None:
    chosen = Catalogue.load([DEFAULT_TEMPLATES_DIR]).get_template(template)
    assert BEGIN_MARK in chosen.to_tex(chosen.sample)
    assert BEGIN_MARK not in chosen.to_tex(chosen.sample, unicode=True)


def _data(template: str, text: str, emphasised: str) -> dict[str, object]:
    if template == "cover-letter":
        return {"sender": {"name": text}, "paragraphs": [text, emphasised]}
    return {"basics": {"summary": f"{text}\n\n{emphasised}"}, "work": [{"name": text}]}


@pytest.mark.tex
@pytest.mark.parametrize("template", TEMPLATES)
async def test_every_character_reads_back_as_itself(template: str, work_dir: Path) -> None:
    """Bold (a name), upright (a paragraph) and italic (Markdown emphasis)."""
    words = [f"({char})" for char in VISIBLE]
    text = " ".join(words)
    emphasised = " ".join(f"*{word}*" for word in words)
    config = RenderConfig(template_dirs=(DEFAULT_TEMPLATES_DIR,), work_dir=work_dir, cache_bytes=0)
    service = await build_service(config)
    rendered = await service.pipeline.render(
        RenderOrder.for_data(template, _data(template, text, emphasised))
    )
    assert rendered.engine == ""  # the fast path
    extracted = unicodedata.normalize("NFC", pdf_text(rendered.body)).split()
    wrong = [w for w in words if extracted.count(unicodedata.normalize("NFC", w)) < 3]
    assert wrong == []
