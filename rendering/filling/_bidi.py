"""Right-to-left text on the Unicode path: set in the right direction, and extracted in
logical order.

Direction: a value whose first strong letter is right to left (Arabic, Hebrew) is a
right-to-left paragraph (``\\beginR ... \\endR``, TeX--XeT) in which each left-to-right run
(Latin words, numbers) is ``\\beginL ... \\endL``; any other value is left to right, its
right-to-left runs ``\\beginR ... \\endR`` (and the whole ``\\beginL ... \\endL`` in a
right-to-left document, whose paragraphs are right to left).

Extraction: XeTeX's Arabic glyphs read back as presentation forms (U+FExx), and extractors
rebuild logical order from positions, with a simpler algorithm than Unicode's. Each
right-to-left word carries an ``/ActualText`` span with its letters. Measured with poppler's
``pdftotext`` and with MuPDF: both lay a span's text out left to right over the span's glyphs
and then reverse right-to-left runs as they do glyphs, so a span holds its word in visual order
(reversed, a run of other characters kept in its own order). ``pdftotext`` also joins a
neutral character (space, comma, full stop) to a left-to-right run beside it (MuPDF orders
mixed runs its own way, every word read right); so a word that ends in
punctuation, and the first word of a left-to-right run (where, on the page, the run meets the
text that follows it), start with U+200F RIGHT-TO-LEFT MARK, which ends the run there. The
marks are invisible formatting characters, like the embedding marks ``pdftotext`` writes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

RLM = "\u200f"
_RTL_CHARS = r"\u0590-\u05FF\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF"
_RTL = re.compile(f"[{_RTL_CHARS}]")
# What may sit between two right-to-left letters in one run of a left-to-right value.
_RTL_RUN = re.compile(
    rf"[{_RTL_CHARS}](?:[{_RTL_CHARS} .,:;()\-'\u060C\u061B\u200C\u200D]*[{_RTL_CHARS}])?"
)
# A left-to-right run inside right-to-left text: from a strong left-to-right character or
# a digit to the last such one (or a %, ‰ or currency sign right after a digit) before the
# next right-to-left letter; the neutrals around it belong to the right-to-left text.
_LTR_RUN = re.compile(
    rf"[^\W_{_RTL_CHARS}](?:[^{_RTL_CHARS}\n]*[^\W_{_RTL_CHARS}])?(?:[%\u2030$\u20AC\u00A3]+)?"
)
_WORD = re.compile(r"\S+")
_MIRRORED = str.maketrans("()[]{}<>\u00ab\u00bb", ")(][}{><\u00bb\u00ab")
_MIRROR = re.compile(r"[()\[\]{}<>\u00ab\u00bb]")
# An /ActualText span. Inside a right-to-left segment TeX--XeT reverses the list, specials
# included: there a span is written end first (\trRtlText); inside a left-to-right segment
# nested in one, it is reversed twice (\trLtrText).
SPAN_MACROS = r"""\def\trRtlText#1#2{\special{pdf:literal direct EMC}#2%
\special{pdf:literal direct /Span<</ActualText<FEFF#1>>>BDC}}
\def\trLtrText#1#2{\special{pdf:literal direct /Span<</ActualText<FEFF#1>>>BDC}#2%
\special{pdf:literal direct EMC}}"""
Escape = Callable[[str], str]


def is_rtl(text: str) -> bool:
    """Whether ``text``'s first strong letter is right to left (Unicode's rule P2, roughly)."""
    for char in text:
        if _RTL.match(char):
            return True
        if char.isalpha():
            return False
    return False


def bidi_tex(text: str, escape: Escape, document_rtl: bool) -> str:
    """TeX for one line of a value (no line breaks in it): ``escape`` turns plain text into
    TeX, the rest is direction and extraction markup."""
    if is_rtl(text):
        return rf"\beginR{{}}{_rtl_paragraph(text, escape)}\endR{{}}"
    marked = _ltr_paragraph(text, escape)
    return rf"\beginL{{}}{marked}\endL{{}}" if document_rtl and text.strip() else marked


def _ltr_paragraph(text: str, escape: Escape) -> str:
    """A left-to-right value: its right-to-left runs reversed (``\\beginR``) and spanned."""
    parts, position = [], 0
    for run in _RTL_RUN.finditer(text):
        parts.append(escape(text[position : run.start()]))
        parts.append(rf"\beginR{{}}{_rtl_words(run.group(0), escape)}\endR{{}}")
        position = run.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def _rtl_paragraph(text: str, escape: Escape) -> str:
    """A right-to-left value: left-to-right runs ``\\beginL``, each with its first word in a
    span after a right-to-left mark (there, on the page, the run meets the text after it)."""
    parts, position = [], 0
    for run in _LTR_RUN.finditer(text):
        parts.append(_rtl_words(text[position : run.start()], escape))
        first, rest = _first_word(run.group(0))
        hex_text = _hex(RLM + first)
        parts.append(
            rf"\beginL{{}}\trLtrText{{{hex_text}}}{{{escape(first)}}}{escape(rest)}\endL{{}}"
        )
        position = run.end()
    parts.append(_rtl_words(text[position:], escape))
    return "".join(parts)


def _rtl_words(text: str, escape: Escape) -> str:
    """Right-to-left text (no left-to-right run in it): each word with right-to-left letters
    or brackets in an ``/ActualText`` span, spaces and everything else as they are."""
    parts, position = [], 0
    for word in _WORD.finditer(text):
        if not _RTL.search(word.group(0)) and not _MIRROR.search(word.group(0)):
            continue
        parts.append(escape(text[position : word.start()]))
        hex_text = _hex(span_text(word.group(0)))
        parts.append(rf"\trRtlText{{{hex_text}}}{{{_shown(word.group(0), escape)}}}")
        position = word.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def _shown(word: str, escape: Escape) -> str:
    """What the page shows of a right-to-left word. Brackets are drawn mirrored, as
    right-to-left text shows them (the span says which they are): TeX--XeT reverses the order
    of glyphs, not their shapes. Two characters in a row that are not right to left (``].``)
    are kept apart by a zero kern: XeTeX would set them as one left-to-right word."""
    parts: list[str] = []
    for index, char in enumerate(word.translate(_MIRRORED)):
        if index and not _reversed(char) and not _reversed(word[index - 1]):
            parts.append(r"\kern0pt{}")
        parts.append(escape(char))
    return "".join(parts)


def _first_word(run: str) -> tuple[str, str]:
    """A run's first word, and the rest (a span must not cross a line break)."""
    first = run.split(maxsplit=1)[0]
    return first, run[len(first) :]


def _hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def _reversed(char: str) -> bool:
    """Whether extractors reverse ``char`` with the right-to-left letters around it: a
    right-to-left letter or a combining mark (not a digit, a comma or a full stop, even the
    Arabic ones)."""
    return unicodedata.bidirectional(char) in ("R", "AL", "NSM")


def span_text(word: str) -> str:
    """The ``/ActualText`` of a right-to-left word: in visual order, after a right-to-left
    mark when the word ends with something else (a full stop, a comma), which extractors
    would otherwise join to the left-to-right run or space beside it."""
    return visual(word) if _reversed(word[-1]) else RLM + visual(word)


def visual(word: str) -> str:
    """``word`` as extractors expect a span's text: reversed character by character (they
    reverse it back, combining marks included), each run of characters that are not right to
    left kept in its own order."""
    runs: list[str] = []
    for char in word:
        if runs and not _reversed(char) and not _reversed(runs[-1][-1]):
            runs[-1] += char
        else:
            runs.append(char)
    return "".join(reversed(runs))
