# ruff: noqa: RUF001 - words in Cyrillic and Greek, whose letters look like Latin ones
"""rendering.filling._fontenc: the fast path's font block, with and without Cyrillic and Greek,
and the case pairs it keeps out of LaTeX's list (text in UTF-8 is still uppercased right)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rendering.filling._fontenc import LATIN_ONLY, fast_fonts_tex
from rendering.typesetting import CYRILLIC_GREEK_FACES
from rendering.typesetting._engine import PdfLatexEngine
from tests.conftest import lh_font_metrics, pdf_text


def test_without_the_fonts_the_block_loads_t1_alone() -> None:
    assert fast_fonts_tex(False) == LATIN_ONLY == "\\usepackage[T1]{fontenc}\n"


def test_the_block_declares_every_face_of_the_table() -> None:
    block = fast_fonts_tex(True)
    assert "\\usepackage[LGR,T2A,T1]{fontenc}" in block
    for face, font in CYRILLIC_GREEK_FACES.items():
        encoding, family, series, shape = face.split("/")
        declared = f"\\DeclareFontShape{{{encoding}}}{{{family}}}{{{series}}}{{{shape}}}"
        assert f"{declared}{{<-> {font}}}{{}}" in block


@pytest.mark.tex
async def test_utf8_text_is_still_uppercased_without_the_case_pairs(work_dir: Path) -> None:
    # The block puts \@uclclist back as T1 had it (LaTeX would otherwise build case tables
    # from ~200 more pairs at every \begin{document}): UTF-8 text is cased by code point.
    source = (
        "\\documentclass{article}\n"
        + fast_fonts_tex(True)
        + "\\usepackage[utf8]{inputenc}\n\\begin{document}\n"
        "\\MakeUppercase{\\trCyr{Опыт работы} \\trGrk{Εμπειρία} Zoë}\n\\end{document}\n"
    )
    engine = PdfLatexEngine(work_root=work_dir, tfm_dir=await lh_font_metrics())
    compiled = await engine.compile(source, timeout_s=60)
    assert pdf_text(compiled.pdf).split()[:4] == ["ОПЫТ", "РАБОТЫ", "ΕΜΠΕΙΡ΄ΙΑ", "ZOË"]
