"""The Unicode path: the same template set by XeLaTeX with Noto fonts, for text pdfLaTeX's T1
fonts cannot set (Cyrillic and Greek beyond T1, CJK, Arabic, Hebrew and much more).

The main font (Noto Serif) sets Latin, Greek and Cyrillic; runs of CJK, Arabic and Hebrew
switch font by themselves, through XeTeX's inter-character classes (each script's code points
are a class, and entering or leaving a class opens or closes a group with its font). Lines may
break between CJK characters (``\\XeTeXlinebreaklocale``). Right-to-left runs are wrapped in
``\\beginR ... \\endR`` (TeX--XeT) when the data is escaped, so they read right to left while
the page stays left to right.

What the path can set is measured, not assumed: at start-up each font's character set is read
with fontconfig's ``fc-query``, and a character counts as covered only when the font that would
set it has it. The choice of path is per document: any character the fast path cannot set, and
the path is taken.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import trio

ENGINE = "xelatex"

# (class name, font family, fontspec options, inclusive code point ranges).
SCRIPTS: tuple[tuple[str, str, str, tuple[tuple[int, int], ...]], ...] = (
    (
        "CJK",
        "Noto Sans CJK JP",
        "",
        (
            (0x1100, 0x11FF),  # Hangul Jamo
            (0x2E80, 0x2FDF),  # CJK radicals
            (0x3000, 0x303F),  # CJK symbols and punctuation
            (0x3040, 0x30FF),  # Hiragana, Katakana
            (0x3100, 0x31FF),  # Bopomofo, Hangul compatibility Jamo, Katakana extension
            (0x3200, 0x33FF),  # enclosed CJK, compatibility
            (0x3400, 0x4DBF),  # CJK extension A
            (0x4E00, 0x9FFF),  # CJK unified ideographs
            (0xAC00, 0xD7AF),  # Hangul syllables
            (0xF900, 0xFAFF),  # CJK compatibility ideographs
            (0xFF00, 0xFFEF),  # half- and full-width forms
        ),
    ),
    (
        "Arabic",
        "Noto Naskh Arabic",
        "Script=Arabic",
        (
            (0x0600, 0x06FF),
            (0x0750, 0x077F),
            (0x08A0, 0x08FF),
            (0xFB50, 0xFDFF),
            (0xFE70, 0xFEFF),
            (0x200C, 0x200D),  # joiners kept between Arabic letters: inside the Arabic run
        ),
    ),
    ("Hebrew", "Noto Serif Hebrew", "Script=Hebrew", ((0x0590, 0x05FF), (0xFB1D, 0xFB4F))),
)
MAIN_FONT = "Noto Serif"
QUOTE = '"'  # TeX's prefix of a hexadecimal number, and its string delimiter
# Right-to-left letters, and what may sit between two of them in one run (spaces, digits,
# punctuation): the run is reversed as a whole, its digits stay left to right inside it.
_RTL_LETTER = r"\u0590-\u05FF\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF"
_RTL_RUN = re.compile(
    rf"[{_RTL_LETTER}](?:[{_RTL_LETTER} .,:;()\-'\u060C\u061B\u200C\u200D]*[{_RTL_LETTER}])?"
)
_unicode_fill: contextvars.ContextVar[bool] = contextvars.ContextVar("unicode_fill", default=False)


@dataclass(frozen=True)
class UnicodeCoverage:
    """Which code points the Unicode path can set, as sorted inclusive ranges."""

    ranges: tuple[tuple[int, int], ...]

    def covers(self, char: str) -> bool:
        point = ord(char)
        # The last range that starts at or before the point, if the point is within it.
        index = bisect.bisect_right(self.ranges, (point, sys.maxsize)) - 1
        return index >= 0 and self.ranges[index][1] >= point


def parse_charset(text: str) -> list[tuple[int, int]]:
    """fontconfig's ``%{charset}`` (``20-7e a0-377 384``) as inclusive ranges."""
    ranges = []
    for item in text.split():
        first, _, last = item.partition("-")
        ranges.append((int(first, 16), int(last or first, 16)))
    return ranges


def _within(
    ranges: list[tuple[int, int]], bounds: Iterable[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    for first, last in ranges:
        for low, high in bounds:
            start, end = max(first, low), min(last, high)
            if start <= end:
                yield (start, end)


def _merged(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)


async def measure_coverage() -> UnicodeCoverage | None:
    """What the installed fonts let the path set; None when XeLaTeX, fontconfig or a font is
    missing (the path is then off, and such text is refused as before)."""
    if shutil.which(ENGINE) is None or shutil.which("fc-match") is None:
        return None
    covered: list[tuple[int, int]] = []
    main = await _charset(MAIN_FONT)
    if main is None:
        return None
    switched = [r for _, _, _, bounds in SCRIPTS for r in bounds]
    # The main font sets whatever no script class takes; each class, what its font has.
    covered += _outside(main, switched)
    for _, family, _, bounds in SCRIPTS:
        charset = await _charset(family)
        if charset is None:
            return None
        covered += _within(charset, bounds)
    return UnicodeCoverage(_merged(covered))


def _outside(ranges: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``ranges`` outside every hole."""
    pieces = list(ranges)
    for low, high in holes:
        next_pieces = []
        for first, last in pieces:
            if last < low or first > high:
                next_pieces.append((first, last))
                continue
            if first < low:
                next_pieces.append((first, low - 1))
            if last > high:
                next_pieces.append((high + 1, last))
        pieces = next_pieces
    return pieces


async def _charset(family: str) -> list[tuple[int, int]] | None:
    found = await trio.run_process(
        ["fc-match", "-f", "%{family[0]}\t%{charset}", family],
        capture_stdout=True,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    name, _, charset = found.stdout.decode(errors="replace").partition("\t")
    # fontconfig substitutes a font it has for one it lacks: that is not this font.
    if found.returncode != 0 or name.strip() != family:
        return None
    return parse_charset(charset)


def setup_tex() -> str:
    """The preamble lines of the Unicode path (fontspec, the fonts, the script classes)."""
    lines = [
        r"\usepackage{fontspec}",
        rf"\setmainfont{{{MAIN_FONT}}}",
        r"\XeTeXinterchartokenstate=1",
        r"\TeXXeTstate=1",
        rf"\XeTeXlinebreaklocale {QUOTE}ja{QUOTE}",
        r"\XeTeXlinebreakskip=0pt plus 1pt",
        # Direction marks in PDF metadata mean nothing: drop them there.
        r"\AddToHook{package/hyperref/after}"
        r"{\pdfstringdefDisableCommands{\let\beginR\relax\let\endR\relax}}",
    ]
    for name, family, options, bounds in SCRIPTS:
        font = rf"\trFont{name}"
        lines.append(rf"\newfontfamily{font}[{options}]{{{family}}}")
        lines.append(rf"\newXeTeXintercharclass\trClass{name}")
        for first, last in bounds:
            lines.append(
                f"\\count255={QUOTE}{first:X} \\loop\\XeTeXcharclass\\count255=\\trClass{name}"
                f"\\ifnum\\count255<{QUOTE}{last:X} \\advance\\count255 by 1 \\repeat"
            )
        for other in ("0", "4095"):
            lines.append(rf"\XeTeXinterchartoks {other} \trClass{name} = {{\begingroup{font}}}")
            lines.append(rf"\XeTeXinterchartoks \trClass{name} {other} = {{\endgroup}}")
    return "\n".join(lines) + "\n"


def mark_rtl(tex: str) -> str:
    """``tex`` with each right-to-left run wrapped for TeX--XeT, when filling for the Unicode
    path (a no-op otherwise)."""
    if not _unicode_fill.get():
        return tex
    return _RTL_RUN.sub(lambda m: rf"\beginR{{}}{m.group(0)}\endR{{}}", tex)


@contextlib.contextmanager
def unicode_fill(active: bool) -> Iterator[None]:
    """Fill a template for the Unicode path (RTL runs are marked while this holds)."""
    token = _unicode_fill.set(active)
    try:
        yield
    finally:
        _unicode_fill.reset(token)
