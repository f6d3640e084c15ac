"""Data the template will not show is never dropped silently: unknown keys (with the known key
one slip away), known keys the template does not print, an end date before its start date;
other names of a list read as part of it, sections the schema does not define printed where the
template prints them; and what counts as a document with nothing to print."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rendering.config import DEFAULT_TEMPLATES_DIR
from rendering.reading import (
    LenientReader,
    Reading,
    Shown,
    other_sections,
    prints_something,
    undescribed,
)
from rendering.reading._jsonresume import JSON_RESUME
from rendering.reading._suggest import one_slip_away

SCHEMA = json.loads((DEFAULT_TEMPLATES_DIR / "resume-classic" / "schema.json").read_text())
SHOWN = Shown(frozenset({"basics.image"}), frozenset({"$schema", "meta"}))
READER = LenientReader(SCHEMA, JSON_RESUME, SHOWN)
SECTIONS = Shown(SHOWN.not_printed, SHOWN.metadata, other_sections=True)
PRINTS_SECTIONS = LenientReader(SCHEMA, JSON_RESUME, SECTIONS)
AS_SECTION = "unknown key: not in the template's schema: printed as a section of its own"


def warnings(data: Any, reader: LenientReader = READER) -> dict[str, str]:
    reading: Reading = reader.read(data)
    return {w.pointer: w.message for w in reading.warnings}


UNKNOWN = "unknown key: not in the template's schema, so not printed"


@pytest.mark.parametrize(
    ("data", "pointer", "nearest"),
    [
        ({"wrok": [{"name": "Acme"}]}, "/wrok", "work"),
        ({"basics": {"nmae": "Ada"}}, "/basics/nmae", "name"),
        ({"work": [{"name": "Acme", "postion": "Lead"}]}, "/work/0/postion", "position"),
        ({"work": [{"name": "Acme", "start_date": "2020"}]}, "/work/0/start_date", "startDate"),
        ({"education": [{"Institution": "MIT"}]}, "/education/0/Institution", "institution"),
        ({"basics": {"location": {"cty": "Oslo"}}}, "/basics/location/cty", "city"),
        ({"skils": [{"name": "Go"}]}, "/skils", "skills"),
    ],
)
def test_a_misspelt_key_is_named_with_the_known_key_one_slip_away(
    data: dict[str, Any], pointer: str, nearest: str
) -> None:
    assert warnings(data)[pointer] == f"{UNKNOWN}; did you mean {nearest!r}?"


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        ({"community": [{"name": "PyLadies"}]}, "/community"),
        ({"courses": ["Algorithms"]}, "/courses"),  # a key of education entries, not the top
        ({"work": [{"name": "Acme", "team": "Platform"}]}, "/work/0/team"),
        ({"basics": {"name": "Ada", "nationality": "British"}}, "/basics/nationality"),
    ],
)
def test_an_unknown_section_or_field_is_named_without_a_guess(
    data: dict[str, Any], pointer: str
) -> None:
    assert warnings(data) == {pointer: UNKNOWN}


def test_unknown_keys_are_kept_as_sent() -> None:
    data = {"basics": {"name": "Ada"}, "community": [{"name": "PyLadies"}]}
    assert READER.read(data).data == data


def test_a_known_key_the_template_does_not_print_is_named() -> None:
    found = warnings({"basics": {"name": "Ada", "image": "https://example.org/me.jpg"}})
    assert found == {"/basics/image": "known key, but this template does not print it"}


def test_metadata_and_empty_values_say_nothing_more() -> None:
    data: dict[str, Any] = {
        "$schema": "https://example.org/schema.json",
        "meta": {"version": "v1.0.0", "canonical": "https://example.org/cv.json"},
        "basics": {"name": "Ada"},
        "x-empty": "",
        "x-none": None,
        "x-list": [],
        "x-object": {},
    }
    assert warnings(data) == {}


def test_an_older_key_name_gets_its_own_warning_only() -> None:
    found = warnings({"work": [{"company": "Old", "name": "New"}]})
    assert found == {"/work/0/company": "older key name ignored: 'name' is given too"}


def test_keys_a_schema_does_not_name_are_not_unknown_there() -> None:
    schema = {
        "type": "object",
        "properties": {
            "free": {"type": "object"},
            "tagged": {"type": "object", "additionalProperties": {"type": "string"}},
            "closed": {"type": "object", "properties": {"a": {}}, "additionalProperties": False},
            "patterned": {
                "type": "object",
                "properties": {"a": {}},
                "patternProperties": {"^x-": {}},
            },
        },
    }
    data = {
        "free": {"anything": 1},
        "tagged": {"anything": "x"},
        "closed": {"b": 1},  # a schema error, which names it: no warning besides
        "patterned": {"x-mine": 1, "b": 2},
    }
    assert warnings(data, LenientReader(schema)) == {"/patterned/b": UNKNOWN}


@pytest.mark.parametrize(
    ("start", "end", "before"),
    [
        ("2021-03", "2019-12", True),
        ("2021-03-15", "2021-03-01", True),
        ("2021", "2020-12", True),
        ("March 2021", "Dec 2020", True),  # read as dates first, then compared
        ("2021-03", "2021", False),  # the year holds the month
        ("2021", "2021-01", False),
        ("2019-12", "2021-03", False),
        ("2021-03", "Present", False),  # no end date
        ("2021-03", "03/04/2020", False),  # not a date it can read: validation says so
    ],
)
def test_an_end_date_before_the_start_date_is_named_at_the_end_date(
    start: str, end: str, before: bool
) -> None:
    for section, key in (("work", "name"), ("education", "institution"), ("projects", "name")):
        data = {section: [{key: "X", "startDate": start, "endDate": end}]}
        found = {p: m for p, m in warnings(data).items() if "start date" in m}
        expected = {f"/{section}/0/endDate": "end date before the start date: printed as given"}
        assert found == (expected if before else {}), (section, start, end)


# ---------------------------------------------------------------------------------------------
# One slip away


def test_nothing_is_said_of_keys_inside_metadata() -> None:
    assert warnings({"basics": {"name": "Ada"}, "meta": {"language": "lv", "x": {"y": 1}}}) == {}


def test_other_names_of_highlights_are_read_as_part_of_them() -> None:
    data = {
        "work": [
            {
                "name": "Acme",
                "highlights": ["Own"],
                "highlight": "One line",
                "details": ["Two", "Three"],
            }
        ],
        "volunteer": [{"organization": "Club", "details": "Ran it"}],
    }
    reading = READER.read(data)
    assert reading.data["work"][0]["highlights"] == ["Own", "One line", "Two", "Three"]
    assert reading.data["volunteer"][0]["highlights"] == ["Ran it"]
    said = "another name for 'highlights': read as part of it"
    assert {w.pointer: w.message for w in reading.warnings} == {
        "/work/0/highlight": said,
        "/work/0/details": said,
        "/volunteer/0/details": said,
    }


def test_a_template_that_prints_other_sections_says_so() -> None:
    data = {"community": [{"name": "PyLadies"}], "wrok": [{"name": "Acme"}], "meta": {"v": 1}}
    assert warnings(data, PRINTS_SECTIONS) == {
        "/community": AS_SECTION,
        "/wrok": f"{AS_SECTION}; did you mean 'work'?",
    }
    # Deeper down, an unknown key is still not printed.
    assert warnings({"basics": {"nationality": "British"}}, PRINTS_SECTIONS) == {
        "/basics/nationality": UNKNOWN
    }
    assert other_sections(data, SCHEMA, SECTIONS) == [
        ("community", [{"name": "PyLadies"}]),
        ("wrok", [{"name": "Acme"}]),
    ]
    assert prints_something({"community": "PyLadies"}, SCHEMA, SECTIONS)
    assert not prints_something({"community": [{"name": " "}]}, SCHEMA, SECTIONS)


@pytest.mark.parametrize(
    ("key", "nearest"),
    [
        ("wrok", "work"),  # two neighbours swapped
        ("nmae", "name"),
        ("wor", "work"),  # one missing
        ("works", "work"),  # one added
        ("wark", "work"),  # one changed
        ("Work", "work"),
        ("start_date", "startDate"),  # the same words, spelt another way
        ("START-DATE", "startDate"),
        ("work", None),  # known: nothing to suggest
        ("wkro", None),  # two slips
        ("community", None),
        ("x" * 1000, None),
        ("nm", None),  # too short for a guess
        ("wo", None),
    ],
)
def test_one_slip_away(key: str, nearest: str | None) -> None:
    assert one_slip_away(key, ["name", "work", "startDate", "skills"]) == nearest


# ---------------------------------------------------------------------------------------------
# Something to print


@pytest.mark.parametrize(
    ("data", "printed"),
    [
        ({}, False),
        ({"basics": {}}, False),
        ({"basics": {"name": "   "}, "work": [{"name": ""}]}, False),
        ({"basics": {"image": "https://example.org/me.jpg"}}, False),  # not printed
        ({"$schema": "https://example.org/s.json", "meta": {"version": "1"}}, False),
        ({"wrok": [{"name": "Acme"}], "community": "PyLadies"}, False),  # unknown keys
        ({"work": [{"name": "Acme"}]}, True),
        ({"skills": [{"keywords": ["Go"]}]}, True),
        ({"basics": {"location": {"city": "Oslo"}}}, True),
    ],
)
def test_prints_something(data: dict[str, Any], printed: bool) -> None:
    assert prints_something(data, SCHEMA, SHOWN) is printed


def test_a_schema_that_names_no_members_cannot_tell() -> None:
    assert prints_something({"anything": "x"}, {"type": "object"}, Shown())
    assert not prints_something({"anything": True, "n": None}, {"type": "object"}, Shown())


def test_places_are_checked_against_the_schema() -> None:
    places = ["basics.image", "work[].highlights[]", "meta", "$schema", "basics.picture", "x"]
    assert undescribed(SCHEMA, places) == ["basics.picture", "x"]
