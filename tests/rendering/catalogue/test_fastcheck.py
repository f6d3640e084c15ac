"""The compiled schema check, for the schema with its local $refs written in place: it accepts
and refuses what fastjsonschema accepts and refuses for the schema as written."""

from __future__ import annotations

import copy
import json
from typing import Any

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rendering.catalogue._fastcheck import compile_fast_check, refs_in_place
from rendering.config import DEFAULT_TEMPLATES_DIR

TEMPLATES = ("resume-classic", "resume-modern", "cover-letter")


def _load(name: str, file: str) -> Any:
    return json.loads((DEFAULT_TEMPLATES_DIR / name / file).read_text(encoding="utf-8"))


def _accepts(check: Any, data: Any) -> bool:
    try:
        check(copy.deepcopy(data))
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def test_local_refs_are_written_in_place() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "definitions": {"date": {"type": "string", "pattern": "^[0-9]{4}$"}},
        "properties": {
            "start": {"$ref": "#/definitions/date", "description": "ignored beside a $ref"},
            "dates": {"type": "array", "items": {"$ref": "#/definitions/date"}},
            "either": {"anyOf": [{"$ref": "#/definitions/date"}, {"type": "null"}]},
        },
    }
    written = refs_in_place(schema)
    date = schema["definitions"]["date"]
    assert written["properties"] == {
        "start": date,
        "dates": {"type": "array", "items": date},
        "either": {"anyOf": [date, {"type": "null"}]},
    }
    assert written["definitions"] == schema["definitions"]
    assert schema["properties"]["start"] == {  # the schema given is not changed
        "$ref": "#/definitions/date",
        "description": "ignored beside a $ref",
    }


def test_what_cannot_be_written_in_place_is_left_to_fastjsonschema() -> None:
    recursive = {
        "definitions": {
            "node": {"type": "object", "properties": {"next": {"$ref": "#/definitions/node"}}}
        },
        "type": "object",
        "properties": {"head": {"$ref": "#/definitions/node"}, "far": {"$ref": "other.json#/x"}},
    }
    written = refs_in_place(recursive)
    head = written["properties"]["head"]
    assert head["properties"]["next"] == {"$ref": "#/definitions/node"}
    assert written["properties"]["far"] == {"$ref": "other.json#/x"}
    check = fastjsonschema.compile(
        refs_in_place({**recursive, "properties": {"head": {"$ref": "#/definitions/node"}}})
    )
    assert _accepts(check, {"head": {"next": {"next": {}}}})
    assert not _accepts(check, {"head": {"next": {"next": 5}}})
    scoped = {
        "type": "object",
        "definitions": {"inner": {"$id": "http://elsewhere/x.json", "type": "string"}},
        "properties": {"a": {"$ref": "#/definitions/inner"}},
    }
    assert refs_in_place(scoped) is scoped  # another base: left as written
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(3_000):
        deep = {"type": "object", "properties": {"a": deep}}
    assert refs_in_place(deep) is deep  # deeper than Python recurses: left as written


def _mutations(sample: Any) -> st.SearchStrategy[Any]:
    """The sample with one value somewhere replaced by another of any JSON type."""
    paths: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(sample, ())]
    while stack:
        value, path = stack.pop()
        paths.append(path)
        if isinstance(value, dict):
            stack += [(v, (*path, k)) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, (*path, i)) for i, v in enumerate(value)]
    others = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(["", "2020", "2020-13", "Summer", "http://x.y", "a@b.c", "x"]),
        st.just([]),
        st.just({}),
        st.just(["2020-01"]),
    )

    def mutated(path: tuple[Any, ...], other: Any) -> Any:
        data = copy.deepcopy(sample)
        if not path:
            return other
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = other
        return data

    return st.builds(mutated, st.sampled_from(paths), others)


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_shipped_schemas_refs_are_all_written_in_place(name: str) -> None:
    written = refs_in_place(_load(name, "schema.json"))
    assert "$ref" not in json.dumps({k: v for k, v in written.items() if k != "definitions"})


@pytest.mark.parametrize("name", TEMPLATES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_check_means_what_the_schema_as_written_means(name: str, data: st.DataObject) -> None:
    schema, sample = _load(name, "schema.json"), _load(name, "sample.json")
    as_written = fastjsonschema.compile(copy.deepcopy(schema))
    in_place = compile_fast_check(schema)
    assert in_place is not None
    document = data.draw(_mutations(sample))
    assert _accepts(in_place, document) == _accepts(as_written, document)
