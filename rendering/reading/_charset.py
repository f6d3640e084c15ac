"""Which characters the pdfLaTeX templates can typeset, checked before TeX runs.

pdfLaTeX with ``inputenc``/utf8 only knows the characters that have a definition for the loaded
font encodings (here T1, plus the TS1, OML and OMS symbols the kernel declares). Any other
character stops TeX with "Unicode character X (U+XXXX) not set up for use with LaTeX", one
character per attempt. Checking the data against a measured table first lets a request be
answered with every offending character at once, and lets harmless ones be dealt with:

* :data:`INVISIBLE` characters (joiners, variation selectors, bidi marks, tags, BOM) carry
  nothing a Latin-script page can show; :func:`strip_invisible` removes them.
* Pictographs (emoji, dingbats, flags; :data:`PICTOGRAPH_RANGES`) are decoration: a caller may
  drop them with a warning (:func:`drop_pictographs`) instead of failing a whole resume.
* Everything else that :func:`unsupported` reports is real text the template cannot set;
  :func:`character_name` and :func:`script_hint` help to say so.

:func:`check_text` does all three for one data string (in one scan when there is nothing to
do, the usual case); collect its findings over the whole document to report them together.

The table is a measurement, not a guess: see :data:`MEASURED_RANGES` for how it was made and how
to make it again. It holds for the ``resume-classic`` preamble (``fontenc`` T1, ``inputenc``
utf8, ``lmodern``, and its own ``\\DeclareUnicodeCharacter`` for U+200B and U+2212); a
template with another preamble needs its own measurement.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

Ranges = tuple[tuple[int, int], ...]

# Every code point pdfLaTeX has a utf8 definition for under the resume-classic preamble, as
# inclusive (first, last) ranges, ASCII excluded (it needs no definition).
#
# Measured on TeX Live 2022/Debian (texlive-latex-base 2022.20230122-3): pdfTeX
# 3.141592653-2.6-1.40.24, LaTeX2e <2022-11-01> patch level 1, inputenc 2021/02/14 v1.3d,
# lmodern 2.005-1, hyperref 2022-11-13 v7.00u. Two probes, both over the preamble up to
# "\endofdump":
#   1. definitions: `\ifcsname u8:<the character's bytes>\endcsname` for every code point
#      U+00A0..U+10FFFF except surrogates (see probe_source); 351 are defined, none above
#      U+FEFF (so probe_source by default only probes DEFAULT_CANDIDATES);
#   2. typesetting: each defined character in an \sbox in upright, bold, italic, bold italic,
#      small caps, \footnotesize and \trUrl, in a paragraph and in \pdfstringdef, with
#      \tracinglostchars=3 (a glyph missing from the font is an error): no errors.
# tests/test_charset.py repeats probe 2 on every run of the `tex` tests, and compares a fresh
# probe 1 with this table on TeX Live 2022.
#
# To regenerate (from the repository root; see tools/charset_table.py):
#   .venv/bin/python -m tools.charset_table probe > /tmp/probe.tex
#   (cd /tmp && pdflatex -interaction=batchmode probe.tex)
#   .venv/bin/python -m tools.charset_table table < /tmp/probe.log
# paste the output here, then run `.venv/bin/pytest -m tex tests/test_charset.py`.
MEASURED_RANGES: Ranges = (
    (0x00A0, 0x0125), (0x0128, 0x0137), (0x0139, 0x013E), (0x0141, 0x0148), (0x014A, 0x0165),
    (0x0168, 0x017E), (0x0192, 0x0192), (0x01C4, 0x01D4), (0x01E2, 0x01E3), (0x01E6, 0x01EB),
    (0x01F0, 0x01F0), (0x01F4, 0x01F5), (0x0218, 0x021B), (0x0232, 0x0233), (0x0237, 0x0237),
    (0x02C6, 0x02C7), (0x02D8, 0x02D9), (0x02DB, 0x02DD), (0x0E3F, 0x0E3F), (0x1E02, 0x1E03),
    (0x1E0D, 0x1E0D), (0x1E1E, 0x1E21), (0x1E25, 0x1E25), (0x1E30, 0x1E31), (0x1E37, 0x1E37),
    (0x1E43, 0x1E43), (0x1E45, 0x1E45), (0x1E47, 0x1E47), (0x1E5B, 0x1E5B), (0x1E63, 0x1E63),
    (0x1E6D, 0x1E6D), (0x1E8E, 0x1E91), (0x1E9E, 0x1E9E), (0x1EF2, 0x1EF3), (0x200B, 0x200C),
    (0x2010, 0x2016), (0x2018, 0x201A), (0x201C, 0x201E), (0x2020, 0x2022), (0x2026, 0x2026),
    (0x2030, 0x2031), (0x2039, 0x203B), (0x203D, 0x203D), (0x2044, 0x2044), (0x204E, 0x204E),
    (0x2052, 0x2052), (0x20A1, 0x20A1), (0x20A4, 0x20A4), (0x20A6, 0x20A6), (0x20A9, 0x20A9),
    (0x20AB, 0x20AC), (0x20B1, 0x20B1), (0x2103, 0x2103), (0x2116, 0x2117), (0x211E, 0x211E),
    (0x2120, 0x2120), (0x2122, 0x2122), (0x2126, 0x2127), (0x212E, 0x212E), (0x2190, 0x2193),
    (0x2212, 0x2212), (0x2329, 0x232A), (0x2422, 0x2423), (0x25E6, 0x25E6), (0x25EF, 0x25EF),
    (0x266A, 0x266A), (0x27E8, 0x27E9), (0x3008, 0x3009), (0xFB00, 0xFB06), (0xFEFF, 0xFEFF),
)  # fmt: skip

# What the fast path sets besides once it loads T2A (Cyrillic, CM-Super) and LGR (Greek, CB
# fonts) beside T1 (rendering.filling._fontenc; texrender wraps each run in \trCyr or \trGrk),
# on a machine that has those fonts (rendering.typesetting._cyrgreek). Measured like the table
# above over U+0370..U+03FF, U+0400..U+052F and U+1F00..U+1FFF with TeX Live 2022/Debian's
# texlive-lang-cyrillic, texlive-lang-greek and cm-super-minimal: a utf8 definition, and set
# upright, bold, italic and small caps with \tracinglostchars=3 without an error (the Greek
# symbol variants U+03D0, U+03D1, U+03D5, U+03D6, U+03F0, U+03F1, U+03F4, U+03F5 have a
# definition that is an error).
CYRILLIC_GREEK_RANGES: Ranges = (
    (0x0374, 0x0375), (0x037A, 0x037A), (0x037E, 0x037E), (0x0384, 0x038A), (0x038C, 0x038C),
    (0x038E, 0x03A1), (0x03A3, 0x03CE), (0x03D8, 0x03DD), (0x03DF, 0x03E1), (0x0400, 0x045F),
    (0x0490, 0x0493), (0x0496, 0x049D), (0x04A0, 0x04A5), (0x04AA, 0x04AB), (0x04AE, 0x04B3),
    (0x04B6, 0x04BB), (0x04C0, 0x04C2), (0x04D0, 0x04DF), (0x04E2, 0x04E9), (0x04EC, 0x04F5),
    (0x04F8, 0x04F9), (0x1F00, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45), (0x1F48, 0x1F4D),
    (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D),
    (0x1F80, 0x1FB4), (0x1FB6, 0x1FC4), (0x1FC6, 0x1FD3), (0x1FD6, 0x1FDB), (0x1FDD, 0x1FEF),
    (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFE),
)  # fmt: skip

# Printable ASCII, tab and newline need no table: escape_latex makes every one of them typeset.
_ASCII_TEXT = frozenset({0x09, 0x0A, *range(0x20, 0x7F)})


def _expand(ranges: Iterable[tuple[int, int]]) -> frozenset[int]:
    return frozenset(cp for first, last in ranges for cp in range(first, last + 1))


def _nfc_settable(measured: frozenset[int]) -> frozenset[int]:
    """The measured code points that survive the NFC normalisation ``escape_latex`` applies
    (U+2126 OHM SIGN becomes U+03A9 GREEK CAPITAL LETTER OMEGA, which T1 cannot set)."""
    known = measured | _ASCII_TEXT
    return frozenset(
        cp for cp in measured if all(ord(c) in known for c in unicodedata.normalize("NFC", chr(cp)))
    )


T1_TEXT: frozenset[int] = _nfc_settable(_expand(MEASURED_RANGES)) | _ASCII_TEXT
"""Code points the resume-classic template can typeset: printable ASCII, tab, newline and the
measured table, less what NFC normalisation turns into something unsettable."""

FAST_TEXT: frozenset[int] = (
    _nfc_settable(_expand(MEASURED_RANGES) | _expand(CYRILLIC_GREEK_RANGES)) | _ASCII_TEXT
)
"""The same when the fast path has its Cyrillic and Greek fonts (U+2126 OHM SIGN is then
settable: NFC makes it Greek)."""

# Characters that never reach TeX as themselves: escape_latex drops C0/C1 controls, DEL and
# lone surrogates, and turns CR, U+2028 and U+2029 into line breaks. They cannot fail a compile.
_ESCAPER_HANDLED = frozenset(
    {*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *range(0xD800, 0xE000), 0x2028, 0x2029}
)


def to_ranges(code_points: Iterable[int]) -> Ranges:
    """Sorted, merged inclusive ranges covering exactly ``code_points``."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(set(code_points)):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return tuple(ranges)


def _char_class(code_points: Iterable[int], *, negate: bool = False) -> re.Pattern[str]:
    """A regex matching one character of ``code_points`` (or, negated, any other character).

    A class of BMP characters only compiles to a bitmap, which scans several times faster than
    one with supplementary-plane ranges: callers keep those apart.
    """
    parts = (
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in to_ranges(code_points)
    )
    return re.compile("[" + ("^" if negate else "") + "".join(parts) + "]")


# Matches a character that would stop TeX (one scan, no allocation, for text that has none),
# by whether the fast path has its Cyrillic and Greek fonts.
_UNSETTABLE_RE = {
    fast: _char_class(settable | _ESCAPER_HANDLED, negate=True)
    for fast, settable in ((False, T1_TEXT), (True, FAST_TEXT))
}


def unsupported(text: str, *, cyrillic_greek: bool = False) -> set[str]:
    """The characters of ``text`` that would stop TeX with "not set up for use with LaTeX".

    ``text`` is looked at as TeX will get it: NFC-normalised as ``escape_latex`` does (so
    "e" + U+0301 COMBINING ACUTE ACCENT is the settable "é", and U+2126 OHM SIGN is the
    unsettable U+03A9 GREEK CAPITAL LETTER OMEGA), and without the control characters the
    escaper drops. Invisible characters and pictographs are reported like any other: strip or
    drop them first (or use :func:`check_text`). Pure ASCII returns at once. With
    ``cyrillic_greek``, for a fast path that has its Cyrillic and Greek fonts.
    """
    unsettable = _UNSETTABLE_RE[cyrillic_greek]
    if text.isascii() or unsettable.search(text) is None:
        # Settable characters stay settable under NFC (T1_TEXT is built so), and none of them
        # composes with another, so there is nothing to normalise either.
        return set()
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return set(unsettable.findall(text))


def _has_astral(text: str) -> bool:
    """Whether ``text`` has a character above U+FFFF (one fast encode, no scan in Python)."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


# --- Invisible characters ----------------------------------------------------------------------
#
# Zero-width characters with no visible effect on Latin text, removed before rendering. The
# template cannot set most of them; U+FEFF it can (as \nobreak) but it is nearly always a stray
# byte-order mark. Deliberately NOT here, because the template sets them and they mean
# something: U+200B ZERO WIDTH SPACE (a permitted line break; the template itself uses it in
# URLs) and U+200C ZERO WIDTH NON-JOINER (\textcompwordmark: breaks a ligature, as in German
# "Auf" U+200C "lage"). U+00AD SOFT HYPHEN is left to escape_latex, which drops it.
INVISIBLE_RANGES: Ranges = (
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),  # ARABIC LETTER MARK
    (0x200D, 0x200D),  # ZERO WIDTH JOINER (glues emoji sequences)
    (0x200E, 0x200F),  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # WORD JOINER; invisible function application, times, separator, plus
    (0x2066, 0x2069),  # bidi isolates
    (0x206A, 0x206F),  # deprecated format characters
    (0xFE00, 0xFE0F),  # VARIATION SELECTOR-1..16 (VS16 asks for emoji presentation)
    (0xFEFF, 0xFEFF),  # ZERO WIDTH NO-BREAK SPACE / byte-order mark
    (0xE0001, 0xE0001),  # LANGUAGE TAG
    (0xE0020, 0xE007F),  # tag characters (subdivision flags such as Scotland's)
    (0xE0100, 0xE01EF),  # VARIATION SELECTOR-17..256
)

_INVISIBLE_CPS = _expand(INVISIBLE_RANGES)
INVISIBLE: frozenset[str] = frozenset(map(chr, _INVISIBLE_CPS))
"""Characters :func:`strip_invisible` removes (see :data:`INVISIBLE_RANGES`)."""

_INVISIBLE_BMP_RE = _char_class(cp for cp in _INVISIBLE_CPS if cp <= 0xFFFF)
_INVISIBLE_ASTRAL_RE = _char_class(cp for cp in _INVISIBLE_CPS if cp > 0xFFFF)


# Between two letters of the Arabic script a joiner is spelling, not decoration: a zero-width
# non-joiner keeps Persian "می‌خواهم" from joining where it must not. Such joiners are kept
# (and the text then takes the Unicode path, which sets them); anywhere else they go.
_ARABIC_LETTERS = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_SPELLING_JOINER = re.compile(f"(?<=[{_ARABIC_LETTERS}])[\u200c\u200d](?=[{_ARABIC_LETTERS}])")
_KEPT = {"\u200c": "\ue00c", "\u200d": "\ue00d"}  # private-use stand-ins while stripping


def strip_invisible(text: str) -> str:
    """``text`` without its :data:`INVISIBLE` characters (the same object if there are none),
    but for joiners that spell Arabic-script words."""
    if text.isascii():
        return text
    spelled = ("\u200c" in text or "\u200d" in text) and _SPELLING_JOINER.search(text)
    if spelled:
        text = _SPELLING_JOINER.sub(lambda m: _KEPT[m.group(0)], text)
    text = _INVISIBLE_BMP_RE.sub("", text)
    if _has_astral(text):
        text = _INVISIBLE_ASTRAL_RE.sub("", text)
    if spelled:
        text = text.replace("\ue00c", "\u200c").replace("\ue00d", "\u200d")
    return text


# --- Pictographs -------------------------------------------------------------------------------
#
# Emoji and other pictographs, which a resume can lose with a warning. The union of:
#   * Unicode's Extended_Pictographic property (emoji-data.txt for Emoji 15.0, 2022-08-02, as
#     shipped in texmf-dist/tex/generic/unicode-data), which includes code points reserved for
#     future emoji, except those in the Arrows (U+2190..U+21FF) and Supplemental Arrows-B
#     (U+2900..U+297F) blocks: an arrow is text (U+2194 LEFT RIGHT ARROW between two cities),
#     dropping it would change the meaning, so it stays unsupported;
#   * the whole Miscellaneous Symbols (U+2600..U+26FF) and Dingbats (U+2700..U+27BF) blocks
#     (check marks, crosses, stars, dingbat digits: decoration in a resume), and the whole of
#     U+1F000..U+1FAFF (game symbols, enclosed alphanumerics, emoji, alchemical and other
#     pictograph blocks), which holds the emoji components regional indicators (flags,
#     U+1F1E6..U+1F1FF) and skin-tone modifiers (U+1F3FB..U+1F3FF);
#   * U+20E3 COMBINING ENCLOSING KEYCAP (the last part of a keycap emoji: "1", VS16, U+20E3).
# A character the template can set is never a pictograph (T1_TEXT is taken out): on TeX Live
# 2022 that keeps U+00A9, U+00AE, U+2122 and U+266A EIGHTH NOTE.
PICTOGRAPH_RANGES: Ranges = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
    (0x20E3, 0x20E3), (0x2122, 0x2122), (0x2139, 0x2139), (0x231A, 0x231B),
    (0x2328, 0x2328), (0x2388, 0x2388), (0x23CF, 0x23CF), (0x23E9, 0x23F3),
    (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB), (0x25B6, 0x25B6),
    (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x27BF), (0x2B05, 0x2B07),
    (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030),
    (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299), (0x1F000, 0x1FAFF),
    (0x1FC00, 0x1FFFD),
)  # fmt: skip

_PICTOGRAPH_BMP_RE = _char_class(
    cp for a, b in PICTOGRAPH_RANGES if b <= 0xFFFF for cp in range(a, b + 1) if cp not in T1_TEXT
)
_PICTOGRAPH_ASTRAL_RE = _char_class(
    cp for a, b in PICTOGRAPH_RANGES if a > 0xFFFF for cp in range(a, b + 1)
)


def drop_pictographs(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` without its pictographs, and the pictographs dropped (each once, in order of
    first appearance). Strip :data:`INVISIBLE` first so that no joiner or variation selector of
    an emoji sequence is left behind."""
    if text.isascii():
        return text, ()
    found = _PICTOGRAPH_BMP_RE.findall(text)
    if _has_astral(text):
        found += _PICTOGRAPH_ASTRAL_RE.findall(text)
    if not found:
        return text, ()
    kept = _PICTOGRAPH_BMP_RE.sub("", text)
    if _has_astral(kept):
        kept = _PICTOGRAPH_ASTRAL_RE.sub("", kept)
    return kept, tuple(sorted(set(found), key=text.index))


class CheckedText(NamedTuple):
    """One data string as the template can take it, and what that took: ``text`` without
    :data:`INVISIBLE` characters and pictographs; ``dropped``, the pictographs removed (each
    once, in order of first appearance: for a warning); ``unsupported``, the characters left
    that the template cannot set (for an error)."""

    text: str
    dropped: tuple[str, ...]
    unsupported: frozenset[str]


_NOTHING: frozenset[str] = frozenset()

# Anything but what passes untouched: unsettable, invisible or pictograph characters.
_SUSPECT_RE = {
    fast: _char_class((settable | _ESCAPER_HANDLED) - _INVISIBLE_CPS, negate=True)
    for fast, settable in ((False, T1_TEXT), (True, FAST_TEXT))
}


def passes_untouched(text: str, *, cyrillic_greek: bool = False) -> bool:
    """Whether :func:`check_text` leaves ``text`` as it is and finds nothing in it (no
    invisible character, pictograph or character the template cannot set): one scan, so
    that a document's strings joined are looked at at once."""
    return text.isascii() or _SUSPECT_RE[cyrillic_greek].search(text) is None


def check_text(text: str, *, cyrillic_greek: bool = False) -> CheckedText:
    """:func:`strip_invisible`, :func:`drop_pictographs` and :func:`unsupported` in one go,
    with a single scan for the usual string that needs none of them."""
    if passes_untouched(text, cyrillic_greek=cyrillic_greek):
        return CheckedText(text, (), _NOTHING)
    text, dropped = drop_pictographs(strip_invisible(text))
    return CheckedText(text, dropped, frozenset(unsupported(text, cyrillic_greek=cyrillic_greek)))


# --- Messages ----------------------------------------------------------------------------------

_UNNAMED = {"Cc": "<control>", "Co": "<private use>", "Cs": "<surrogate>", "Cn": "<unassigned>"}


def character_name(char: str) -> str:
    """``char`` as "U+2605 BLACK STAR", for error messages (an unnamed code point gets its kind,
    as in "U+E000 <private use>")."""
    cp = ord(char)
    name = unicodedata.name(char, "") or _UNNAMED.get(unicodedata.category(char), "<unnamed>")
    return f"U+{cp:04X} {name}"


# Scripts a hint may name, by the first word(s) of their letters' Unicode names. Other letters
# (mathematical alphanumerics, modifier letters, rare scripts) count against a majority but are
# never named; "Latin" is never named either (see script_hint).
_SCRIPTS = {
    "LATIN": "Latin",
    "CYRILLIC": "Cyrillic",
    "GREEK": "Greek",
    "COPTIC": "Coptic",
    "ARMENIAN": "Armenian",
    "GEORGIAN": "Georgian",
    "HEBREW": "Hebrew",
    "ARABIC": "Arabic",
    "SYRIAC": "Syriac",
    "THAANA": "Thaana",
    "DEVANAGARI": "Devanagari",
    "BENGALI": "Bengali",
    "GURMUKHI": "Gurmukhi",
    "GUJARATI": "Gujarati",
    "ORIYA": "Oriya",
    "TAMIL": "Tamil",
    "TELUGU": "Telugu",
    "KANNADA": "Kannada",
    "MALAYALAM": "Malayalam",
    "SINHALA": "Sinhala",
    "THAI": "Thai",
    "LAO": "Lao",
    "TIBETAN": "Tibetan",
    "MYANMAR": "Myanmar",
    "KHMER": "Khmer",
    "MONGOLIAN": "Mongolian",
    "ETHIOPIC": "Ethiopic",
    "CHEROKEE": "Cherokee",
    "CANADIAN SYLLABICS": "Canadian Aboriginal syllabics",
    "CJK": "CJK",
    "IDEOGRAPHIC": "CJK",
    "BOPOMOFO": "Bopomofo",
    "HIRAGANA": "Japanese",
    "KATAKANA": "Japanese",
    "HANGUL": "Korean",
    "YI": "Yi",
}
_SCRIPT_NAME = re.compile(
    r"(?:HALFWIDTH |FULLWIDTH )?(" + "|".join(map(re.escape, _SCRIPTS)) + r")[ -]"
)


def _script(char: str) -> str | None:
    """The script of a letter or mark, from its Unicode name: a value of ``_SCRIPTS``, "" for
    another letter or mark, None for anything else (symbols, punctuation, pictographs)."""
    if unicodedata.category(char)[0] not in "LM":
        return None
    match = _SCRIPT_NAME.match(unicodedata.name(char, ""))
    return _SCRIPTS[match.group(1)] if match else ""


def script_hint(chars: Iterable[str]) -> str | None:
    """The script most of the letters in ``chars`` (unsupported characters) belong to:
    "Cyrillic", "Greek", "CJK", "Arabic", "Korean", ..., for a message like "this template sets
    Latin text only; Cyrillic needs a Unicode engine".

    None when no script has a strict majority of the distinct letters and marks, when there are
    none (only pictographs and symbols), and when the majority is Latin (letters such as
    Vietnamese "ạ" that T1 lacks: another script is not the explanation then).
    """
    scripts = Counter(s for s in map(_script, set(chars)) if s is not None)
    if not scripts:
        return None
    script, count = scripts.most_common(1)[0]
    if script in ("", "Latin") or 2 * count <= scripts.total():
        return None
    return script
