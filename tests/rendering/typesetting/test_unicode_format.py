"""The Unicode path's format: one preamble per template whatever the document's script, dumped
by XeLaTeX (no OpenType font in it), and renders from it that look and read exactly like
plain compiles; the faces it names by file are the ones fontconfig and kpathsea find."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from rendering import RenderConfig, build_service
from rendering.catalogue import Catalogue, Template
from rendering.config import DEFAULT_TEMPLATES_DIR, RenderLimits
from rendering.filling._mirror import MIRRORED_DOCUMENT
from rendering.filling._script import Script
from rendering.filling._unicode import script_tex, setup_tex
from rendering.pipeline import Pipeline, RenderOrder, UnicodePath
from rendering.typesetting import _faces
from rendering.typesetting._engine import PdfLatexEngine
from rendering.typesetting._faces import FACES, Face, check_face_files
from rendering.typesetting._fonts import ENGINE, UnicodeCoverage
from rendering.typesetting._formats import FormatStore, split_preamble
from tests.conftest import SpyEngine, pdf_text
from tools.exact_text import CORPUS_DIR, corpus, for_template

TEMPLATES = ("resume-classic", "resume-modern", "cover-letter")
# Left to right and right to left, each CJK face class, and a Latin face with composed accents.
SCRIPTS = ("russian.json", "greek.json", "arabic.json", "hebrew.json", "japanese.json")
SCRIPTS_ALL = (*SCRIPTS, "chinese.json", "korean.json", "maori-macrons.json")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load([DEFAULT_TEMPLATES_DIR])


def _filled(template: Template, name: str) -> str:
    document = {d.name: d for d in corpus(CORPUS_DIR)}[name]
    return template.to_tex(for_template(document, template.name), unicode=True)


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_script_shares_the_templates_unicode_preamble(
    catalogue: Catalogue, template: str
) -> None:
    chosen = catalogue[template]
    preambles = {split_preamble(_filled(chosen, name)) for name in SCRIPTS_ALL}
    preambles.add(split_preamble(chosen.to_tex(chosen.sample, unicode=True)))
    assert len(preambles) == 1
    (preamble,) = preambles
    assert preamble is not None
    # Fonts are declared in it, never loaded by name (fontspec would open them at once).
    assert "fontspec" not in preamble
    assert "[NotoSerif-Regular.ttf]" in preamble or "[NotoSans-Regular.ttf]" in preamble


def _picture(pdf: bytes) -> bytes:
    return subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-"], input=pdf, capture_output=True, check=True
    ).stdout


def _fonts(pdf: bytes) -> list[str]:
    """The fonts in the PDF, less their subset tags."""
    listed = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    rows = listed.stdout.decode().splitlines()[2:]
    return sorted(row.split()[0].split("+")[-1] for row in rows if row.strip())


@pytest.mark.tex
@pytest.mark.parametrize("template", TEMPLATES)
async def test_renders_from_the_unicode_format_match_plain_compiles(
    catalogue: Catalogue, template: str, work_dir: Path, format_dir: Path, no_leftovers: None
) -> None:
    chosen = catalogue[template]
    engine = PdfLatexEngine(ENGINE, work_root=work_dir, format_dir=format_dir)
    store = FormatStore(engine, format_dir, "test")
    store.plan({template: chosen.to_tex(chosen.sample, unicode=True)})
    await store.build_missing()
    assert store.statuses() == {template: "ready"}
    for name in SCRIPTS:
        source = _filled(chosen, name)
        fmt = store.format_for(template, source)
        assert fmt is not None, name
        plain = await engine.compile(source, timeout_s=60)
        started = await engine.compile(source, timeout_s=60, format_name=fmt)
        assert pdf_text(started.pdf) == pdf_text(plain.pdf), name
        assert _fonts(started.pdf) == _fonts(plain.pdf), name
        assert all(font.startswith("Noto") for font in _fonts(started.pdf)), name
        assert _picture(started.pdf) == _picture(plain.pdf), name
        again = await engine.compile(source, timeout_s=60, format_name=fmt)
        assert again.pdf == started.pdf, name  # deterministic, to the byte
        # The set-up done before the dump is not done again: the l3 backend's file is in the
        # format, while a plain compile reads it at \begin{document}.
        assert _reads(started.log, BACKEND) == [], name
        assert _reads(plain.log, BACKEND) != [], name


BACKEND = "l3backend-xetex.def"


def _reads(log: str, name: str) -> list[str]:
    """The lines of a TeX log where it opened a file called ``name`` (``(/path/name``; the list
    of files a format was made from names them without a path)."""
    return [line for line in log.splitlines() if "(/" in line and f"/{name}" in line]


@pytest.mark.tex
async def test_the_pipeline_sets_a_unicode_document_from_its_format(
    catalogue: Catalogue, work_dir: Path, format_dir: Path
) -> None:
    template = catalogue["resume-classic"]
    engine = PdfLatexEngine(ENGINE, work_root=work_dir, format_dir=format_dir)
    store = FormatStore(engine, format_dir, "test")
    store.plan({template.name: template.to_tex(template.sample, unicode=True)})
    await store.build_missing()
    spy = SpyEngine(engine)
    coverage = UnicodeCoverage(((0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x52F)))
    unicode = UnicodePath(spy, coverage, "test", ENGINE, store)
    pipeline = Pipeline(
        Catalogue({template.name: template}),
        spy,  # the fast path's engine: must not be asked
        RenderLimits(slots=1),
        unicode=unicode,
    )
    data = {"basics": {"name": "Дмитрий Иванов", "email": "d@example.org"}}
    result = await pipeline.render(RenderOrder.for_data(template.name, data))
    assert spy.formats == [store.format_for(template.name, template.to_tex(data, unicode=True))]
    assert spy.formats[0] is not None
    assert "Дмитрий Иванов" in pdf_text(result.body)


def test_a_face_names_its_file_and_its_index_in_a_collection() -> None:
    assert Face("NotoSerif-Bold.ttf").tex == "[NotoSerif-Bold.ttf]"
    assert Face("NotoSansCJK-Regular.ttc", 2).tex == "[NotoSansCJK-Regular.ttc:2]"
    assert FACES["Noto Serif CJK JP"]["Bold"] == Face("NotoSerifCJK-Bold.ttc", 0)


@pytest.mark.tex
async def test_the_faces_are_the_files_fontconfig_and_kpathsea_find() -> None:
    assert await check_face_files() is None


@pytest.mark.tex
async def test_a_face_fontconfig_does_not_have_turns_the_path_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = {**FACES, "Noto Serif": {**FACES["Noto Serif"], "Bold": Face("NotoSerif-Black.ttf")}}
    monkeypatch.setattr(_faces, "FACES", wrong)
    problem = await check_face_files()
    assert problem is not None
    assert "Noto Serif Bold" in problem


@pytest.mark.tex
async def test_a_face_in_the_wrong_family_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The right file, but the collection's face for another language.
    wrong = {**FACES, "Noto Sans CJK SC": {"Regular": Face("NotoSansCJK-Regular.ttc", 0)}}
    monkeypatch.setattr(_faces, "FACES", wrong)
    assert await check_face_files() == "fontconfig has no Noto Sans CJK SC Regular in " + (
        "NotoSansCJK-Regular.ttc"
    )


@pytest.mark.tex
async def test_the_service_builds_the_unicode_formats_and_sets_documents_from_them(
    work_dir: Path, format_dir: Path
) -> None:
    config = RenderConfig(template_dirs=(DEFAULT_TEMPLATES_DIR,), work_dir=work_dir)
    service = await build_service(dataclasses.replace(config, format_dir=format_dir))
    try:
        assert service.pipeline.unicode is not None
        assert service.readiness()["formats_settled"] is False
        await service.build_formats()
        assert service.readiness()["formats_settled"] is True
        states = service.format_states()
        for template in TEMPLATES:
            assert states[template] == "ready"
            assert states[f"{template}/xelatex"] == "ready"
            assert service.format_files()[f"{template}/xelatex"] == "uncompressed"
        order = RenderOrder.for_data("resume-modern", {"basics": {"name": "陈静怡"}})
        result = await service.pipeline.render(order)
        assert result.engine == "xelatex"
        assert "陈静怡" in pdf_text(result.body)
    finally:
        await service.aclose()


def test_the_script_part_picks_the_cjk_face_and_mirrors_right_to_left() -> None:
    assert r"\fontfamily{trCJKSC}" in setup_tex()  # a default, for a template without it
    japanese = script_tex(Script(cjk="JP"))
    assert r"\fontfamily{trCJKJP}" in japanese
    assert MIRRORED_DOCUMENT not in japanese
    assert MIRRORED_DOCUMENT in script_tex(Script(rtl=True))


@pytest.mark.tex
async def test_the_setup_alone_sets_every_script(work_dir: Path, no_leftovers: None) -> None:
    # A template that writes only texrender_unicode_setup, as before: compiled plainly.
    body = "Привет Ελλάδα 中文 עברית"
    source = rf"\documentclass{{article}}{setup_tex()}\begin{{document}}{body}\end{{document}}"
    engine = PdfLatexEngine(ENGINE, work_root=work_dir)
    pdf = (await engine.compile(source, timeout_s=60)).pdf
    assert body.split()[:3] == pdf_text(pdf).split()[:3]
    fonts = _fonts(pdf)
    assert "NotoSerif-Regular" in fonts
    assert any(font.startswith("NotoSerifCJK") for font in fonts), fonts
    assert "NotoSerifHebrew-Regular" in fonts
