"""The compiled schema check that confirms valid data: fastjsonschema's code, for the schema
with its local ``$ref`` s written in place.

fastjsonschema makes each ``$ref`` a function call whose arguments include the value's name,
built eagerly with ``str.format(**locals())`` for every call: on the résumé schemas (a dozen
dates, each a ``$ref`` to ``iso8601``) that was three quarters of the check. With the
definitions written where they are referred to, the code checks them inline. The check means
the same: in draft-07 a ``$ref`` replaces its whole object (its siblings are ignored, as
fastjsonschema ignores them), and only the places that hold schemas are written over. A
``$ref`` that refers to itself (a recursive definition), that points nowhere, or that a nested
``$id`` would resolve elsewhere is left for fastjsonschema to follow as before.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import fastjsonschema

# Draft-07 keywords whose value is a schema, a list of schemas, or a map of name -> schema.
_ONE = frozenset(
    {"additionalItems", "additionalProperties", "contains", "propertyNames", "not", "if", "then",
     "else", "items"}
)  # fmt: skip
_LISTS = frozenset({"allOf", "anyOf", "oneOf", "items"})
_MAPS = frozenset({"properties", "patternProperties", "dependencies"})
_MAX_NODES = 100_000  # a schema whose definitions would multiply past this keeps its $refs


def compile_fast_check(schema: Any) -> Callable[[Any], Any] | None:
    """The compiled check of ``schema`` (None: fastjsonschema cannot compile it; jsonschema
    alone then). It raises on data it does not accept; what it returns is not used.

    Blocking and slow (code generation): call it where the template is loaded.
    """
    try:
        # fastjsonschema rewrites the $refs of the schema it is given: give it a copy of its own.
        return fastjsonschema.compile(refs_in_place(copy.deepcopy(schema)))
    except fastjsonschema.JsonSchemaDefinitionException:
        return None


def refs_in_place(schema: Any) -> Any:
    """``schema`` with each local ``$ref`` (``#/definitions/x``) replaced by a copy of what it
    refers to, where a schema is expected (see the module); ``schema`` itself when it cannot
    be done safely (a nested ``$id``, or too large a result)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return schema
    written = _Writer(schema)
    try:
        result = written.schema(schema, ())
    except (_GiveUp, RecursionError):  # (nested deeper than Python recurses: as written)
        return schema
    return result


class _GiveUp(Exception):
    """The schema is left as it is (see :func:`refs_in_place`)."""


class _Writer:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.nodes = 0

    def schema(self, node: Any, expanding: tuple[str, ...]) -> Any:
        """``node`` (a schema) with its $refs in place; ``expanding``: the $refs being
        written out around it (one of them again is a recursion, left as a $ref)."""
        if not isinstance(node, dict):
            return node
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise _GiveUp
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = self.target(ref)
            if target is None or ref in expanding:
                return dict(node)  # followed by fastjsonschema, from the root as before
            return self.schema(target, (*expanding, ref))
        if node is not self.root and ("$id" in node or "id" in node):
            raise _GiveUp  # another base for the $refs inside it
        written: dict[str, Any] = {}
        for key, value in node.items():
            if key in _ONE and isinstance(value, dict):
                written[key] = self.schema(value, expanding)
            elif key in _LISTS and isinstance(value, list):
                written[key] = [self.schema(item, expanding) for item in value]
            elif key in _MAPS and isinstance(value, dict):
                written[key] = {name: self.schema(sub, expanding) for name, sub in value.items()}
            else:
                written[key] = value
        return written

    def target(self, ref: str) -> dict[str, Any] | None:
        """What a local ``$ref`` points at in the root; None for any other ``$ref``."""
        if not ref.startswith("#/") or "%" in ref:
            return None
        found: Any = self.root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(found, dict) and part in found:
                found = found[part]
            elif isinstance(found, list) and part.isdigit() and int(part) < len(found):
                found = found[int(part)]
            else:
                return None
        return found if isinstance(found, dict) else None
