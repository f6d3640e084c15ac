"""The CJK collections cut to the scripts XeTeX shapes CJK with: the same faces, glyphs and
character maps, fewer lookups, found before the system's by XeTeX alone, and PDFs that are the
same byte for byte with the copies or without them."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

from rendering.filling._unicode import setup_tex
from rendering.typesetting._cjkfonts import (
    collection_files,
    cut_cjk_collections,
    fonts_dir,
)
from rendering.typesetting._engine import PdfLatexEngine
from rendering.typesetting._fonts import ENGINE
from rendering.typesetting._formats import ensure_private_dir
from rendering.typesetting._sandbox import tex_process_env
from tests.conftest import pdf_text

pytestmark = pytest.mark.tex

SERIF = "NotoSerifCJK-Regular.ttc"
COMMA = "\N{FULLWIDTH COMMA}"


def _system(name: str) -> Path:
    return Path(
        subprocess.run(["kpsewhich", name], capture_output=True, check=True).stdout.decode().strip()
    )


@pytest.fixture(scope="module")
def cut_dir() -> Iterator[Path]:
    """A formats' folder with the serif collection cut (once for the module: seconds). Not
    under pytest's 0700 folders: TeX runs as another user when we are root."""
    directory = ensure_private_dir(Path(tempfile.mkdtemp(prefix="texrender-test-fonts-")))
    try:
        assert cut_cjk_collections(directory, [SERIF]) == [fonts_dir(directory) / SERIF]
        yield directory
    finally:
        shutil.rmtree(directory)


def test_every_cjk_collection_is_cut() -> None:
    assert collection_files() == [
        "NotoSansCJK-Bold.ttc",
        "NotoSansCJK-Regular.ttc",
        "NotoSerifCJK-Bold.ttc",
        "NotoSerifCJK-Regular.ttc",
    ]


def test_the_copy_keeps_every_face_glyph_and_character(cut_dir: Path) -> None:
    with (
        TTCollection(str(_system(SERIF)), lazy=True) as original,
        TTCollection(str(fonts_dir(cut_dir) / SERIF), lazy=True) as copy,
    ):
        assert len(copy.fonts) == len(original.fonts) == 5
        for before, after in zip(original.fonts, copy.fonts, strict=True):
            assert after["name"].getDebugName(6) == before["name"].getDebugName(6)
            assert after.getGlyphOrder() == before.getGlyphOrder()
            assert after.getBestCmap() == before.getBestCmap()
            assert after.reader["CFF "] == before.reader["CFF "]  # the outlines, byte for byte
            scripts = {r.ScriptTag for r in after["GSUB"].table.ScriptList.ScriptRecord}
            assert scripts == {"DFLT", "latn"}
            lookups = after["GSUB"].table.LookupList.Lookup
            assert len(lookups) < len(before["GSUB"].table.LookupList.Lookup)


def test_an_up_to_date_copy_is_kept_and_a_stale_one_made_again(cut_dir: Path) -> None:
    copy = fonts_dir(cut_dir) / SERIF
    made = copy.stat().st_mtime_ns
    assert cut_cjk_collections(cut_dir, [SERIF]) == []
    assert copy.stat().st_mtime_ns == made
    stamp = copy.with_name(copy.name + ".source")
    stamp.write_text(stamp.read_text().replace("\t", "\t1", 1))  # another size: a new font
    assert cut_cjk_collections(cut_dir, [SERIF]) == [copy]


def test_a_folder_that_cannot_be_written_leaves_the_systems_fonts(tmp_path: Path) -> None:
    (tmp_path / "fonts").write_text("not a folder")
    assert cut_cjk_collections(tmp_path, [SERIF]) == []


def test_xetex_finds_the_copy_first_and_pdftex_the_systems(cut_dir: Path) -> None:
    def found(own_fonts: bool) -> str:
        env = tex_process_env(cut_dir, cut_dir, own_fonts=own_fonts)
        return (
            subprocess.run(["kpsewhich", SERIF], env=env, capture_output=True, check=True)
            .stdout.decode()
            .strip()
        )

    assert found(own_fonts=True) == str(fonts_dir(cut_dir) / SERIF)
    assert found(own_fonts=False) == str(_system(SERIF))


async def test_a_pdf_is_the_same_with_the_copy_or_without(
    cut_dir: Path, work_dir: Path, no_leftovers: None
) -> None:
    body = f"王小明 {{\\bfseries 软件工程师}} 北京{COMMA}中国。Wang"
    source = rf"\documentclass{{article}}{setup_tex()}\begin{{document}}{body}\end{{document}}"
    with_copy = PdfLatexEngine(ENGINE, work_root=work_dir, format_dir=cut_dir)
    without = PdfLatexEngine(ENGINE, work_root=work_dir)
    pdf = (await with_copy.compile(source, timeout_s=60)).pdf
    assert pdf == (await without.compile(source, timeout_s=60)).pdf
    assert f"王小明 软件工程师 北京{COMMA}中国。Wang" in pdf_text(pdf)
