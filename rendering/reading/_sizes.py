"""Size limits on the data, checked before TeX runs, so that no document costs TeX more than a
few times what a real one does.

TeX's time grows with the amount of text, and some shapes of text cost far more than their
size (a "word" of 100,000 hyphens took 14 s; a URL of 4,000 ``%`` overflows a box dimension).
The counts below bound the size; the TeX budget (:mod:`rendering.reading._texcost`) bounds the
shape: within the counts, 30,000 characters of 99-hyphen words took 1.6 s against the sample's
0.31 s. Measured on resume-classic (2 CPUs, pdfTeX 1.40.24), each costly shape scaled to just
inside the budget takes at most 2.6 times the sample's TeX time (3,000 one-letter highlights;
one-digit words 2.5 times), and real resumes (2,000 to 10,000 characters) estimate at a
twentieth of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import DataTooLarge, FieldError, json_pointer
from ._surrogates import holds_surrogate, refuse_surrogates
from ._texcost import DEFAULT_BUDGET_US, TexCost

_WORD = re.compile(r"\S+")
_JSON_TYPES = frozenset({dict, list, int, float, bool, type(None)})
_LEAF_TYPES = frozenset({int, float, bool, type(None)})


@dataclass(frozen=True)
class SizeLimits:
    """The most a document may hold. Each is a count of characters or values."""

    word_chars: int = 1_000  # a run without white space: URLs included
    text_chars: int = 10_000  # one string value
    document_chars: int = 30_000  # every string value together (a dense resume: ~10,000)
    values: int = 5_000  # strings, numbers and booleans together (each is at least a line)
    list_items: int = 200  # one array
    depth: int = 64  # arrays and objects within each other (a resume: five)
    tex_budget_us: float = DEFAULT_BUDGET_US  # estimated TeX time (see rendering.reading._texcost)


DEFAULT_LIMITS = SizeLimits()


def check_sizes(data: Any, limits: SizeLimits = DEFAULT_LIMITS) -> None:
    """Raise :class:`DataTooLarge` naming every value over a limit (the document's own limits
    at the root pointer ``""``). Walks without recursion. Text that is not text at all (a lone
    surrogate) is refused first: this is the first look any reading takes at the data.

    Raises:
        InvalidData: a string or member name holds a lone surrogate (every one is named).
        DataTooLarge: a limit is exceeded.
    """
    errors: list[FieldError] = []
    total_chars = 0
    total_values = 0
    cost = TexCost()
    texts: list[str] = []  # costed together once the walk is done (TexCost.add_strings)
    text_paths: list[tuple[object, ...]] = []
    names: list[Any] = []  # member names: looked at for lone surrogates with the texts
    stack: list[tuple[Any, tuple[object, ...]]] = [(data, ())]
    short = min(limits.word_chars, limits.text_chars)  # a text no longer is within both
    # JSON's own types are told apart by their exact type first (the Mapping ABC's check
    # costs more than all the rest of a value's look); any other Mapping is walked as well.
    while stack:
        value, path = stack.pop()
        kind = type(value)
        if kind is str or (kind not in _JSON_TYPES and isinstance(value, str)):
            total_values += 1
            total_chars += len(value)
            problem = _text_problem(value, limits) if len(value) > short else None
            if problem is None:
                texts.append(value)
                text_paths.append(path)
                continue
            errors.append(FieldError(json_pointer(path), problem))
        elif kind in _LEAF_TYPES:
            total_values += 1
        else:
            mapping = kind is dict or (kind is not list and isinstance(value, Mapping))
            if not mapping and not isinstance(value, list):
                total_values += 1
            elif len(path) >= limits.depth:
                errors.append(FieldError(json_pointer(path), f"nested deeper than {limits.depth}"))
                # not descended: the walk stays linear in the size of the data
            elif mapping:
                names.extend(value)
                stack += [(member, (*path, key)) for key, member in value.items()]
            else:
                if len(value) > limits.list_items:
                    errors.append(
                        FieldError(json_pointer(path), f"more than {limits.list_items:,} items")
                    )
                cost.add_array(value)
                stack += [(item, (*path, index)) for index, item in enumerate(value)]
        if len(errors) >= 50:
            break
    joined = "".join(texts)
    # Lone surrogates come first. A walk cut short, or a text set aside, was not all seen:
    # the whole data is looked at then (the usual clean document: one scan of its text).
    if errors or _may_hold_surrogates(joined, names):
        refuse_surrogates(data)
    if total_chars > limits.document_chars:
        errors.append(
            FieldError("", f"more than {limits.document_chars:,} characters of text in all")
        )
    if total_values > limits.values:
        errors.append(FieldError("", f"more than {limits.values:,} values in all"))
    if not errors:
        cost.add_strings(texts, text_paths, joined)
    if not errors and cost.total_us > limits.tex_budget_us:
        errors.append(_over_budget(cost, limits.tex_budget_us))
    if errors:
        raise DataTooLarge(
            f"{len(errors)} part(s) of the data are larger than a document can be", errors
        )


def nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects in ``value`` nest more than ``limit`` levels (found without
    recursion, so that whatever recurses later is safe)."""
    level: list[tuple[Any, int]] = [(value, 1)]
    while level:
        item, depth = level.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                level.append((child, depth + 1))
    return False


def _over_budget(cost: TexCost, budget_us: float) -> FieldError:
    costliest = ", ".join(f"{pointer} ({us / 1000:,.0f} ms)" for pointer, us in cost.costliest())
    return FieldError(
        "",
        f"would take TeX about {cost.total_us / 1000:,.0f} ms to typeset, more than the "
        f"{budget_us / 1000:,.0f} ms a document may take (text dense with break points, "
        "quotes, line breaks or list items costs the most"
        + (f"; the costliest values: {costliest})" if costliest else ")"),
    )


def _may_hold_surrogates(joined: str, names: list[Any]) -> bool:
    """Whether the texts (``joined``) or member ``names`` may hold a lone surrogate (a name
    that is not a string: may, the full look decides)."""
    try:
        return holds_surrogate(joined) or holds_surrogate("".join(names))
    except TypeError:
        return True


def _text_problem(text: str, limits: SizeLimits) -> str | None:
    if len(text) > limits.text_chars:
        return f"longer than {limits.text_chars:,} characters"
    if len(text) > limits.word_chars and any(
        len(word) > limits.word_chars for word in _WORD.findall(text)
    ):
        return f"holds a word (or address) longer than {limits.word_chars:,} characters"
    return None
