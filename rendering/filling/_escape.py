"""Turn arbitrary text into TeX source that typesets exactly that text.

Escaping is total: every character that TeX gives a meaning (the ten specials, brackets that a
preceding ``\\\\`` would read as an optional argument, ligature pairs such as ``--`` or ``<<``,
quotes that T1 fonts curl, control characters and NUL) is rewritten, so data can never become
markup. Raw TeX is only ever produced by code in this package or by a template's explicit
``raw_tex`` filter (see :mod:`rendering.filling._templating`).

Long values are split into source lines joined by ``%`` + newline (a comment that swallows the
line end), because TeX refuses input lines longer than its buffer.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from ._fontenc import cyrillic_greek_runs
from ._unicode import mark_bidi, unicode_script

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
    # T1 fonts print ' and ` as curly quotes, and the Unicode path's fonts (TeX ligatures)
    # ' ` and " too; these keep the character the user typed, on either path.
    "'": r"\textquotesingle{}",
    "`": r"\textasciigrave{}",
    '"': r"\textquotedbl{}",
    "\t": " ",
    "\u00ad": "",  # soft hyphen: invisible, and pdflatex's utf8 setup rejects it
    "\u2028": "\n",
    "\u2029": "\n",
}

# Control characters (C0 except tab/newline, DEL, C1) cannot be typeset: they are dropped. So
# are lone surrogates (JSON's "\ud800" decodes to one): they are not characters and cannot even
# be written to the UTF-8 source file.
_CONTROL = {c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}
_CONTROL.update({c: None for c in range(0x80, 0xA0)})
_SURROGATES = {c: None for c in range(0xD800, 0xE000)}
_TABLE = str.maketrans({**_TEXT_ESCAPES, **{chr(c): None for c in (*_CONTROL, *_SURROGATES)}})
# The same characters found by a regular expression: most values hold none or a few of them,
# and a substitution at each is several times cheaper than `str.translate`, which takes the
# slow path (a dict look-up per character) as soon as one replacement is longer than one
# character.
_SPECIAL = re.compile("[" + "".join(re.escape(chr(point)) for point in sorted(_TABLE)) + "]")

# In T1 fonts `--`, `---`, `<<`, `>>` and `,,` are ligatures; `{}` between the pair breaks them.
_LIGATURE_PAIR = re.compile(r"([-<>,])(?=\1)")
_LINE_BREAKS = re.compile(r"\s*\n\s*")
# A control sequence in escaped text: a control word with the `{}` that ends it, or a symbol.
_CONTROL_SEQUENCE = re.compile(r"\\(?:[A-Za-z]+(?:\{\})?|.)", re.DOTALL)
_CHUNK_CHARS = 512


def escape_latex(text: str) -> str:
    """Return TeX source that prints ``text`` literally in paragraph text.

    Line breaks inside the text become ``\\newline{}`` (runs of them collapse into one, leading
    and trailing ones are dropped); everything else keeps its characters.
    """
    # NFC first: "e" + combining acute becomes the "é" that the fonts can set.
    text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip("\n")
    marked = _marked(text)
    if marked is not None:
        return _lines(marked)
    escaped = _escape_piece(text)
    if "\n" in escaped:
        escaped = _LINE_BREAKS.sub(r"\\newline{}", escaped.strip())
    return _lines(escaped)


def _lines(escaped: str) -> str:
    """Escaped source in lines joined by ``%``-newline (:func:`_chunks`); most values are
    one line."""
    return escaped if len(escaped) <= _CHUNK_CHARS else "%\n".join(_chunks(escaped))


def _escape_piece(text: str) -> str:
    escaped = _SPECIAL.sub(_special, text)
    # Looking for the pairs first is cheaper than the expression's scan, and they are rare.
    if "--" in escaped or "<<" in escaped or ">>" in escaped or ",," in escaped:
        escaped = _LIGATURE_PAIR.sub(r"\1{}", escaped)
    if escaped.isascii() or not cyrillic_greek_runs():
        return escaped
    return _wrap_script_runs(escaped)


def _special(match: re.Match[str]) -> str:
    """What one character of :data:`_SPECIAL` becomes (nothing, for those that are dropped)."""
    return _TABLE[ord(match.group())] or ""


# On the fast path a Cyrillic or Greek run is set in the T2A or LGR encoding (\trCyr and
# \trGrk, defined by ._fontenc), one font switch per run so that its letters
# keep their kerning. A Cyrillic run takes in the spaces, digits and punctuation between its
# words (T2A has them where T1 has them); a Greek run only spaces (LGR reads ASCII punctuation
# as accents and breathings).
_CYRILLIC = "\u0400-\u052f"
_GREEK = "\u0370-\u03ff\u1f00-\u1fff"
_CYRILLIC_OR_GREEK = re.compile(f"[{_CYRILLIC}{_GREEK}]")
_SCRIPT_RUN = re.compile(
    rf"[{_CYRILLIC}]+(?:[ ,.;:()0-9\-]+[{_CYRILLIC}]+)*|[{_GREEK}]+(?: +[{_GREEK}]+)*"
)


def _wrap_script_runs(escaped: str) -> str:
    if _CYRILLIC_OR_GREEK.search(escaped) is None:  # a quarter of what the runs' search costs
        return escaped

    def wrap(match: re.Match[str]) -> str:
        command = r"\trCyr" if "\u0400" <= match.group(0)[0] <= "\u052f" else r"\trGrk"
        return f"{command}{{{match.group(0)}}}"

    return _SCRIPT_RUN.sub(wrap, escaped)


def _marked(text: str) -> str | None:
    """On the Unicode path, each line of ``text`` escaped with its direction and extraction
    markup (:mod:`._bidi`); None on the fast path."""
    if unicode_script() is None:
        return None
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    lines = _LINE_BREAKS.split(text.strip()) if "\n" in text else [text]
    marked = [mark_bidi(line, _escape_piece) for line in lines]
    if any(line is None for line in marked):
        return None
    return r"\newline{}".join(line for line in marked if line is not None)


def _chunks(escaped: str) -> list[str]:
    """Split escaped source into lines of about ``_CHUNK_CHARS`` at points where a
    ``%``-newline changes nothing: not inside a control sequence, and not in front of a space
    that follows a non-space (TeX skips spaces at the start of a line; after a space the one
    space the run stands for is already there).

    The split works on the escaped text, so it never has to avoid whole runs of input (a long
    run of ``-``, or of one-letter words, or of line breaks): every line stays short.
    """
    chunks: list[str] = []
    start = 0
    while len(escaped) - start > _CHUNK_CHARS:
        cut = start + _CHUNK_CHARS
        # Every backslash in escaped text starts a control sequence; never cut inside one.
        backslash = escaped.rfind("\\", start, cut)
        if backslash >= 0:
            sequence = _CONTROL_SEQUENCE.match(escaped, backslash)
            assert sequence is not None
            cut = max(cut, sequence.end())
        if cut < len(escaped) and escaped[cut] == " " and escaped[cut - 1] != " ":
            cut += 1
        if cut >= len(escaped):
            break
        chunks.append(escaped[start:cut])
        start = cut
    chunks.append(escaped[start:])
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
# Found by an expression, as in text (see _SPECIAL).
_URL_SPECIAL = re.compile("[" + re.escape("".join(_URL_ESCAPES)) + "]")
# Anything outside printable ASCII is percent-encoded as UTF-8, spaces included.
_URL_UNSAFE = re.compile(r"[^\x21-\x7e]+")
# What is dropped first: the control characters (Unicode's category Cc: C0, DEL and C1) and
# lone surrogates (Cs), found by one expression rather than asked of each character.
_URL_DROPPED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]+")


def escape_url(url: str) -> str:
    """Return TeX source for ``url`` as the target of ``\\href``, character for character."""
    url = url.strip()
    if not (url.isascii() and url.isprintable()) or " " in url:  # else all is \x21-\x7e
        url = _URL_DROPPED.sub("", url)
        url = _URL_UNSAFE.sub(lambda m: quote(m.group(0), safe=""), url)
    return _URL_SPECIAL.sub(_url_special, url)


def _url_special(match: re.Match[str]) -> str:
    return _URL_ESCAPES[match.group()]


TEX_HELPERS = r"""% texrender helpers: category-12 copies of TeX specials, for URLs.
\def\trGobble#1{}
\edef\trPercent{\expandafter\trGobble\string\%}
\edef\trHash{\expandafter\trGobble\string\#}
\edef\trAmp{\expandafter\trGobble\string\&}
\edef\trDollar{\expandafter\trGobble\string\$}
\edef\trUnderscore{\expandafter\trGobble\string\_}
\edef\trLBrace{\expandafter\trGobble\string\{}
\edef\trRBrace{\expandafter\trGobble\string\}}
\edef\trBackslash{\expandafter\trGobble\string\\}
\edef\trTilde{\string~}
\edef\trCaret{\string^}
"""
