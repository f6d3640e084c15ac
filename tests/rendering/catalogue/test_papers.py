"""Paper sizes in the catalogue: what ``template.toml`` may say, and which size a document gets
when its request names none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rendering.catalogue import DEFAULT_PAPER, PAPERS, usual_paper
from rendering.catalogue._folders import CatalogueError
from rendering.errors import UnsupportedPaper
from tests.rendering.conftest import META, load_one


@pytest.mark.parametrize(
    ("data", "paper"),
    [
        ({}, "a4"),
        ({"basics": {"location": {"countryCode": "US"}}}, "letter"),
        ({"basics": {"location": {"countryCode": " ca "}}}, "letter"),
        ({"basics": {"location": {"countryCode": "PL"}}}, "a4"),
        ({"sender": {"location": {"countryCode": "US"}}}, "letter"),
        ({"meta": {"language": "en-US"}}, "letter"),
        ({"meta": {"language": "en_ca"}}, "letter"),
        ({"meta": {"language": "en-GB"}}, "a4"),
        ({"meta": {"language": "en"}, "basics": {"location": {"countryCode": "NO"}}}, "a4"),
        # Shapes a lenient reader may still pass on: never an error, A4.
        ({"basics": "me", "meta": ["en-US"]}, "a4"),
        ({"basics": {"location": {"countryCode": 840}}}, "a4"),
    ],
)
def test_the_usual_paper_follows_the_country_or_the_language(
    data: dict[str, Any], paper: str
) -> None:
    assert usual_paper(data) == paper


def test_a_template_is_made_for_a4_unless_it_says(tmp_path: Path) -> None:
    template = load_one(tmp_path)
    assert template.papers == (DEFAULT_PAPER,)
    # A US document on a template made for A4 only is set on A4; asking for Letter is a 422.
    assert template.paper_for({"basics": {"location": {"countryCode": "US"}}}) == "a4"
    with pytest.raises(UnsupportedPaper) as raised:
        template.paper_for({}, "letter")
    assert raised.value.status == 422
    assert "letter" in raised.value.detail


def test_papers_listed_in_template_toml(tmp_path: Path) -> None:
    template = load_one(tmp_path, meta=META + 'papers = ["letter", "a4"]\n')
    assert template.papers == ("letter", "a4")
    assert template.paper_for({}) == "a4"  # the usual size, which it is made for
    assert template.paper_for({}, "letter") == "letter"


def test_a_template_made_for_one_size_only_gets_it(tmp_path: Path) -> None:
    template = load_one(tmp_path, meta=META + 'papers = ["letter"]\n')
    assert template.paper_for({"meta": {"language": "de"}}) == "letter"
    assert template.paper_for("not an object") == "letter"


@pytest.mark.parametrize("papers", ['"a4"', "[]", '["a5"]', '["a4", "a4"]', '["A4"]', "[4]"])
def test_a_wrong_papers_line_is_a_broken_template(tmp_path: Path, papers: str) -> None:
    with pytest.raises(CatalogueError, match="papers"):
        load_one(tmp_path, meta=META + f"papers = {papers}\n")


def test_every_size_is_known() -> None:
    assert DEFAULT_PAPER in PAPERS
    assert set(PAPERS) == {"a4", "letter"}


def test_fit_is_a_switch(tmp_path: Path) -> None:
    assert load_one(tmp_path / "a", meta=META + "fit = true\n").fit
    assert not load_one(tmp_path / "b").fit
    with pytest.raises(CatalogueError, match="fit"):
        load_one(tmp_path / "c", meta=META + 'fit = "yes"\n')
