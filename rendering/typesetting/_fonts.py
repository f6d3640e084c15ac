"""The fonts of the Unicode path, and which characters they can set.

XeLaTeX sets the path with Noto fonts: the main font (Noto Serif) for Latin, Greek and Cyrillic,
and one font per script class (CJK, Arabic, Hebrew) for the runs XeTeX switches to. The CJK class
takes the face of the document's language (:func:`cjk_face`): Noto CJK draws Han characters the
way Chinese (simplified, traditional), Japanese or Korean write them. What the path
can set is measured, not assumed: at start-up each font's character set is read with fontconfig
(``fc-match``), and a character counts as covered only when the font that would set it has it.
Each face is loaded by file (:mod:`._faces` says which, and checks that it is the face fontconfig
names).
"""

from __future__ import annotations

import bisect
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import trio

from ._faces import check_face_files

ENGINE = "xelatex"
log = logging.getLogger("texrender.fonts")

# (class name, font family, OpenType script and language of its font, inclusive code point ranges).
# The tags are the ones fontspec chose for these families when it loaded them by name.
SCRIPTS: tuple[tuple[str, str, str, tuple[tuple[int, int], ...]], ...] = (
    (
        "CJK",
        "Noto Sans CJK SC",  # the default face; see cjk_face
        "script=latn;language=dflt;",
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
        "script=arab;language=dflt;",
        (
            (0x0600, 0x06FF),
            (0x0750, 0x077F),
            (0x08A0, 0x08FF),
            (0xFB50, 0xFDFF),
            (0xFE70, 0xFEFF),
            (0x200C, 0x200D),  # joiners kept between Arabic letters: inside the Arabic run
        ),
    ),
    (
        "Hebrew",
        "Noto Serif Hebrew",
        "script=hebr;language=dflt;",
        ((0x0590, 0x05FF), (0xFB1D, 0xFB4F)),
    ),
    # Noto Serif and Noto Sans have no mathematical operators, not even U+2212 MINUS SIGN.
    ("Math", "Noto Sans Math", "script=DFLT;language=dflt;", ((0x2200, 0x22FF),)),
)
MAIN_FONT = "Noto Serif"
CJK_VARIANTS = ("SC", "TC", "HK", "JP", "KR")


def cjk_face(variant: str, serif: bool) -> str:
    """The Noto CJK family for a language variant (``SC``, ``TC``, ``HK``, ``JP``, ``KR``),
    serif or sans to go with the template's Latin face."""
    return f"Noto {'Serif' if serif else 'Sans'} CJK {variant}"


def _cjk_faces() -> list[str]:
    return [cjk_face(variant, serif) for variant in CJK_VARIANTS for serif in (False, True)]


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
    problem = await check_face_files()
    if problem is not None:
        log.warning("the Unicode path's font files: %s", problem)
        return None
    covered: list[tuple[int, int]] = []
    main = await _charset(MAIN_FONT)
    if main is None:
        return None
    switched = [r for _, _, _, bounds in SCRIPTS for r in bounds]
    # The main font sets whatever no script class takes; each class, what its font has.
    covered += _outside(main, switched)
    for name, family, _, bounds in SCRIPTS:
        # The CJK class may take any of the CJK faces: what each of them has.
        allowed = list(bounds)
        for face in _cjk_faces() if name == "CJK" else [family]:
            charset = await _charset(face)
            if charset is None:
                return None
            allowed = list(_within(charset, allowed))
        covered += allowed
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
