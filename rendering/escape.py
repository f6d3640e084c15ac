"""Turn arbitrary text into TeX source that typesets exactly that text.

Escaping is total: every character that TeX gives a meaning (the ten specials, brackets that a
preceding ``\\\\`` would read as an optional argument, ligature pairs such as ``--`` or ``<<``,
quotes that T1 fonts curl, control characters and NUL) is rewritten, so data can never become
markup. Raw TeX is only ever produced by code in this package or by a template's explicit
``raw_tex`` filter (see :mod:`rendering.environment`).

Long values are split into source lines joined by ``%`` + newline (a comment that swallows the
line end), because TeX refuses input lines longer than its buffer.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# Characters TeX treats specially, and the text-mode command that prints each one literally.
_TEXT_ESCAPES: dict[str, str] = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "%": r"\%",
    # Not special, but harmful: `[` after `\\` or `\item` is read as an optional argument.
    "[": "{[}",
    "]": "{]}",
    # T1 fonts print ' and ` as curly quotes; these keep the character the user typed.
    "'": r"\textquotesingle{}",
    "`": r"\textasciigrave{}",
    "\t": " ",
    "\u00ad": "",  # soft hyphen: invisible, and pdflatex's utf8 setup rejects it
    "\u2028": "\n",
    "\u2029": "\n",
}

# Control characters (C0 except tab/newline, DEL, C1) cannot be typeset: they are dropped.
_CONTROL = {c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}
_CONTROL.update({c: None for c in range(0x80, 0xA0)})
_TABLE = str.maketrans({**_TEXT_ESCAPES, **{chr(c): None for c in _CONTROL}})

# In T1 fonts `--`, `---`, `<<`, `>>` and `,,` are ligatures; `{}` between the pair breaks them.
_LIGATURE_PAIR = re.compile(r"([-<>,])(?=\1)")
_LINE_BREAKS = re.compile(r"\s*\n\s*")
_CHUNK_CHARS = 512
_LIGATURE_CHARS = frozenset("-<>,")


def escape_latex(text: str) -> str:
    """Return TeX source that prints ``text`` literally in paragraph text.

    Line breaks inside the text become ``\\newline{}`` (runs of them collapse into one, leading
    and trailing ones are dropped); everything else keeps its characters.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) <= _CHUNK_CHARS:
        return _escape_chunk(text.strip("\n"))
    return "%\n".join(_escape_chunk(chunk) for chunk in _chunks(text.strip("\n")))


def _escape_chunk(text: str) -> str:
    escaped = _LIGATURE_PAIR.sub(r"\1{}", text.translate(_TABLE))
    if "\n" in escaped:
        escaped = _LINE_BREAKS.sub(r"\\newline{}", escaped.strip())
    return escaped


def _chunks(text: str) -> list[str]:
    """Split at points where a ``%``-newline changes nothing: not before white space (TeX skips
    leading spaces on a line) and not inside a ligature pair."""
    chunks: list[str] = []
    start = 0
    while len(text) - start > _CHUNK_CHARS:
        cut = start + _CHUNK_CHARS
        while cut < len(text) and (
            text[cut].isspace() or text[cut - 1] in _LIGATURE_CHARS or text[cut - 1].isspace()
        ):
            cut += 1
        chunks.append(text[start:cut])
        start = cut
    chunks.append(text[start:])
    return chunks


# Inside \href's URL argument the characters must reach the PDF unchanged, so specials expand to
# category-12 copies defined by TEX_HELPERS below (a macro name ends at the following space).
_URL_ESCAPES: dict[str, str] = {
    "\\": r"\trBackslash ",
    "{": r"\trLBrace ",
    "}": r"\trRBrace ",
    "$": r"\trDollar ",
    "&": r"\trAmp ",
    "#": r"\trHash ",
    "^": r"\trCaret ",
    "_": r"\trUnderscore ",
    "~": r"\trTilde ",
    "%": r"\trPercent ",
}
_URL_TABLE = str.maketrans(_URL_ESCAPES)
# Anything outside printable ASCII is percent-encoded as UTF-8, spaces included.
_URL_UNSAFE = re.compile(r"[^\x21-\x7e]+")


def escape_url(url: str) -> str:
    """Return TeX source for ``url`` as the target of ``\\href``, character for character."""
    url = "".join(ch for ch in url.strip() if unicodedata.category(ch) != "Cc")
    url = _URL_UNSAFE.sub(lambda m: quote(m.group(0), safe=""), url)
    return url.translate(_URL_TABLE)


TEX_HELPERS = r"""% texrender helpers: category-12 copies of TeX specials, for URLs.
\begingroup
\catcode`\%=12 \catcode`\#=12 \catcode`\~=12 \catcode`\_=12
\catcode`\^=12 \catcode`\&=12 \catcode`\$=12
\gdef\trPercent{%}\gdef\trHash{#}\gdef\trTilde{~}\gdef\trUnderscore{_}
\gdef\trCaret{^}\gdef\trAmp{&}\gdef\trDollar{$}
\endgroup
\begingroup\catcode`\|=0 \catcode`\\=12 |gdef|trBackslash{\}|endgroup
\edef\trLBrace{\string{}\edef\trRBrace{\string}}
"""
