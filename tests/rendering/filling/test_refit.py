"""Shrink to fit's second fill made from the first (``rendering/filling/_refit.py``): the same
source as filling the template anew, and only for templates where that is sure."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from rendering import Catalogue
from rendering.filling import Refit, make_environment, refit_for
from rendering.filling._refit import MARK
from rendering.filling._templating import Tex
from server.settings import DEFAULT_TEMPLATES_DIR
from tests.rendering.conftest import META, load_one

FIT_META = META + "fit = true\n"
SCHEMA: dict[str, Any] = {"type": "object", "properties": {"text": {"type": "string"}}}
# Two places, one escaped (as the path escapes: Hebrew is marked right to left on the Unicode
# path), with text and a loop between them.
SOURCE = (
    "\\linespread{((( ('0.97' if texrender_fit else '1') | raw_tex )))}\n"
    "((* for word in text.split() *))[((( word )))]((* endfor *))\n"
    "((( 'a--b \u05d0\u05d1' if texrender_fit else 'c' ))) ((( text )))\n"
)
DATA = {"text": "Ab -- cd \u05d0\u05d1 \u0416"}


def _refit_of(tmp_path: Path, source: str, **included: str) -> Refit | None:
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "template.tex.j2").write_text(source)
    for name, text in included.items():
        (folder / name).write_text(text)
    environment = make_environment(folder)
    sources = {path.name: tuple(path.read_text().splitlines()) for path in folder.iterdir()}
    return refit_for(environment, "template.tex.j2", sources)


@pytest.mark.parametrize("unicode", [False, True])
@pytest.mark.parametrize("tagged", [False, True])
def test_the_fit_fill_is_the_template_s_own(tmp_path: Path, unicode: bool, tagged: bool) -> None:
    template = load_one(tmp_path, source=SOURCE, meta=FIT_META, schema=SCHEMA)
    assert template.refit is not None
    # The template itself, filled with texrender_fit both ways.
    plain_alone = load_one(tmp_path / "x", source=SOURCE, schema=SCHEMA)
    assert plain_alone.refit is None
    wanted = [
        plain_alone.to_tex(DATA, unicode=unicode, tagged=tagged, fit=f) for f in (False, True)
    ]
    assert wanted[0] != wanted[1]
    assert ("\\beginR" in wanted[1]) == unicode

    plain = template.to_tex(DATA, unicode=unicode, tagged=tagged)
    assert template.refit.fitted(DATA, (unicode, "a4", tagged, False)) is not None  # kept
    plain = template.to_tex(DATA, unicode=unicode, tagged=tagged)
    fitted = template.to_tex(DATA, unicode=unicode, tagged=tagged, fit=True)
    assert [plain, fitted] == wanted
    # Without a plain fill before it, or for other data, it is filled anew: the same.
    assert (
        template.to_tex(copy.deepcopy(DATA), unicode=unicode, tagged=tagged, fit=True) == wanted[1]
    )


def test_a_kept_fill_is_given_for_the_same_data_and_choices_only(tmp_path: Path) -> None:
    template = load_one(tmp_path, source=SOURCE, meta=FIT_META, schema=SCHEMA)
    refit = template.refit
    assert refit is not None
    template.to_tex(DATA)
    assert refit.fitted(copy.deepcopy(DATA), ("x",)) is None
    assert refit.fitted(DATA, (True, "a4", False, False)) is None  # another path
    assert refit.fitted(DATA, (False, "a4", False, False)) is not None
    assert refit.fitted(DATA, (False, "a4", False, False)) is None  # given once


def test_a_mark_in_the_text_fills_the_template_itself(tmp_path: Path) -> None:
    refit = _refit_of(tmp_path, "((( x | raw_tex )))((( 1 if texrender_fit else 2 )))")
    assert refit is not None
    names = {"texrender_fit": False}
    assert refit.fill({}, (), {**names, "x": Tex(MARK)}, fit=False) is None
    assert refit.fill({}, (), {**names, "x": Tex("x")}, fit=False) == "x2"


@pytest.mark.parametrize(
    ("source", "included"),
    [
        ("no fit here ((( x )))", {}),
        ("((* if texrender_fit *))a((* endif *))", {}),
        ("((* for i in [1] *))((( texrender_fit )))((* endfor *))", {}),
        ("((* macro m() *))((( texrender_fit )))((* endmacro *))((( m() )))", {}),
        ("((( (x if texrender_fit else 1) | raw_tex )))", {}),
        ("((( texrender_fit | string )))", {}),
        ("((( texrender_fit )))((* set texrender_fit = 1 *))", {}),
        ("((( texrender_fit )))((( other(texrender_fit) )))", {}),
        ("((( texrender_fit )))((* include 'part.j2' *))", {"part.j2": "((( texrender_fit )))"}),
    ],
)
def test_a_template_that_reads_fit_elsewhere_is_filled_anew(
    tmp_path: Path, source: str, included: dict[str, str]
) -> None:
    assert _refit_of(tmp_path, source, **included) is None


def test_the_shipped_templates_that_fit_are_refitted() -> None:
    catalogue = Catalogue.load([DEFAULT_TEMPLATES_DIR])
    assert {name for name, t in catalogue.items() if t.refit is not None} == {
        name for name, t in catalogue.items() if t.fit
    }
