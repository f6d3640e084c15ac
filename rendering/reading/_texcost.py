"""An estimate of how much TeX work the data will make, checked before TeX runs.

Size limits alone do not bound TeX's time: within them, the shape of the text matters more
than its length. TeX's line breaker keeps every break point of the current line active, so a
paragraph costs about (break points) x (break points per line): 10,000 characters of prose
(about 1,700 spaces, 17 a line) are nothing, while 10,000 hyphens (each one a break point, 90 a
line) took 0.7 s. Some characters cost a font switch each (a straight quote comes from another
font), and every line break, list item and array item costs a little box of its own.

The weights are microseconds of pdfTeX time on the machine the limits were measured on (2 CPUs,
pdfTeX 1.40.24, resume-classic; the sample resume takes 0.31 s), fitted to the costliest shapes
and rounded up, so the estimate errs high. The budget is the TeX time a document may add to an
empty one: twice the sample's whole time, so that no document within it takes more than about
three times a normal render; the densest real resumes estimate at a sixth of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import json_pointer

LINE_CHARS = 90  # characters in a line of body text, about
US_PER_CHAR = 1.0
US_PER_BREAK_PAIR = 1.4  # x break points x break points per line; a hyphen counts twice
US_PER_QUOTE = 75.0  # ' and `: a font switch each (measured 32 in body text, 73 in the name)
US_PER_SPECIAL = 8.0  # \ { } $ & # ^ _ % ~: a command each
US_PER_MARKUP = 30.0  # * _ <: emphasis or an HTML tag, a font switch
US_PER_LINE_BREAK = 30.0
US_PER_ITEM = 200.0  # a string or number in an array (a highlight), a Markdown list item
US_PER_ENTRY = 750.0  # an object in an array (a job, a degree): a heading and its layout
DEFAULT_BUDGET_US = 600_000.0

# Counted with str.count, one character at a time (each a loop in C; str.translate with a
# table looks every character up in a dict, ten times slower).
_SPECIALS = "\\{}$&#^_%~"
_MARKUP = "*_<"
_LIST_LINE = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]", re.MULTILINE)
NAMED_FROM_US = 10_000.0  # a value estimated at this or more is named in the refusal


def string_cost_us(text: str) -> float:
    """The estimated TeX time of one string, in microseconds."""
    chars = len(text)
    if chars == 0:
        return 0.0
    # Each white-space character counts (a run of them is one break, so this errs high).
    breaks = text.count(" ") + text.count("\n") + text.count("\t") + 2 * text.count("-")
    lines = max(1.0, chars / LINE_CHARS)
    cost = chars * US_PER_CHAR + US_PER_BREAK_PAIR * breaks * (breaks / lines)
    cost += US_PER_QUOTE * (text.count("'") + text.count("`"))
    cost += US_PER_SPECIAL * _occurrences(text, _SPECIALS)
    cost += US_PER_MARKUP * _occurrences(text, _MARKUP)
    if "\n" in text:
        cost += US_PER_LINE_BREAK * text.count("\n")
        cost += US_PER_ITEM * len(_LIST_LINE.findall(text))
    return cost


def _occurrences(text: str, characters: str) -> int:
    """How many characters of ``text`` are among ``characters``."""
    return sum(map(text.count, characters))


@dataclass
class TexCost:
    """The running estimate for one document, and where most of it comes from."""

    total_us: float = 0.0
    by_pointer: dict[str, float] = field(default_factory=dict)
    # Texts added together, costed one by one only if the costliest are asked for.
    _unnamed: list[tuple[list[str], list[tuple[object, ...]]]] = field(default_factory=list)

    def add_string(self, text: str, path: tuple[object, ...]) -> None:
        cost = string_cost_us(text)
        self.total_us += cost
        if cost >= NAMED_FROM_US:  # only the values worth naming
            self.by_pointer[json_pointer(path)] = cost

    def add_strings(
        self, texts: list[str], paths: list[tuple[object, ...]], joined: str | None = None
    ) -> None:
        """:meth:`add_string` of each text (at its path), the same total in fewer steps: what
        grows linearly with the text is counted over all of it at once (a few loops in C
        instead of a dozen calls a text), and only the break points, whose cost grows with
        their square, text by text (a kind of break point none of them holds is not counted in
        each). Which texts cost the most is found out only if asked (:meth:`costliest`: a
        refusal, not every request). ``joined`` is ``"".join(texts)``, if the caller has it."""
        if joined is None:
            joined = "".join(texts)
        chars = len(joined)
        total = chars * US_PER_CHAR + US_PER_QUOTE * (joined.count("'") + joined.count("`"))
        total += US_PER_SPECIAL * _occurrences(joined, _SPECIALS)
        total += US_PER_MARKUP * _occurrences(joined, _MARKUP)
        if "\n" in joined:
            total += US_PER_LINE_BREAK * joined.count("\n")
            # One text a line or more: a list line never runs from one text into the next.
            several = "\n".join(text for text in texts if "\n" in text)
            total += US_PER_ITEM * len(_LIST_LINE.findall(several))
        line_breaks = "\n" in joined or "\t" in joined
        hyphens = "-" in joined
        for text in texts:
            breaks = text.count(" ")
            if line_breaks:
                breaks += text.count("\n") + text.count("\t")
            if hyphens:
                breaks += 2 * text.count("-")
            if breaks:
                total += US_PER_BREAK_PAIR * breaks * (breaks / max(1.0, len(text) / LINE_CHARS))
        self.total_us += total
        self._unnamed.append((texts, paths))

    def add_array(self, items: list[object]) -> None:
        entries = sum(1 for item in items if isinstance(item, dict))
        self.total_us += US_PER_ENTRY * entries + US_PER_ITEM * (len(items) - entries)

    def costliest(self, n: int = 3) -> list[tuple[str, float]]:
        for texts, paths in self._unnamed:
            for text, path in zip(texts, paths, strict=True):
                cost = string_cost_us(text)
                if cost >= NAMED_FROM_US:
                    self.by_pointer[json_pointer(path)] = cost
        self._unnamed.clear()
        return sorted(self.by_pointer.items(), key=lambda item: -item[1])[:n]
