"""Is a string in a PDF's text as a machine extracts it?

The text is poppler's ``pdftotext`` output, NFC-normalised, with every run of white space one
space (where TeX breaks a line is its business). ``pdftotext`` itself joins a word broken at a
line-end hyphen, as applicant tracking systems do: TeX's hyphenation comes back whole, and a
hyphen the writer typed, broken at, is lost ("customer-centric" reads "customercentric"), which
the match then reports. A string with no spaces that reads as an address (``/``, ``.``, ``@``
in it) may be broken across lines with nothing lost: a space is allowed anywhere inside it.
A line break between two East Asian wide characters (Chinese, Japanese) is no space, as CSS
Text's segment-break rules say: those scripts write no spaces between words. Bidirectional
formatting characters (the embedding marks ``pdftotext`` writes around right-to-left lines,
right-to-left marks) are invisible and carry no text: they are dropped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass

_BIDI_FORMAT = dict.fromkeys([0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_BIDI_FORMAT)
    text = _WIDE_BREAK.sub(
        lambda m: m.group(1) if _joins(m.group(1), m.group(2)) else m.group(0), text
    )
    return " ".join(text.split())


_WIDE_BREAK = re.compile(r"(\S)\n(?=(\S))")


def _joins(before: str, after: str) -> bool:
    """Whether a line break between ``before`` and ``after`` is no space (both wide, neither
    Hangul: Korean puts spaces between words)."""
    return all(
        unicodedata.east_asian_width(c) in ("W", "F") and not "\uac00" <= c <= "\ud7af"
        for c in (before, after)
    )


@dataclass(frozen=True)
class PdfText:
    """A PDF's text, ready for matching."""

    text: str

    @classmethod
    def of(cls, pdf: bytes) -> PdfText:
        pdftotext = shutil.which("pdftotext") or "pdftotext"
        result = subprocess.run(
            [pdftotext, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
        )
        return cls(_normal(result.stdout.decode("utf-8")))


def found(line: str, pdf: PdfText) -> bool:
    """Whether ``line`` (one line of a value) is in the PDF's text."""
    wanted = _normal(line)
    if wanted in pdf.text:
        return True
    if " " in wanted or not any(mark in wanted for mark in "/.@"):
        return False
    pattern = " ?".join(map(re.escape, wanted))
    return re.search(pattern, pdf.text) is not None


MIN_WORD_CHARS = 4


def found_as_words(value: str, pdf: PdfText) -> bool | None:
    """Whether ``value`` is in the PDF's text as whole words; None when it is too short to
    tell (``de`` is in many a text)."""
    wanted = _normal(value)
    if len(wanted) < MIN_WORD_CHARS:
        return None
    return re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", pdf.text) is not None
