"""rendering.typesetting._cyrgreek: the fast path's Cyrillic and Greek fonts made ready at
start-up (the LH fonts' metrics made once, where TeX then finds them), a render that never
runs METAFONT, and the Unicode path taking Cyrillic and Greek, with the reason logged, when the
fonts are missing or turned off."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rendering import RenderConfig, RenderOrder, build_service
from rendering.errors import TexError
from rendering.typesetting._cyrgreek import (
    LH_FONTS,
    REQUIRED_FILES,
    prepare_cyrillic_greek,
    tfm_dir,
)
from rendering.typesetting._engine import PdfLatexEngine
from tests.conftest import lh_font_metrics, pdf_text

pytestmark = pytest.mark.tex

RUSSIAN = {"basics": {"name": "Дмитрий Иванов", "label": "Инженер"}}
GREEK = {"basics": {"name": "Γιώργος Παπαδόπουλος", "label": "Μηχανικός"}}
CYRILLIC_DOCUMENT = (
    "\\documentclass{article}\\usepackage[T2A]{fontenc}\\usepackage[utf8]{inputenc}\n"
    "\\begin{document}Привет\\end{document}\n"
)


async def test_the_lh_fonts_metrics_are_made_once_and_tex_finds_them(work_dir: Path) -> None:
    made = await lh_font_metrics()
    assert sorted(path.stem for path in made.glob("*.tfm")) == sorted(LH_FONTS)
    times = [path.stat().st_mtime_ns for path in sorted(made.glob("*.tfm"))]
    assert await prepare_cyrillic_greek(made.parent) is None  # already there: not made again
    assert [path.stat().st_mtime_ns for path in sorted(made.glob("*.tfm"))] == times
    engine = PdfLatexEngine(work_root=work_dir, tfm_dir=made)
    compiled = await engine.compile(CYRILLIC_DOCUMENT, timeout_s=60)
    assert "Привет" in pdf_text(compiled.pdf)


async def test_the_metrics_are_made_where_they_are_missing(tmp_path: Path) -> None:
    folder = tmp_path / "texrender"
    folder.mkdir()
    made = await lh_font_metrics()
    # All but one there already (copied): only that one is made, by METAFONT.
    tfm_dir(folder).mkdir()
    for font in LH_FONTS[1:]:
        (tfm_dir(folder) / f"{font}.tfm").write_bytes((made / f"{font}.tfm").read_bytes())
    assert await prepare_cyrillic_greek(folder) is None
    first = LH_FONTS[0]
    assert (tfm_dir(folder) / f"{first}.tfm").read_bytes() == (made / f"{first}.tfm").read_bytes()


async def test_a_render_never_runs_metafont(work_dir: Path, tmp_path: Path) -> None:
    # Without the folder of made metrics, the LH font is missing: TeX stops at once instead of
    # making it (mktextfm would: it did for this very document before MKTEXTFM=0).
    engine = PdfLatexEngine(work_root=work_dir, tfm_dir=tmp_path / "empty")
    with pytest.raises(TexError) as caught:
        await engine.compile(CYRILLIC_DOCUMENT, timeout_s=60)
    assert "larm1000" in caught.value.detail + caught.value.tex.context + caught.value.tex.message


async def test_a_missing_file_is_named(tmp_path: Path) -> None:
    reason = await prepare_cyrillic_greek(tmp_path, ("t2aenc.def", "no-such-font1000.pfb"))
    assert reason is not None
    assert "no-such-font1000.pfb" in reason
    assert "t2aenc.def" not in reason
    assert not tfm_dir(tmp_path).exists()  # nothing made for a path that will not be taken
    assert set(REQUIRED_FILES) >= {"t2aenc.def", "lgrenc.def", "grmn1000.pfb", "sfrm1000.pfb"}


@pytest.mark.parametrize("data", [RUSSIAN, GREEK], ids=["russian", "greek"])
async def test_cyrillic_and_greek_take_the_fast_path_where_the_fonts_are(
    data: dict[str, object], work_dir: Path
) -> None:
    service = await build_service(RenderConfig(work_dir=work_dir, formats_enabled=False))
    assert all(template.cyrillic_greek for template in service.catalogue.values())
    rendered = await service.pipeline.render(RenderOrder.for_data("resume-classic", data))
    assert rendered.engine == ""  # the fast path
    name = str(data["basics"]["name"])  # type: ignore[index]
    assert name in pdf_text(rendered.body)


@pytest.mark.parametrize("data", [RUSSIAN, GREEK], ids=["russian", "greek"])
async def test_without_them_cyrillic_and_greek_take_the_unicode_path_and_say_why(
    data: dict[str, object], work_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "texrender")
    config = RenderConfig(work_dir=work_dir, formats_enabled=False, cyrillic_greek=False)
    service = await build_service(config)
    assert not any(template.cyrillic_greek for template in service.catalogue.values())
    told = [r.getMessage() for r in caplog.records if "Cyrillic and Greek" in r.getMessage()]
    assert told == ["Cyrillic and Greek take the Unicode path: turned off (cyrillic_greek)"]
    rendered = await service.pipeline.render(RenderOrder.for_data("resume-classic", data))
    assert rendered.engine == "xelatex"
    name = str(data["basics"]["name"])  # type: ignore[index]
    assert name in pdf_text(rendered.body)
    # And the fast path's preamble has no Cyrillic or Greek fonts to load.
    template = service.catalogue["resume-classic"]
    preamble = template.to_tex(template.sample)
    assert "\\usepackage[T1]{fontenc}" in preamble
    assert "\\DeclareFontFamily{T2A}" not in preamble
