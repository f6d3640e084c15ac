"""Exact text from the fast path's fonts: the characters T1 builds from two glyphs, or sets
with a glyph that reads back as another character, carry their own text in the PDF.

pdfLaTeX sets ``ī`` as a dotless i under a macron, ``ș`` as an s with a comma accent, ``ķ`` as
a k with a cedilla, ``…`` as three full stops, ``ﬁ`` as the fi ligature: each glyph reads back
as itself, so an applicant tracking system reads a dotless i and a macron, ``s,``, ``k,``,
``. . .``, ``fi``.
Around each such character the preamble puts a marked-content span whose ``/ActualText`` is
the character (PDF 1.5, 14.9.4; what poppler, pdf.js and Acrobat extract instead of the
glyphs). The cost is two ``\\pdfliteral`` s per such character of the data, in a preamble that
is part of the format; routing these documents to the Unicode path instead would cost about
five times the CPU (see ``tools/render_cost.py``).

:data:`COMPOSED_RANGES` is measured, like the table of characters pdfLaTeX can set: every one
of those characters set upright, bold and italic with the template's preamble (less this
part), and read back with ``pdftotext`` after NFC; those that did not come back are here. To
measure again: ``.venv/bin/python -m tools.exact_glyphs`` (paste its output here), then
``.venv/bin/pytest tests/rendering/filling/test_actualtext.py``.
"""

from __future__ import annotations

Ranges = tuple[tuple[int, int], ...]

# Measured on TeX Live 2022/Debian (pdfTeX 3.141592653-2.6-1.40.24, lmodern 2.005-1,
# glyphtounicode.tex of 2022), poppler 22.12.0's pdftotext, with the resume-classic preamble.
COMPOSED_RANGES: Ranges = (
    (0x00B2, 0x00B3), (0x00B9, 0x00B9), (0x0110, 0x0110), (0x0122, 0x0123), (0x0129, 0x0129),
    (0x012B, 0x012B), (0x012D, 0x012F), (0x0135, 0x0137), (0x013B, 0x013C), (0x0145, 0x0146),
    (0x0156, 0x0157), (0x0172, 0x0173), (0x01C4, 0x01CC), (0x01D0, 0x01D0), (0x01EA, 0x01EB),
    (0x01F0, 0x01F0), (0x0218, 0x021B), (0x02C6, 0x02C6), (0x02DB, 0x02DC), (0x0E3F, 0x0E3F),
    (0x1E0D, 0x1E0D), (0x1E25, 0x1E25), (0x1E37, 0x1E37), (0x1E43, 0x1E43), (0x1E47, 0x1E47),
    (0x1E5B, 0x1E5B), (0x1E63, 0x1E63), (0x1E6D, 0x1E6D), (0x1E9E, 0x1E9E), (0x2010, 0x2012),
    (0x2015, 0x2015), (0x2026, 0x2026), (0x2031, 0x2031), (0x204E, 0x204E), (0x2052, 0x2052),
    (0x20A6, 0x20A6), (0x20B1, 0x20B1), (0x2117, 0x2117), (0x211E, 0x211E), (0x2120, 0x2120),
    (0x2127, 0x2127), (0x2422, 0x2422), (0x25EF, 0x25EF), (0x27E8, 0x27E9), (0xFB00, 0xFB06),
)  # fmt: skip

# The same for the Cyrillic (T2A) and Greek (LGR) fonts of the fast path (rendering.filling.
# _fontenc), measured the same way (upright, bold, italic, small caps; pdftotext after NFC):
# capitals with a Greek accent or breathing (set as a separate accent glyph before the letter),
# iota subscripts, and the Cyrillic letters whose glyphs are named as Latin ones (U+0406, U+0456,
# U+0408, U+0458).
CYRILLIC_GREEK_COMPOSED_RANGES: Ranges = (
    (0x037A, 0x037A), (0x0386, 0x0386), (0x0388, 0x038A), (0x038C, 0x038C), (0x038E, 0x038F),
    (0x0406, 0x0406), (0x0408, 0x0408), (0x0456, 0x0456), (0x0458, 0x0458), (0x1F08, 0x1F0F),
    (0x1F18, 0x1F1D), (0x1F28, 0x1F2F), (0x1F38, 0x1F3F), (0x1F48, 0x1F4D), (0x1F59, 0x1F59),
    (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D), (0x1F5F, 0x1F5F), (0x1F68, 0x1F6F), (0x1F80, 0x1FAF),
    (0x1FB2, 0x1FB2), (0x1FB4, 0x1FB4), (0x1FB7, 0x1FB7), (0x1FBA, 0x1FBE), (0x1FC2, 0x1FC2),
    (0x1FC4, 0x1FC4), (0x1FC7, 0x1FCC), (0x1FDA, 0x1FDB), (0x1FEA, 0x1FEC), (0x1FF2, 0x1FF2),
    (0x1FF4, 0x1FF4), (0x1FF7, 0x1FFD),
)  # fmt: skip

BEGIN_MARK = "% texrender exact text: begin"
END_MARK = "% texrender exact text: end"

_MACROS = r"""\makeatletter
% #1: the character's code point in hex, #2: what sets it. Marked content in the page stream
% (direct: no new text object), nothing in math or in PDF strings (bookmarks, metadata). An
% extractor puts the text where the span's first glyph starts and its last glyph ends: a
% zero-width glyph (the compound-word mark) on either side makes that the whole character,
% on its baseline, whatever order and height its accent and letter were set in.
\def\trActualText#1#2{\ifmmode#2\else\leavevmode
  \pdfliteral direct{/Span<</ActualText<FEFF#1>>>BDC}\textcompwordmark#2\textcompwordmark
  \pdfliteral direct{EMC}\fi}
% Wrap the utf8 definition inputenc has for the character #2 (U+#1).
\def\trExact#1#2{%
  \expandafter\let\csname trOrig#1\expandafter\endcsname\csname u8:\detokenize{#2}\endcsname
  \DeclareUnicodeCharacter{#1}{\trActualText{#1}{\csname trOrig#1\endcsname}}}
\pdfstringdefDisableCommands{\def\trActualText#1#2{#2}}
\makeatother
"""


def _code_points(ranges: Ranges) -> list[int]:
    return [point for first, last in ranges for point in range(first, last + 1)]


def actual_text_tex(ranges: Ranges = COMPOSED_RANGES) -> str:
    """The preamble lines that give each character of ``ranges`` its ``/ActualText``: after
    ``inputenc`` and ``hyperref`` on the pdfLaTeX path (it has no use on the Unicode path,
    whose fonts have a glyph for each character)."""
    lines = [BEGIN_MARK, _MACROS.rstrip("\n")]
    lines += [rf"\trExact{{{point:04X}}}{{{chr(point)}}}" for point in _code_points(ranges)]
    lines.append(END_MARK)
    return "\n".join(lines) + "\n"
