"""XeTeX's fontconfig configuration on the Unicode path lists no font (its faces are loaded by
file): written once beside the formats, given to XeTeX alone, and PDFs that are the same byte
for byte with it or without it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rendering.filling._unicode import setup_tex
from rendering.typesetting._engine import PdfLatexEngine
from rendering.typesetting._fontconfig import fontconfig_file, write_fontconfig
from rendering.typesetting._fonts import ENGINE
from rendering.typesetting._formats import ensure_private_dir
from rendering.typesetting._sandbox import tex_process_env
from tests.conftest import pdf_text

pytestmark = pytest.mark.tex


@pytest.fixture
def format_dir() -> Iterator[Path]:
    """A formats' folder TeX can read when it runs as another user (not pytest's 0700 ones)."""
    directory = ensure_private_dir(Path(tempfile.mkdtemp(prefix="texrender-test-fontconfig-")))
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


def _fonts_listed(env: dict[str, str]) -> list[str]:
    listed = subprocess.run(["fc-list", "-f", "%{file}\n"], env=env, capture_output=True)
    return listed.stdout.decode().split()


def test_it_is_written_once_and_mended(format_dir: Path) -> None:
    target = write_fontconfig(format_dir)
    assert target == fontconfig_file(format_dir)
    written = target.stat().st_mtime_ns
    assert write_fontconfig(format_dir) == target
    assert target.stat().st_mtime_ns == written
    target.write_text("<fontconfig><dir>/usr/share/fonts</dir></fontconfig>")
    write_fontconfig(format_dir)
    assert "<dir>" not in target.read_text()


def test_a_folder_that_cannot_be_written_keeps_the_systems(tmp_path: Path) -> None:
    (tmp_path / "fontconfig").write_text("not a folder")
    assert write_fontconfig(tmp_path) is None


def test_xetex_alone_sees_no_font_through_it(format_dir: Path) -> None:
    write_fontconfig(format_dir)
    xetex = tex_process_env(format_dir, format_dir, own_fonts=True)
    pdftex = tex_process_env(format_dir, format_dir, own_fonts=False)
    assert xetex["FONTCONFIG_FILE"] == str(fontconfig_file(format_dir))
    assert "FONTCONFIG_FILE" not in pdftex
    assert _fonts_listed(xetex) == []
    assert any(path.endswith("NotoSerif-Regular.ttf") for path in _fonts_listed(pdftex))


async def test_a_pdf_is_the_same_with_it_or_without(
    format_dir: Path, work_dir: Path, no_leftovers: None
) -> None:
    body = r"Office {\bfseries 王小明} \textit{affine} العربية שלום"
    source = rf"\documentclass{{article}}{setup_tex()}\begin{{document}}{body}\end{{document}}"
    engine = PdfLatexEngine(ENGINE, work_root=work_dir, format_dir=format_dir)
    without = (await engine.compile(source, timeout_s=60)).pdf  # no file: fontconfig's own
    write_fontconfig(format_dir)
    with_it = (await engine.compile(source, timeout_s=60)).pdf
    assert with_it == without
    assert "王小明" in pdf_text(with_it)
