"""The strings a template shows for some data, written out independently of the template: an
oracle, not a second copy of the template's logic.

Every string value of the data (as read, after the lenient reader's repairs) is expected in the
PDF, in the form the template prints it: a date as ``Sep 2022``, a web address without its
scheme, ``www.`` and final ``/``, text with markup as its words. The places a template does
not print are listed in :data:`NOT_SHOWN`, and a test asserts that their values are absent
from the PDF rather than passing over them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rendering import words_of

# Places (``work[].url``; ``meta.*`` for a whole object) a template never prints as text.
NOT_SHOWN: dict[str, frozenset[str]] = {
    "resume-classic": frozenset({"$schema", "meta.*", "basics.image"}),
    "resume-modern": frozenset({"$schema", "meta.*", "basics.image"}),
    "cover-letter": frozenset({"meta.*"}),
}
RICH_TEXT = frozenset(
    {
        "basics.summary",
        "work[].summary",
        "work[].highlights[]",
        "volunteer[].summary",
        "volunteer[].highlights[]",
        "projects[].description",
        "projects[].highlights[]",
        "awards[].summary",
        "publications[].summary",
        "references[].reference",
        "paragraphs[]",
    }
)
DATE_KEYS = frozenset({"startDate", "endDate", "date", "releaseDate"})


@dataclass(frozen=True)
class Expected:
    """One string value of the data: where it is, and the lines it must print as (none: the
    template does not show it, and its value must not be in the PDF)."""

    pointer: str
    place: str
    value: str
    lines: tuple[str, ...]

    @property
    def shown(self) -> bool:
        return bool(self.lines)


def expected_strings(template: str, data: Any) -> list[Expected]:
    """Every string value of ``data`` (as read for ``template``) and how it must print."""
    hidden = NOT_SHOWN.get(template, frozenset())
    months = words_of(data).months_short if isinstance(data, Mapping) else _ENGLISH_MONTHS
    found = []
    for pointer, place, key, value in _leaves(data):
        if not value.strip():
            continue
        if _hidden(place, hidden):
            found.append(Expected(pointer, place, value, ()))
            continue
        found.append(Expected(pointer, place, value, _printed(place, key, value, months)))
    return found


def _hidden(place: str, hidden: frozenset[str]) -> bool:
    return place in hidden or any(
        pattern.endswith(".*") and (place + ".").startswith(pattern[:-1]) for pattern in hidden
    )


def _printed(place: str, key: str, value: str, months: Sequence[str]) -> tuple[str, ...]:
    """The lines ``value`` prints as (a date's month as ``months`` name it)."""
    if key in DATE_KEYS:
        return (_date(value, months),)
    if key == "url":
        return (_display_url(value),)
    if place in RICH_TEXT:
        return _lines(_plain(value))
    return _lines(value)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _date(value: str, months: Sequence[str]) -> str:
    """A date as the résumés print it: its month's short name in the document's language,
    written by hand here ("sept. 2021", and year first in Chinese, Japanese and Korean)."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-\d{2})?)?", value)
    if match is None:
        return value
    year, month = match.groups()
    if not month:
        return year
    name = months[int(month) - 1]
    return (
        f"{year}年{name}"
        if name.endswith("月")
        else f"{year}년 {name}"
        if name.endswith("월")
        else f"{name} {year}"
    )


_ENGLISH_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _display_url(url: str) -> str:
    shown = re.sub(r"^(https?://)?(www\.)?", "", url.strip())
    return shown.rstrip("/")


def _plain(text: str) -> str:
    """The words of a little HTML and Markdown: tags, emphasis marks, link targets, code-span
    backticks and list markers gone, entities decoded."""
    text = re.sub(r"<br\s*/?>|</?(?:p|li|ul|ol)>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"</?[A-Za-z][^<>]*>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(\S(?:.*?\S)?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w`])`([^`]+)`(?![\w`])", r"\1", text)
    text = re.sub(r"(?m)^\s*(?:[-*+]|\d+[.)])\s+", "", text)
    return html.unescape(text)


def _leaves(data: Any) -> Iterator[tuple[str, str, str, str]]:
    """``(pointer, place, key, text)`` of every string in ``data``, in document order."""
    stack: list[tuple[Any, str, str, str]] = [(data, "", "", "")]
    while stack:
        value, pointer, place, key = stack.pop()
        if isinstance(value, str):
            yield pointer, place, key, value
        elif isinstance(value, dict):
            for name, member in reversed(list(value.items())):
                escaped = str(name).replace("~", "~0").replace("/", "~1")
                sub = f"{place}.{name}" if place else str(name)
                stack.append((member, f"{pointer}/{escaped}", sub, str(name)))
        elif isinstance(value, list):
            for index in reversed(range(len(value))):
                stack.append((value[index], f"{pointer}/{index}", f"{place}[]", key))
