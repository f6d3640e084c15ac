"""TeX's errors and layout warnings, told in the template's lines and the data's pointers."""

from __future__ import annotations

import json

import httpx
import pytest

from rendering.catalogue import TEMPLATE_FILE, Catalogue, Template
from rendering.filling import escape_latex, pointer_in
from tests.conftest import TEST_TEMPLATES_DIR

pytestmark = pytest.mark.tex

WIDE = "Supercalifragilisticexpialidocious" * 4  # no break point: wider than the column


def own_lines(template: Template) -> tuple[str, ...]:
    """The lines of the template's own ``template.tex.j2``, as the template keeps them."""
    return template.sources[TEMPLATE_FILE]


async def test_a_tex_error_names_the_template_line_and_the_data_value(
    client: httpx.AsyncClient,
) -> None:
    body = {"text": "Grace Hopper", "fail": True}
    answer = await client.post("/v1/render/layout", json=body)
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"] == "/problems/tex-error"
    tex = problem["tex"]
    assert tex["message"] == "Undefined control sequence."
    assert tex["template"] == "layout/template.tex.j2"
    assert tex["template_line"] == 10  # "Name: ((( text ))) \thisisnotacommand"
    assert tex["pointer"] == "/text"
    assert isinstance(tex["line"], int)
    assert "layout/template.tex.j2 line 10" in problem["detail"]


async def test_a_wide_line_and_too_many_pages_come_back_as_warnings(
    client: httpx.AsyncClient,
) -> None:
    body = {"text": "fits", "paragraphs": ["short", f"starts fine then {WIDE}"]}
    answer = await client.post("/v1/render/layout", json=body)
    assert answer.status_code == 200, answer.text
    warnings = json.loads(answer.headers["x-render-warnings"])
    (wide,) = warnings["warnings"]
    assert wide["pointer"] == "/paragraphs/1"
    assert "wider than the text column" in wide["message"]
    assert "layout/template.tex.j2 line 15" in wide["message"]

    again = await client.post("/v1/render/layout", json=body)  # from the cache
    assert json.loads(again.headers["x-render-warnings"]) == warnings

    long = {"text": "many pages", "paragraphs": [" ".join(["word"] * 400)] * 6}
    paged = await client.post("/v1/render/layout", json=long)
    assert paged.status_code == 200
    messages = [w["message"] for w in json.loads(paged.headers["x-render-warnings"])["warnings"]]
    assert any("the template is laid out for at most 1" in m for m in messages), messages

    plain = await client.post("/v1/render/layout", json={"text": "nothing to say"})
    assert "x-render-warnings" not in plain.headers


def test_every_line_of_the_source_is_traced_to_the_template() -> None:
    template = Catalogue.load([TEST_TEMPLATES_DIR])["layout"]
    data = {"text": "Traced", "fail": True, "paragraphs": ["one", "two"]}
    traced = template.traced_tex(data)
    assert traced.text == template.to_tex(data)
    lines = traced.text.splitlines()
    assert len(traced.origins) == len(lines)
    source = own_lines(template)
    for number, line in enumerate(lines, 1):
        origin = traced.template_line(number)
        assert origin is not None, (number, line)
        if "(((" not in source[origin - 1]:
            assert line.strip() in source[origin - 1], (number, line, source[origin - 1])
    assert traced.template_line(lines.index("one") + 1) == 15
    assert traced.template_line(len(lines)) == 18  # \end{document}


def test_the_pointer_is_the_longest_value_set_on_the_line() -> None:
    data = {"a": "Ada", "b": {"c": ["Ada Lovelace & Co"]}, "d": "xy"}
    line = r"\trTitle{Ada Lovelace \& Co} by Ada"
    assert pointer_in(data, line, escape_latex) == "/b/c/0"
    assert pointer_in(data, "nothing here", escape_latex) is None
    assert pointer_in({"d": "xy"}, "xy", escape_latex) is None  # too short to tell
