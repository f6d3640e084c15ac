"""No made-up creation date from xdvipdfmx, the Unicode path's PDF writer.

A document whose data has no date carries none (pdfTeX is told ``\\pdfinfoomitdate``). The
xdvipdfmx of TeX Live 2022 (20211117) writes a ``/CreationDate`` whenever the document gives
none and has no switch to leave it out; with ``SOURCE_DATE_EPOCH=0`` it reads 1 January 1970.
So XeLaTeX runs it without object streams (``-C 0x40``: the document information is then plain
text in the file, about 4 KB more per document), and that one entry is overwritten with spaces:
the same length, so every offset in the file stays right and the dictionary stays valid.
"""

from __future__ import annotations

from pathlib import Path

# XeTeX's default driver command, plus "no object streams".
XETEX_DRIVER = "-output-driver=xdvipdfmx -q -E -C 0x40"
# What xdvipdfmx writes for SOURCE_DATE_EPOCH=0 (rendering.typesetting._sandbox).
EPOCH_ENTRY = b"/CreationDate(D:19700101000000-00'00')"


def driver_options(engine: str) -> list[str]:
    """The extra command-line options of ``engine`` for its PDF writer (XeTeX's only)."""
    return [XETEX_DRIVER] if Path(engine).name.startswith("xelatex") else []


def without_epoch_date(pdf: bytes) -> bytes:
    """``pdf`` with xdvipdfmx's stand-in creation date blanked out (unchanged without one)."""
    if pdf.count(EPOCH_ENTRY) != 1:
        return pdf
    return pdf.replace(EPOCH_ENTRY, b" " * len(EPOCH_ENTRY))
