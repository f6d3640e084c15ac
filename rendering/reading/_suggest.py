"""Did you mean ...? For a key the schema does not know: the known key one slip away.

One slip is one edit in the Damerau-Levenshtein sense (a letter missing, added, changed, or
two neighbours swapped: ``wrok``, ``nmae``, ``highlight``), or a different spelling of the same
words (``start_date``, ``StartDate`` for ``startDate``). Anything further is not suggested: a
guess two edits away is as often wrong as right, and so is one edit in a key shorter than three
characters (``b`` for ``a``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[\s_-]+")
_MIN_EDITED = 3


def one_slip_away(key: str, known: Iterable[str]) -> str | None:
    """The first of ``known`` that ``key`` is one slip from; None if there is none (or
    ``key`` is itself known)."""
    candidates = list(known)
    if key in candidates or len(key) > 100:
        return None
    folded = _fold(key)
    for candidate in candidates:
        if _fold(candidate) == folded:
            return candidate
        if min(len(key), len(candidate)) >= _MIN_EDITED and _one_edit(key, candidate):
            return candidate
    return None


def _fold(key: str) -> str:
    return _SEPARATORS.sub("", key).casefold()


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one insertion, deletion, substitution or
    transposition of adjacent characters."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    if len(a) < len(b):  # one inserted into a
        return a[start:] == b[start + 1 :]
    if a[start + 1 :] == b[start + 1 :]:  # one changed
        return True
    return (  # two neighbours swapped
        start + 1 < len(a)
        and a[start] == b[start + 1]
        and a[start + 1] == b[start]
        and a[start + 2 :] == b[start + 2 :]
    )
