"""The data's characters, checked against what the template can set before TeX runs.

Every string value is looked at once (:func:`rendering.reading._charset.check_text`):

* invisible characters (joiners, variation selectors such as the U+FE0F after many emoji, bidi
  marks, tags) are removed silently: they change nothing a page can show;
* emoji and pictographs are removed with one warning per field that held them (``strict``
  reading keeps them, and they are then reported like any other character);
* every other character the template cannot set is collected over the whole document, and
  one :class:`~rendering.errors.UnsupportedCharacter` names each character (with its Unicode
  name) and each JSON Pointer holding it, so a file is fixed in one round trip, not six.

Keys are not checked: a template prints values. The walk is iterative, so deeply nested data
costs time linear in its size and no recursion. The usual document has nothing to clean or
report: its strings joined are looked at in one scan first, and walked one by one only if
something is found (the joined text is kept in the reading for the language's detection).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..errors import FieldError, ReadWarning, UnsupportedCharacter, json_pointer
from ..filling import strings_of
from ..typesetting import UnicodeCoverage
from ._charset import (
    character_name,
    check_text,
    passes_untouched,
    script_hint,
    strip_invisible,
    unsupported,
)
from ._reading import Reading

MAX_LISTED_CHARACTERS = 40
PICTOGRAPH_WARNING = "emoji or pictograph the template cannot set: removed"


def check_characters(
    reading: Reading,
    *,
    strict: bool = False,
    unicode: UnicodeCoverage | None = None,
    cyrillic_greek: bool = False,
) -> Reading:
    """``reading`` with its strings cleaned, and a warning per field that lost a pictograph.

    With ``unicode`` (what the template's Unicode path can set), characters the fast path
    cannot set but that path can are accepted, and the reading is marked for that path. With
    ``cyrillic_greek``, the fast path sets Cyrillic and Greek (it has their fonts).

    Raises:
        UnsupportedCharacter: some strings hold characters the template cannot set on any
            path it has.
    """
    joined = "".join(strings_of(reading.data))
    if passes_untouched(joined, cyrillic_greek=cyrillic_greek):  # each string would, too
        return dataclasses.replace(reading, text=joined)
    found: dict[str, list[str]] = {}  # character -> pointers, in order of first appearance
    warnings: list[ReadWarning] = []
    changed = False
    needs_unicode = False

    def clean(text: str, path: tuple[object, ...]) -> str:
        nonlocal changed, needs_unicode
        original = text
        if strict:
            text = strip_invisible(text)
            bad: frozenset[str] | set[str] = unsupported(text, cyrillic_greek=cyrillic_greek)
        else:
            checked = check_text(text, cyrillic_greek=cyrillic_greek)
            text, bad = checked.text, checked.unsupported
            if checked.dropped:
                warnings.append(ReadWarning(json_pointer(path), PICTOGRAPH_WARNING))
        if bad and unicode is not None:
            settable = {char for char in bad if unicode.covers(char)}
            if settable:
                needs_unicode = True
                bad = set(bad) - settable
        if bad:
            pointer = json_pointer(path)
            for char in sorted(bad, key=text.find):
                found.setdefault(char, []).append(pointer)
        changed = changed or text != original
        return text

    data = _map_strings(reading.data, clean)
    if found:
        raise _unsupported(found, unicode_path=unicode is not None)
    if needs_unicode:
        reading = dataclasses.replace(reading, unicode=True)
    if not changed:  # no second walk to compare: the data as it was
        return dataclasses.replace(reading, text=joined)
    return reading.with_more(data, warnings)


def _map_strings(data: Any, clean: Any) -> Any:
    """``data`` rebuilt with ``clean(text, path)`` applied to every string value, without
    recursion (nesting may be as deep as the JSON parser allowed)."""
    if isinstance(data, str):
        return clean(data, ())
    if not isinstance(data, Mapping | list):
        return data
    root: Any = {} if isinstance(data, Mapping) else []
    stack: list[tuple[Any, Any, tuple[object, ...]]] = [(data, root, ())]
    while stack:
        source, target, path = stack.pop()
        items = source.items() if isinstance(source, Mapping) else enumerate(source)
        for key, value in items:
            if isinstance(value, str):
                new: Any = clean(value, (*path, key))
            elif isinstance(value, Mapping):
                new = {}
                stack.append((value, new, (*path, key)))
            elif isinstance(value, list):
                new = []
                stack.append((value, new, (*path, key)))
            else:
                new = value
            if isinstance(target, dict):
                target[key] = new
            else:
                target.append(new)
    return root


def _unsupported(
    found: dict[str, list[str]], *, unicode_path: bool = False
) -> UnsupportedCharacter:
    chars = list(found)
    listed = ", ".join(character_name(c) for c in chars[:MAX_LISTED_CHARACTERS])
    more = len(chars) - MAX_LISTED_CHARACTERS
    detail = f"{len(chars)} character(s) cannot be typeset by this template: {listed}"
    if more > 0:
        detail += f" and {more} more"
    script = script_hint(chars)
    if unicode_path:
        detail += ". No installed font has them (the Unicode path was tried)"
    elif script is not None:
        detail += f". The template sets Latin text; {script} text needs a Unicode engine"
    by_pointer: dict[str, list[str]] = {}
    for char, pointers in found.items():
        for pointer in pointers:
            by_pointer.setdefault(pointer, []).append(char)
    errors = [
        FieldError(pointer, "cannot be typeset: " + ", ".join(map(character_name, held[:10])))
        for pointer, held in by_pointer.items()
    ]
    return UnsupportedCharacter(detail, errors)
