"""xdvipdfmx's own configuration beside the formats: written once, read by xdvipdfmx alone
(XeTeX keeps TeX Live's), and PDFs that are the same byte for byte with it or without it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rendering.filling._unicode import setup_tex
from rendering.typesetting._engine import PdfLatexEngine
from rendering.typesetting._fonts import ENGINE
from rendering.typesetting._formats import ensure_private_dir
from rendering.typesetting._sandbox import tex_process_env
from rendering.typesetting._xdvipdfmx import (
    DRIVER_CNF_VARIABLE,
    driver_dir,
    driver_env,
    write_driver_config,
)
from tests.conftest import pdf_text

pytestmark = pytest.mark.tex

FILES = ["dvipdfmx.cfg", "ls-R", "texmf.cnf"]


@pytest.fixture
def format_dir() -> Iterator[Path]:
    """A formats' folder TeX can read when it runs as another user (not pytest's 0700 ones)."""
    directory = ensure_private_dir(Path(tempfile.mkdtemp(prefix="texrender-test-driver-")))
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


def _kpsewhich(env: dict[str, str], *args: str) -> str:
    found = subprocess.run(["kpsewhich", *args], env=env, capture_output=True, check=False)
    return found.stdout.decode().strip()


def test_the_configuration_is_written_once_and_mended(format_dir: Path) -> None:
    folder = write_driver_config(format_dir)
    assert folder == driver_dir(format_dir)
    assert sorted(path.name for path in folder.iterdir()) == FILES
    cnf = (folder / "texmf.cnf").read_text()
    assert f"TEXMFDBS = {folder}\n" in cnf
    assert "texmf_casefold_search = 0\n" in cnf
    assert "\nf " not in (folder / "dvipdfmx.cfg").read_text()  # no font map is loaded
    written = {name: (folder / name).stat().st_mtime_ns for name in FILES}
    assert write_driver_config(format_dir) == folder
    assert {name: (folder / name).stat().st_mtime_ns for name in FILES} == written
    (folder / "texmf.cnf").write_text("TEXMF = /elsewhere\n")
    write_driver_config(format_dir)
    assert (folder / "texmf.cnf").read_text() == cnf


@pytest.mark.parametrize("name", ["with space", "a:b", "a;b", "a,b", "a$b", "a{b}"])
def test_a_folder_kpathsea_cannot_name_keeps_tex_lives_configuration(
    tmp_path: Path, name: str
) -> None:
    odd = tmp_path / name
    odd.mkdir()
    assert write_driver_config(odd) is None
    assert not driver_dir(odd).exists()
    assert driver_env(odd) == {}
    assert DRIVER_CNF_VARIABLE not in tex_process_env(tmp_path, odd, own_fonts=True)


def test_a_folder_that_cannot_be_written_keeps_tex_lives_configuration(tmp_path: Path) -> None:
    (tmp_path / "xdvipdfmx").write_text("not a folder")
    assert write_driver_config(tmp_path) is None


def test_xdvipdfmx_alone_reads_it(format_dir: Path) -> None:
    write_driver_config(format_dir)
    xetex = tex_process_env(format_dir, format_dir, own_fonts=True)
    pdftex = tex_process_env(format_dir, format_dir, own_fonts=False)
    assert DRIVER_CNF_VARIABLE not in pdftex
    assert xetex["texmf_casefold_search"] == pdftex["texmf_casefold_search"] == "0"
    cfg = ["-progname=dvipdfmx", "-format=other text files", "dvipdfmx.cfg"]
    assert _kpsewhich(xetex, *cfg) == str(driver_dir(format_dir) / "dvipdfmx.cfg")
    assert _kpsewhich(pdftex, *cfg) not in ("", str(driver_dir(format_dir) / "dvipdfmx.cfg"))
    assert _kpsewhich(xetex, "-progname=dvipdfmx", "pdftex.map") == ""  # no tree but its own
    # XeTeX itself searches TeX Live's trees as before.
    assert _kpsewhich(xetex, "-progname=xelatex", "article.cls").endswith("/article.cls")


async def test_a_pdf_is_the_same_with_it_or_without(
    format_dir: Path, work_dir: Path, no_leftovers: None
) -> None:
    body = (
        r"Office {\scshape Small Caps} ``quoted'' --- 王小明 {\bfseries 软件工程师}"
        r" \textit{affine} العربية"
    )
    source = rf"\documentclass{{article}}{setup_tex()}\begin{{document}}{body}\end{{document}}"
    engine = PdfLatexEngine(ENGINE, work_root=work_dir, format_dir=format_dir)
    without = (await engine.compile(source, timeout_s=60)).pdf  # no folder: TeX Live's
    write_driver_config(format_dir)
    with_it = (await engine.compile(source, timeout_s=60)).pdf
    assert with_it == without
    assert "王小明 软件工程师" in pdf_text(with_it)
