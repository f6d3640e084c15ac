"""Text that is not text: a lone surrogate, refused wherever data is read.

JSON may spell any UTF-16 code unit (``"\\ud800"``), and Python reads a lone one into a string
that cannot be encoded as UTF-8: not into a database, a backup line, a TeX source or a log. It is
no character anyone typed (half of a pair an encoder split), so such data is refused, before
anything reads, stores or typesets it, with a pointer at every value and every member name
that holds one. Every other character is kept as sent, line separators (U+2028, U+2029, U+0085)
included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import FieldError, InvalidData, json_pointer

MAX_ERRORS = 50
_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_errors(value: Any, limit: int = MAX_ERRORS) -> list[FieldError]:
    """One error for each string in ``value`` (member names included) that holds a lone
    surrogate, in document order, at most ``limit``; none for clean data. Walks without
    recursion (data may nest as deep as the JSON parser allowed)."""
    errors: list[FieldError] = []
    # (a value or a member name, its path, whether it is a member name)
    stack: list[tuple[Any, tuple[object, ...], bool]] = [(value, (), False)]
    while stack and len(errors) < limit:
        item, path, is_name = stack.pop()
        if isinstance(item, str):
            found = _first_surrogate(item)
            if found is not None:
                where = "its member name holds" if is_name else "holds"
                errors.append(FieldError(json_pointer(path), f"{where} {found}"))
        elif isinstance(item, Mapping):
            for key, member in reversed(list(item.items())):
                stack.append((member, (*path, key), False))
                stack.append((key, (*path, key), True))
        elif isinstance(item, list):
            stack.extend((item[i], (*path, i), False) for i in range(len(item) - 1, -1, -1))
    return errors


def refuse_surrogates(data: Any) -> None:
    """Raises: InvalidData naming every field of ``data`` that holds a lone surrogate."""
    errors = surrogate_errors(data)
    if errors:
        raise InvalidData(
            f"{len(errors)} field(s) hold text that is not Unicode (a lone surrogate)", errors
        )


def holds_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (one scan in C; ASCII at once)."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def _first_surrogate(text: str) -> str | None:
    if text.isascii():
        return None
    match = _SURROGATE.search(text)
    if match is None:
        return None
    return (
        f"a lone surrogate (U+{ord(match.group()):04X}), half of a UTF-16 pair: not text, so it "
        "can be neither stored nor typeset"
    )
