"""The lenient reader's rules, one by one, on the JSON Resume schema and dialect."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from rendering.config import DEFAULT_TEMPLATES_DIR
from rendering.errors import ReadWarning
from rendering.reading import PRINTED_AS_WRITTEN, LenientReader, Reading, warnings_header
from rendering.reading._jsonresume import JSON_RESUME

SCHEMA = json.loads((DEFAULT_TEMPLATES_DIR / "resume-classic" / "schema.json").read_text())
READER = LenientReader(SCHEMA, JSON_RESUME)


def read(data: Any) -> Reading:
    return READER.read(data)


def pointers(reading: Reading) -> list[str]:
    return [w.pointer for w in reading.warnings]


CASES: list[tuple[str, Any, Any, list[str]]] = [
    # (rule, data as sent, data as read, warning pointers)
    (
        "empty",
        {"basics": {"name": "A", "email": "", "phone": None, "url": "  "}},
        {"basics": {"name": "A"}},
        ["/basics/email", "/basics/phone", "/basics/url"],
    ),
    (
        "empty-items",
        {"work": [{"name": "Acme", "highlights": ["", "Shipped", None]}]},
        {"work": [{"name": "Acme", "highlights": ["Shipped"]}]},
        ["/work/0/highlights/0", "/work/0/highlights/2"],
    ),
    (
        "number-as-text",
        {"education": [{"institution": "U", "score": 3.8}], "basics": {"phone": 5551234}},
        {"education": [{"institution": "U", "score": "3.8"}], "basics": {"phone": "5551234"}},
        ["/education/0/score", "/basics/phone"],
    ),
    (
        "text-as-list (keywords split)",
        {"skills": [{"name": "Web", "keywords": "HTML, CSS; JS"}]},
        {"skills": [{"name": "Web", "keywords": ["HTML", "CSS", "JS"]}]},
        ["/skills/0/keywords"],
    ),
    (
        "text-as-list (highlight kept whole)",
        {"work": [{"name": "Acme", "highlights": "Led a team, shipped"}]},
        {"work": [{"name": "Acme", "highlights": ["Led a team, shipped"]}]},
        ["/work/0/highlights"],
    ),
    (
        "text-as-entry",
        {"interests": ["chess", "go"], "languages": ["German"]},
        {"interests": [{"name": "chess"}, {"name": "go"}], "languages": [{"language": "German"}]},
        ["/interests/0", "/interests/1", "/languages/0"],
    ),
    (
        "object-as-list (one entry)",
        {"skills": {"name": "Go", "level": "Expert"}},
        {"skills": [{"name": "Go", "level": "Expert"}]},
        ["/skills"],
    ),
    (
        "object-as-list (one entry per member)",
        {"skills": {"Languages": ["Go", "C"], "Tools": "Git, Make"}},
        {
            "skills": [
                {"name": "Languages", "keywords": ["Go", "C"]},
                {"name": "Tools", "keywords": ["Git", "Make"]},
            ]
        },
        ["/skills", "/skills/Tools/keywords"],
    ),
    (
        "text-as-object",
        {"basics": {"location": "Berlin, Germany"}},
        {"basics": {"location": {"address": "Berlin, Germany"}}},
        ["/basics/location"],
    ),
    (
        "legacy-key",
        {"work": [{"company": "Acme", "website": "https://acme.example"}]},
        {"work": [{"name": "Acme", "url": "https://acme.example"}]},
        ["/work/0/company", "/work/0/website"],
    ),
    (
        "legacy-key (both given: the current one wins)",
        {"work": [{"company": "Old", "name": "New"}]},
        {"work": [{"company": "Old", "name": "New"}]},
        ["/work/0/company"],
    ),
    (
        "legacy-key (languages, education, basics)",
        {
            "languages": [{"name": "French", "level": "Native"}],
            "education": [{"institution": "U", "gpa": "3.9"}],
            "basics": {"website": "https://me.example", "picture": "https://me.example/p.jpg"},
        },
        {
            "languages": [{"language": "French", "fluency": "Native"}],
            "education": [{"institution": "U", "score": "3.9"}],
            "basics": {"url": "https://me.example", "image": "https://me.example/p.jpg"},
        },
        [
            "/languages/0/name",
            "/languages/0/level",
            "/education/0/gpa",
            "/basics/website",
            "/basics/picture",
        ],
    ),
    (
        "ongoing",
        {"work": [{"name": "A", "startDate": "2020-01", "endDate": "Present"}]},
        {"work": [{"name": "A", "startDate": "2020-01"}]},
        ["/work/0/endDate"],
    ),
    (
        "ongoing (other languages)",
        {"work": [{"endDate": "En cours"}, {"endDate": "至今"}, {"endDate": "bis heute"}]},
        {"work": [{}, {}, {}]},
        ["/work/0/endDate", "/work/1/endDate", "/work/2/endDate"],
    ),
    (
        "date",
        {
            "work": [{"startDate": "September 2022", "endDate": "07/2025"}],
            "awards": [{"title": "T", "date": "2023-9-28"}],
            "projects": [{"name": "P", "startDate": "2024/3"}],
        },
        {
            "work": [{"startDate": "2022-09", "endDate": "2025-07"}],
            "awards": [{"title": "T", "date": "2023-09-28"}],
            "projects": [{"name": "P", "startDate": "2024-03"}],
        },
        ["/work/0/startDate", "/work/0/endDate", "/awards/0/date", "/projects/0/startDate"],
    ),
    (
        "address",
        {"basics": {"url": "www.example.com", "email": "mailto:me@example.com"}},
        {"basics": {"url": "https://www.example.com", "email": "me@example.com"}},
        ["/basics/url", "/basics/email"],
    ),
    (
        "valid data is left alone",
        {"basics": {"name": "Zoë", "url": "https://x.example"}, "work": [{"startDate": "2020"}]},
        {"basics": {"name": "Zoë", "url": "https://x.example"}, "work": [{"startDate": "2020"}]},
        [],
    ),
]


@pytest.mark.parametrize(("rule", "sent", "expected", "warned"), CASES, ids=[c[0] for c in CASES])
def test_rule(rule: str, sent: Any, expected: Any, warned: list[str]) -> None:
    before = copy.deepcopy(sent)
    reading = read(sent)
    assert reading.data == expected
    assert sorted(pointers(reading)) == sorted(warned)
    assert sent == before, "the reader must not change its argument"
    assert all(w.message for w in reading.warnings)


def test_messages_never_carry_the_value() -> None:
    secret = "Zebra-Secret-Corp"
    reading = read({"work": [{"company": secret, "endDate": "Present", "startDate": "Sep 2022"}]})
    assert reading.warnings
    assert all(secret not in w.message and "Sep 2022" not in w.message for w in reading.warnings)


def test_an_unreadable_date_is_explained_and_left_for_validation() -> None:
    reading = read({"work": [{"startDate": "03/04/2022", "endDate": "20230928"}]})
    assert reading.data == {"work": [{"startDate": "03/04/2022", "endDate": "20230928"}]}
    assert set(reading.explanations) == {"/work/0/startDate", "/work/0/endDate"}
    assert "2023-09" in reading.explanations["/work/0/startDate"]
    assert reading.warnings == ()


def test_a_date_in_words_is_kept_as_written_with_a_warning() -> None:
    data = {"work": [{"startDate": "Q3 2022", "endDate": "Disponible à partir de sept. 2026"}]}
    reading = read(data)
    assert reading.data == data
    assert {w.pointer: w.message for w in reading.warnings} == {
        "/work/0/startDate": "a date in words, not one the reader can read: printed as written",
        "/work/0/endDate": "a date in words, not one the reader can read: printed as written",
    }
    assert set(reading.explanations.values()) == {PRINTED_AS_WRITTEN}


def test_an_ongoing_start_date_is_explained() -> None:
    reading = read({"work": [{"startDate": "Present"}]})
    assert "end date" in reading.explanations["/work/0/startDate"]


@pytest.mark.parametrize("data", [None, [], "text", 5, [{"a": 1}]])
def test_data_that_is_not_an_object_is_left_for_validation(data: Any) -> None:
    assert read(data).data == data
    assert read(data).warnings == ()


def test_deep_unknown_data_is_not_walked() -> None:
    deep: Any = "x"
    for _ in range(10_000):
        deep = {"d": deep}
    reading = read({"meta": {"x": deep}, "unknown": deep})
    assert reading.data["unknown"] is deep  # left as it was, not copied or recursed into


def test_a_reader_keeps_each_schema_object_resolved_and_no_more() -> None:
    """Resolutions are kept from one read to the next: for the schema's own objects only (a
    list without an item schema, a $ref to nothing: the empty schema, one object), so that
    reading many documents keeps no more than reading one."""
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "array"},
            "lost": {"$ref": "#/definitions/missing"},
            "name": {"type": "string"},
        },
    }
    reader = LenientReader(schema)
    data = {"tags": ["a", ["b"]], "lost": "x", "name": "Ada"}
    first = reader.read(data)
    kept = len(reader._resolved)
    for _ in range(20):
        assert reader.read(data) == first
    assert len(reader._resolved) == kept
    assert first.data == data


def test_the_warnings_header_is_bounded_ascii_json() -> None:
    many = tuple(ReadWarning(f"/work/{i}/endDate", "é" * 300) for i in range(100))
    header = warnings_header(many)
    assert header.isascii()
    assert len(header) <= 2048
    parsed = json.loads(header)
    assert parsed["count"] == 100
    assert 0 < len(parsed["warnings"]) <= 5
    assert warnings_header(()) == '{"count": 0, "warnings": []}'
