"""What reading a request's data produced: the data to render, and what was changed on the way.

Each change is a :class:`ReadWarning` located by a JSON Pointer into the data *as sent*. Its
message names the rule, never the value, so warnings can go to logs and headers without
carrying document data. A value that a rule recognised but could not repair gets an
explanation instead: if validation then fails at that pointer, the explanation replaces the
schema's message (which would show a regular expression).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ReadWarning
from ..filling import Language

PRINTED_AS_WRITTEN = "a date in words: printed as written"
"""The explanation of a value kept as the writer wrote it although the schema's pattern refuses
it (a date in words, "Summer 2019"): validation waives that pattern there (and only there)."""

MAX_HEADER_BYTES = 2048
MAX_HEADER_ITEMS = 5


@dataclass(frozen=True)
class Reading:
    """The data to validate and render, the warnings, and explanations by pointer; and what
    the checks found out about the data on the way, so that the fill need not work it out
    again."""

    data: Any
    warnings: tuple[ReadWarning, ...] = ()
    explanations: Mapping[str, str] = field(default_factory=dict)
    unicode: bool = False  # holds text only the template's Unicode path can set
    # Every string of the data joined, in the data's order (filling's strings_of); None:
    # not read yet.
    text: str | None = None
    language: Language | None = None  # the data's language (filling's language_of), once known

    def with_more(self, data: Any, warnings: Iterable[ReadWarning]) -> Reading:
        """This reading of ``data`` (what was found out stays if it is the same data), with
        ``warnings`` added."""
        same = data is self.data
        return Reading(
            data,
            (*self.warnings, *warnings),
            self.explanations,
            self.unicode,
            self.text if same else None,
            self.language if same else None,
        )


def warnings_header(warnings: tuple[ReadWarning, ...]) -> str:
    """``X-Render-Warnings``: the count and the first few warnings as ASCII JSON, within
    :data:`MAX_HEADER_BYTES` (an item that does not fit is left for the count to tell)."""
    shown: list[dict[str, str]] = []
    for warning in warnings[:MAX_HEADER_ITEMS]:
        candidate = [*shown, {"pointer": warning.pointer, "message": warning.message}]
        if len(_header_json(len(warnings), candidate)) > MAX_HEADER_BYTES:
            break
        shown = candidate
    return _header_json(len(warnings), shown)


def _header_json(count: int, shown: list[dict[str, str]]) -> str:
    return json.dumps({"count": count, "warnings": shown}, ensure_ascii=True)
