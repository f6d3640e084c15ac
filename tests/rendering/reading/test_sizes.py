"""Size limits: every pathological size of issue 10 is refused before TeX, or made cheap."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rendering.config import DEFAULT_TEMPLATES_DIR
from rendering.errors import DataTooLarge
from rendering.reading._sizes import DEFAULT_LIMITS, SizeLimits, check_sizes
from rendering.reading._texcost import DEFAULT_BUDGET_US, TexCost, string_cost_us
from tests.conftest import TESTS_DIR

LIMITS = SizeLimits(word_chars=10, text_chars=30, document_chars=60, values=6, list_items=3)


@pytest.mark.parametrize(
    ("data", "pointers"),
    [
        ({"a": "x" * 31}, ["/a"]),
        ({"a": "short " + "w" * 11}, ["/a"]),
        ({"a": ["1", "2", "3", "4"]}, ["/a"]),
        ({"a": "xxxx " * 6, "b": "yyyy " * 6, "c": "z"}, [""]),
        ({"a": [1, 2, 3], "b": [True, None, 4.5], "c": 7}, [""]),
    ],
)
def test_each_limit_names_the_value(data: Any, pointers: list[str]) -> None:
    with pytest.raises(DataTooLarge) as caught:
        check_sizes(data, LIMITS)
    assert [e.pointer for e in caught.value.errors] == pointers


def test_data_within_the_limits_passes() -> None:
    check_sizes({"a": "a word or two", "b": ["x", "y"], "c": 1}, LIMITS)
    check_sizes({"text": "x" * 900}, DEFAULT_LIMITS)


def test_deep_data_is_refused_without_recursion() -> None:
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(DataTooLarge) as caught:
        check_sizes(deep, DEFAULT_LIMITS)
    assert caught.value.errors[0].message == "nested deeper than 64"
    shallow: Any = "x"
    for _ in range(63):
        shallow = [shallow]
    check_sizes(shallow, DEFAULT_LIMITS)


def summaries(word: str, values: int = 3) -> dict[str, Any]:
    """A resume whose summaries (``values`` of them, 9,900 characters each) repeat ``word``."""
    text = " ".join([word] * (9_900 // (len(word) + 1)))
    jobs = [{"name": f"C{n}", "summary": text} for n in range(values - 1)]
    return {"basics": {"name": "Dense", "summary": text}, "work": jobs}


def within_budget(data: Any, budget_us: float) -> bool:
    """Whether the size check's own TeX estimate of ``data`` is within ``budget_us``."""
    try:
        check_sizes(data, dataclasses.replace(DEFAULT_LIMITS, tex_budget_us=budget_us))
    except DataTooLarge:
        return False
    return True


def test_break_points_cost_more_than_length() -> None:
    prose = " ".join(["lorem ipsum dolor sit amet"] * 380)
    hyphens = " ".join(["-" * 99] * 99)
    assert len(prose) == pytest.approx(len(hyphens), rel=0.05)
    assert string_cost_us(hyphens) > 50 * string_cost_us(prose)
    assert string_cost_us("don't") > string_cost_us("dont") + 50
    assert string_cost_us("- one\n- two") > string_cost_us("one two") + 400


def test_texts_costed_together_cost_what_they_cost_one_by_one() -> None:
    """The whole document's texts are costed in one go (check_sizes): the same total as text
    by text, list lines and break points included, and the same costliest values named."""
    texts = [
        "- one\n- two\n3. three",
        "it's `quoted` and {braced} $x_1$ ~ 100%",
        "-" * 99 + " " + "a-b " * 300,
        "",
        "* starts like a list\nbut the next line does not",
        "two\n\twords\n+ item",
    ]
    paths: list[tuple[object, ...]] = [("t", index) for index in range(len(texts))]
    one_by_one, together = TexCost(), TexCost()
    for text, path in zip(texts, paths, strict=True):
        one_by_one.add_string(text, path)
    together.add_strings(texts, paths)
    assert together.total_us == pytest.approx(one_by_one.total_us)
    assert together.costliest() == one_by_one.costliest() == [("/t/2", string_cost_us(texts[2]))]


@given(st.lists(st.text(alphabet=" -\n\tab'*", max_size=200), max_size=8))
def test_break_points_of_a_kind_no_text_holds_change_nothing(texts: list[str]) -> None:
    """A kind of break point none of the texts holds is not counted text by text: the total
    is the same."""
    for kept in (" ", " -", " \n\t", " -\n\t"):
        some = ["".join(c for c in text if c not in " -\n\t" or c in kept) for text in texts]
        paths: list[tuple[object, ...]] = [("t", index) for index in range(len(some))]
        one_by_one, together = TexCost(), TexCost()
        for text, path in zip(some, paths, strict=True):
            one_by_one.add_string(text, path)
        together.add_strings(some, paths)
        expected = sum(string_cost_us(text) for text in some)
        assert together.total_us == pytest.approx(one_by_one.total_us)
        assert together.total_us == pytest.approx(expected)


def test_text_too_dense_for_tex_is_refused_naming_its_costliest_values() -> None:
    """30,000 characters of 99-hyphen words took 1.6 s of TeX (5x the sample) and passed
    every size limit."""
    with pytest.raises(DataTooLarge) as caught:
        check_sizes(summaries("-" * 99))
    [error] = caught.value.errors
    assert error.pointer == ""
    assert "ms to typeset" in error.message
    assert "/basics/summary" in error.message
    assert "/work/0/summary" in error.message


def test_real_resumes_are_far_inside_the_tex_budget() -> None:
    paths = [*sorted((TESTS_DIR / "fixtures" / "resumes").glob("*.json"))]
    paths.append(DEFAULT_TEMPLATES_DIR / "resume-classic" / "sample.json")
    assert len(paths) > 5
    for path in paths:
        data = json.loads(path.read_text())
        check_sizes(data)
        assert within_budget(data, DEFAULT_BUDGET_US / 10), path.name


RESUME = "/v1/render/resume-classic"


@pytest.mark.tex
@pytest.mark.parametrize(
    ("name", "data", "pointer"),
    [
        ("a 16,000-character name", {"basics": {"name": "N" * 16_000}}, "/basics/name"),
        (
            "100,000 hyphens in a highlight",
            {"work": [{"name": "A", "highlights": ["-" * 100_000]}]},
            "/work/0/highlights/0",
        ),
        (
            "a URL of 4,000 %",
            {"basics": {"url": "https://x.example/" + "%" * 4_000}},
            "/basics/url",
        ),
        ("a 40,000-character word", {"work": [{"summary": "w" * 40_000}]}, "/work/0/summary"),
        (
            "100,000 tiny highlights",
            {"work": [{"highlights": ["x"] * 100_000}]},
            "/work/0/highlights",
        ),
        ("30,000 characters of hyphen words", summaries("-" * 99), ""),
        ("30,000 characters of one-digit words", summaries("1"), ""),
        ("3,200 highlights", {"work": [{"highlights": ["x"] * 200}] * 16}, ""),
    ],
)
async def test_pathological_sizes_are_a_422_before_tex(
    client: httpx.AsyncClient, name: str, data: Any, pointer: str
) -> None:
    response = await client.post(RESUME, json=data)
    assert response.status_code == 422, name
    body = response.json()
    assert body["type"] == "/problems/data-too-large"
    assert pointer in {e["pointer"] for e in body["errors"]}
    assert "tex;dur" not in response.headers.get("server-timing", "")


@pytest.mark.tex
async def test_a_long_name_renders_with_short_metadata(client: httpx.AsyncClient) -> None:
    """1,000 apostrophes took 12 s of TeX in the PDF title; the title is now capped."""
    response = await client.post(RESUME, json={"basics": {"name": "'" * 900, "label": "x" * 900}})
    assert response.status_code == 200
    info = subprocess.run(
        ["pdfinfo", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    title = next(line for line in info.splitlines() if line.startswith("Title:"))
    assert 100 <= len(title.removeprefix("Title:").strip()) <= 120


@pytest.mark.tex
async def test_a_dense_document_just_inside_the_budget_renders(client: httpx.AsyncClient) -> None:
    data = summaries("1", values=1)  # 4,950 one-digit words: over half the budget
    assert not within_budget(data, DEFAULT_BUDGET_US / 2)
    assert within_budget(data, DEFAULT_BUDGET_US)
    response = await client.post(RESUME, json=data)
    assert response.status_code == 200
