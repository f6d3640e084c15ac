"""rendering.filling._predump: a render from a format that did microtype's set-up, each face's
set-up, the backend's loading and the hook sorting before its dump typesets exactly the pages a
plain compile does (protrusion and expansion included: pdfTeX does not dump them, the format
replays them), and sets up no face of the template's sample at run time."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from rendering.catalogue import Catalogue, Template
from rendering.config import DEFAULT_TEMPLATES_DIR
from rendering.filling._predump import BEGIN_MARK, predump_tex
from rendering.typesetting._engine import PdfLatexEngine
from rendering.typesetting._formats import DUMP_MARK, FormatStore
from tests.conftest import lh_font_metrics
from tools.exact_text import corpus, for_template

TEMPLATES = ("resume-classic", "resume-modern", "cover-letter")
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_FONT_NAME = re.compile(rb"/F(\d+)\b")
# A line that only sets the colours: a plain compile starts its page with one more.
_COLOUR_LINE = re.compile(rb"^[0-9. ]+ (?:g|rg|k) [0-9. ]+ (?:G|RG|K)\n", re.MULTILINE)
# Appended after the format's end: names each face microtype sets up during the render.
_TELL_SETUPS = (
    "\\makeatletter\\g@addto@macro\\trPD@setupfont"
    "{\\typeout{texrender-face-setup:\\expandafter\\string\\MT@font}}\\makeatother\n"
)


def page_streams(pdf: bytes) -> list[bytes]:
    """The page content streams of a pdfTeX PDF, inflated, with its font resources renamed in
    order of first use (a format and a plain compile number their fonts differently), and
    without the lines that only set colours: what remains is every glyph and its place."""
    pages = []
    for match in _STREAM.finditer(pdf):
        try:
            content = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        if b" Tf" not in content:
            continue  # not a page: fonts, object streams, the ToUnicode maps
        pages.append(_COLOUR_LINE.sub(b"", _renumber_fonts(content)))
    return pages


def _renumber_fonts(content: bytes) -> bytes:
    names: dict[bytes, int] = {}
    return _FONT_NAME.sub(lambda m: b"/F%d" % names.setdefault(m.group(1), len(names)), content)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load([DEFAULT_TEMPLATES_DIR])


async def _format_for(template: Template, engine: PdfLatexEngine, directory: Path) -> str:
    store = FormatStore(engine, directory, "test")
    source = template.to_tex(template.sample)
    store.plan({template.name: source})
    await store.build_missing()
    name = store.format_for(template.name, source)
    assert name is not None, store.statuses()
    return name


def test_only_the_fast_path_gets_it(catalogue: Catalogue) -> None:
    assert predump_tex().startswith(BEGIN_MARK)
    for name in TEMPLATES:
        template = catalogue[name]
        fast = template.to_tex(template.sample)
        preamble = fast.partition(DUMP_MARK)[0]
        assert BEGIN_MARK in preamble
        assert "\\trPredump{" in preamble
        assert BEGIN_MARK not in template.to_tex(template.sample, unicode=True)


@pytest.mark.tex
@pytest.mark.parametrize("name", TEMPLATES)
async def test_a_render_from_the_format_sets_the_pages_of_a_plain_compile(
    name: str, catalogue: Catalogue, work_dir: Path, format_dir: Path, no_leftovers: None
) -> None:
    template = catalogue[name]
    engine = PdfLatexEngine(work_root=work_dir, format_dir=format_dir)
    fmt = await _format_for(template, engine, format_dir)
    source = template.to_tex(template.sample)
    plain = await engine.compile(source, timeout_s=60)
    fast = await engine.compile(source, timeout_s=60, format_name=fmt)
    assert page_streams(plain.pdf)
    assert page_streams(fast.pdf) == page_streams(plain.pdf)
    # And its colours: resume-modern's ink is set in its preamble, a mark a format does not
    # keep; its text came out black from the format until the template set it again.
    assert page_colours(plain.pdf)
    assert page_colours(fast.pdf) == page_colours(plain.pdf)
    # The comparison sees microtype: the sample set without it is set differently.
    use = "\\usepackage[final]{microtype}\n"
    bare = source.replace(use, use + "\\microtypesetup{protrusion=false,expansion=false}\n", 1)
    assert bare != source
    without = await engine.compile(bare, timeout_s=60)
    assert page_streams(without.pdf) != page_streams(plain.pdf)


@pytest.mark.tex
@pytest.mark.parametrize("name", TEMPLATES)
async def test_the_format_holds_every_face_of_the_sample(
    name: str, catalogue: Catalogue, work_dir: Path, format_dir: Path, no_leftovers: None
) -> None:
    """The faces listed in the template's \\trPredump are the ones its sample uses: none is
    left for microtype to set up during the render. A new size or face in the template's
    macros fails here until it is listed."""
    template = catalogue[name]
    engine = PdfLatexEngine(work_root=work_dir, format_dir=format_dir)
    fmt = await _format_for(template, engine, format_dir)
    source = template.to_tex(template.sample).replace(DUMP_MARK, DUMP_MARK + _TELL_SETUPS, 1)
    told = await engine.compile(source, timeout_s=60, format_name=fmt)
    assert re.findall(r"texrender-face-setup:(\S+)", told.log) == []
    # And the line above does tell: a face the list leaves out is named.
    start = "\n\\begin{document}\n"
    italic = source.replace(start, start + "{\\fontsize{13}{15}\\itshape x}", 1)
    assert italic != source
    told = await engine.compile(italic, timeout_s=60, format_name=fmt)
    assert re.findall(r"texrender-face-setup:(\S+)", told.log) != []


@pytest.mark.tex
@pytest.mark.parametrize("name", TEMPLATES)
async def test_the_format_holds_every_cyrillic_and_greek_face(
    name: str, catalogue: Catalogue, work_dir: Path, format_dir: Path, no_leftovers: None
) -> None:
    """The same for the faces of Cyrillic and Greek (T2A, LGR), where the fast path sets them:
    the Russian, Ukrainian and Greek documents of the corpus set up no face during the render."""
    template = catalogue.with_cyrillic_greek()[name]
    assert template.cyrillic_greek
    engine = PdfLatexEngine(
        work_root=work_dir, format_dir=format_dir, tfm_dir=await lh_font_metrics()
    )
    fmt = await _format_for(template, engine, format_dir)
    documents = {document.name: document for document in corpus()}
    set_up = []
    for file in ("russian.json", "ukrainian.json", "greek.json"):
        data = template.read(for_template(documents[file], name)).data
        source = template.to_tex(data).replace(DUMP_MARK, DUMP_MARK + _TELL_SETUPS, 1)
        assert "\\trCyr{" in source or "\\trGrk{" in source
        told = await engine.compile(source, timeout_s=60, format_name=fmt)
        set_up += re.findall(r"texrender-face-setup:(\S+)", told.log)
    assert sorted(set(set_up)) == []


@pytest.mark.tex
async def test_a_preamble_without_microtype_takes_it_too(
    work_dir: Path, no_leftovers: None
) -> None:
    """Each step is there only when its package is: no microtype, no graphics driver."""
    source = (
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n"
        + predump_tex()
        + "\\trPredump{T1/cmr/m/n/10,T1/cmr/bx/n/12}\n\\begin{document}\nPlain.\n\\end{document}\n"
    )
    engine = PdfLatexEngine(work_root=work_dir)
    compiled = await engine.compile(source, timeout_s=60)
    assert compiled.pdf.startswith(b"%PDF")


def page_colours(pdf: bytes) -> list[bytes]:
    """The colours the pages set, in order (what page_streams leaves out), a colour set again
    right after itself counted once (a plain compile repeats black at the start of page 1)."""
    colours: list[bytes] = []
    for match in _STREAM.finditer(pdf):
        try:
            content = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        if b" Tf" in content:
            for line in _COLOUR_LINE.finditer(content):
                if not colours or colours[-1] != line.group(0):
                    colours.append(line.group(0))
    return colours
