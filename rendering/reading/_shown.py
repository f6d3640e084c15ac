"""What a template shows of its data, so that data it will not show is never dropped silently.

A template prints what its schema describes, except the places its ``template.toml`` names:

``not_printed``
    described, but this template does not print it (``basics.image`` in the resume
    templates): a value there gets a warning, since whoever wrote it expects to see it.
``metadata``
    about the document rather than in it (JSON Resume's ``$schema`` and ``meta``): kept
    without a word, and so is any member inside them the schema does not describe.
``other_sections``
    the top-level members the schema does not describe (``community``, a top-level
    ``courses``) are printed too, each as a section of its own under its name.

Places are written as the lenient reader writes them: ``basics.image``, ``work[].url``.
``tests/rendering/test_templates.py`` holds every shipped template to its list: a value at
any other described place appears in the TeX source, a value at a listed one does not.
A member the schema does not describe at all is never printed.

From this the reader warns about data that will not be seen, and validation refuses a document
with nothing to print (it would be a blank page).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._schema import member_schema, resolve


@dataclass(frozen=True)
class Shown:
    """The places of a template's data that it does not print (see the module)."""

    not_printed: frozenset[str] = frozenset()
    metadata: frozenset[str] = frozenset()
    other_sections: bool = False

    def hides(self, place: str) -> bool:
        return place in self.not_printed or place in self.metadata

    def is_metadata(self, place: str) -> bool:
        """Whether ``place`` is a metadata place or inside one."""
        return any(place == m or place.startswith((f"{m}.", f"{m}[]")) for m in self.metadata)


def undescribed(schema: Mapping[str, Any], places: Iterable[str]) -> list[str]:
    """The places ``schema`` does not describe (a slip in a template's list)."""
    return [place for place in places if _schema_at(schema, place) is None]


def _schema_at(root: Mapping[str, Any], place: str) -> Mapping[str, Any] | None:
    schema = resolve(root, root)
    for part in place.split("."):
        sub = member_schema(schema, part.replace("[]", ""))
        if sub is None:
            return None
        schema = resolve(root, sub)
        for _ in range(part.count("[]")):
            schema = resolve(root, schema.get("items", {}))
    return schema


def other_sections(
    data: Mapping[str, Any], schema: Mapping[str, Any], shown: Shown
) -> list[tuple[str, Any]]:
    """The top-level members of ``data`` that ``schema`` does not describe (metadata aside),
    in the data's order: what a template with ``other_sections`` prints as sections."""
    root = resolve(schema, schema)
    return [
        (str(key), value)
        for key, value in data.items()
        if member_schema(root, str(key)) is None and not shown.hides(str(key))
    ]


def prints_something(data: Any, schema: Mapping[str, Any], shown: Shown) -> bool:
    """Whether ``data`` holds anything the template prints: text that is not blank, or a
    number, at a place its schema describes and it does not hide. True/false and null are
    switches, not content. A schema that names no members cannot tell: then anything counts."""
    return _printed(data, resolve(schema, schema), schema, "", shown)


def _printed(
    value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], place: str, shown: Shown
) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, list):
        items = resolve(root, schema.get("items", {}))
        return any(_printed(item, items, root, f"{place}[]", shown) for item in value)
    if isinstance(value, Mapping):
        for key, member in value.items():
            sub = member_schema(schema, str(key))
            sub_place = f"{place}.{key}" if place else str(key)
            if sub is None and not place and shown.other_sections and not shown.hides(sub_place):
                if _anything(member):
                    return True
                continue
            if sub is None or shown.hides(sub_place):
                continue
            if _printed(member, resolve(root, sub), root, sub_place, shown):
                return True
    return False


def _anything(value: Any) -> bool:
    """Whether ``value`` holds text that is not blank or a number, anywhere inside it."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, Mapping):
        return any(_anything(v) for v in value.values())
    if isinstance(value, list):
        return any(_anything(v) for v in value)
    return False
