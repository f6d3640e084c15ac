"""What a JSON Schema says about one member of an object, for the walks over data beside it.

The reader warns about members the schema does not describe and the emptiness check skips
them, so both need one answer to "is this key described here, and by what?"; local ``$ref`` s
are followed the same way for both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

_MAX_HOPS = 8
ANYTHING: Mapping[str, Any] = MappingProxyType({})
"""The empty schema (anything goes), one object for every use: what resolves to it is the
same object each time (a cache keyed by schema object stays small)."""


def resolve(root: Mapping[str, Any], schema: Any) -> Mapping[str, Any]:
    """``schema`` with local ``$ref`` s (``#/definitions/x``) followed, a few hops at most;
    anything that is not a schema object reads as the empty schema (:data:`ANYTHING`)."""
    for _ in range(_MAX_HOPS):
        if not isinstance(schema, dict) and not isinstance(schema, Mapping):  # dict: no ABC check
            return ANYTHING
        ref = schema.get("$ref")
        if not isinstance(ref, str) or "#/" not in ref:
            return schema
        target: Any = root
        for part in ref.partition("#/")[2].split("/"):
            target = target.get(part, ANYTHING) if isinstance(target, Mapping) else ANYTHING
        schema = target
    return ANYTHING


def lists_members(schema: Mapping[str, Any]) -> bool:
    """Whether an object schema names its members (``properties``): only then is a key it
    does not name unknown. A schema without them takes any key, and says nothing of it."""
    return isinstance(schema.get("properties"), Mapping)


def member_schema(schema: Mapping[str, Any], key: str) -> Any | None:
    """The schema for member ``key`` of an object ``schema``: from ``properties``,
    ``patternProperties`` or an ``additionalProperties`` schema; ``{}`` (anything) where the
    schema names no members; None where it names them and ``key`` is none of them, or where
    the schema is not for objects at all."""
    kind = schema.get("type")
    if kind is not None and "object" not in (kind if isinstance(kind, list) else [kind]):
        return None
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and key in properties:
        return properties[key]
    patterns = schema.get("patternProperties")
    if isinstance(patterns, Mapping):
        for pattern, sub in patterns.items():
            if re.search(pattern, key):
                return sub
    additional = schema.get("additionalProperties")
    if isinstance(additional, Mapping):
        return additional
    if not lists_members(schema):
        return {}
    return None


def refuses_others(schema: Mapping[str, Any]) -> bool:
    """``additionalProperties: false``: a member it does not describe is a schema error, not
    a warning (validation names it)."""
    return schema.get("additionalProperties") is False
