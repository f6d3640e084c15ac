"""Escaping: table-driven unit tests of ``escape_latex`` / ``escape_url``, then hostile strings
typeset by real TeX through the ``echo`` template and read back out of the PDF."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from rendering.catalogue import Catalogue
from rendering.filling._escape import _TABLE, _escape_piece, escape_latex, escape_url
from rendering.typesetting import PdfLatexEngine
from tests.conftest import TEST_TEMPLATES_DIR, pdf_text, squash

# ---------------------------------------------------------------------------------------------
# escape_latex: one character at a time

TEX_SPECIALS = [
    ("\\", r"\textbackslash{}"),
    ("{", r"\{"),
    ("}", r"\}"),
    ("$", r"\$"),
    ("&", r"\&"),
    ("#", r"\#"),
    ("^", r"\textasciicircum{}"),
    ("_", r"\_"),
    ("~", r"\textasciitilde{}"),
    ("%", r"\%"),
]


@pytest.mark.parametrize(("char", "escaped"), TEX_SPECIALS, ids=[c for c, _ in TEX_SPECIALS])
def test_each_tex_special_is_escaped(char: str, escaped: str) -> None:
    assert escape_latex(char) == escaped
    assert escape_latex(f"a{char}b") == f"a{escaped}b"
    assert escape_latex(char * 3) == escaped * 3


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        # `[` right after `\\` or `\item` would be read as an optional argument.
        ("[", "{[}"),
        ("]", "{]}"),
        ("[3cm]", "{[}3cm{]}"),
        # T1 fonts curl ' and `, the Unicode path's fonts " too; the user typed straight ones.
        ("'", r"\textquotesingle{}"),
        ("`", r"\textasciigrave{}"),
        ("''", r"\textquotesingle{}\textquotesingle{}"),
        ("``", r"\textasciigrave{}\textasciigrave{}"),
        ("!`", r"!\textasciigrave{}"),  # T1 ligature for an inverted exclamation mark
        ("?`", r"?\textasciigrave{}"),
        ('"', r"\textquotedbl{}"),
    ],
)
def test_brackets_and_quotes(text: str, escaped: str) -> None:
    assert escape_latex(text) == escaped


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("--", "-{}-"),
        ("---", "-{}-{}-"),
        ("<<", "<{}<"),
        (">>", ">{}>"),
        (",,", ",{},"),
        ("a -- b", "a -{}- b"),
        ("<<<<", "<{}<{}<{}<"),
        # Single characters and mixed pairs are not ligatures: left alone.
        ("-", "-"),
        ("a-b", "a-b"),
        ("<>", "<>"),
        ("-<,>", "-<,>"),
        ("- - -", "- - -"),
    ],
)
def test_ligature_pairs_are_broken(text: str, escaped: str) -> None:
    assert escape_latex(text) == escaped


@pytest.mark.parametrize(
    "char",
    [
        "\x00",
        "\x01",
        "\x07",
        "\x08",
        "\x0b",
        "\x0c",
        "\x1b",
        "\x1f",
        "\x7f",
        "\x80",
        "\x85",
        "\x9f",
        "\u00ad",  # soft hyphen: invisible, and inputenc rejects it
        chr(0xD800),  # lone surrogates: JSON can carry them, UTF-8 cannot
        chr(0xDFFF),
    ],
    ids=repr,
)
def test_unprintable_characters_are_dropped(char: str) -> None:
    assert escape_latex(f"a{char}b") == "ab"
    assert escape_latex(char) == ""


def test_dropping_a_character_cannot_create_a_ligature_pair() -> None:
    assert escape_latex("-\x00-") == "-{}-"
    assert escape_latex("<\u00ad<") == "<{}<"


def test_a_url_loses_exactly_its_control_characters_and_surrogates() -> None:
    dropped = [chr(p) for p in range(0x10000) if escape_url(f"a{chr(p)}b") == "ab"]
    assert dropped == [
        chr(p) for p in range(0x10000) if unicodedata.category(chr(p)) in ("Cc", "Cs")
    ]


def test_every_character_of_the_plane_is_escaped_as_the_table_says() -> None:
    # The escaper finds its characters with a regular expression, not `str.translate`: the
    # two must agree on every character (each alone, so that no ligature pair forms).
    characters = [chr(point) for point in range(0x10000)]
    assert [_escape_piece(c) for c in characters] == [c.translate(_TABLE) for c in characters]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello, world!",
        "1 + 1 = 2 (ok)? yes; a/b: c|d @ e * f < g > h",
        "é ü ł ñ ø ß ő č – — „quoted“ « »",  # noqa: RUF001
        "a\u00a0b",  # no-break space: inputenc knows it
    ],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert escape_latex(text) == text


def test_tab_becomes_a_space() -> None:
    assert escape_latex("a\tb") == "a b"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a\nb", r"a\newline{}b"),
        ("a\n\n\nb", r"a\newline{}b"),  # runs collapse into one break
        ("a  \n \n\t b", r"a\newline{}b"),  # with the white space around them
        ("\n\na\nb\n\n", r"a\newline{}b"),  # leading and trailing breaks are dropped
        ("a\r\nb", r"a\newline{}b"),  # CRLF is one break, not two
        ("a\r\n\r\nb", r"a\newline{}b"),
        ("a\rb", r"a\newline{}b"),  # old Mac line end
        ("a\u2028b", r"a\newline{}b"),  # Unicode line and paragraph separators
        ("a\u2029b", r"a\newline{}b"),
        ("\n", ""),
        ("\r\n\r\n", ""),
        ("\\\n[x]", r"\textbackslash{}\newline{}{[}x{]}"),
    ],
)
def test_newlines(text: str, escaped: str) -> None:
    assert escape_latex(text) == escaped


# ---------------------------------------------------------------------------------------------
# escape_latex: long values are split into source lines joined by `%` + newline


def assert_safe_chunks(escaped: str) -> list[str]:
    """Check that every line break in ``escaped`` is a ``%``-newline that changes nothing."""
    lines = escaped.split("\n")
    for line, following in itertools.pairwise(lines):
        assert line.endswith("%"), line[-40:]
        body = line[:-1]
        # Not inside a control sequence: no lone `\`, no control word cut from its `{}`.
        assert not re.search(r"\\[A-Za-z]*$", body), body[-40:]
        # TeX skips spaces at the start of a line: a line may start with one only if the
        # previous line already ends with the space the run stands for.
        if following.startswith(" "):
            assert body.endswith(" "), (body[-40:], following[:40])
    return lines


def test_short_values_stay_on_one_line() -> None:
    assert "\n" not in escape_latex("word " * 100)
    assert "\n" not in escape_latex("x" * 512)


def test_long_values_are_joined_by_percent_newline() -> None:
    text = "lorem ipsum dolor sit amet " * 40  # 1080 characters
    escaped = escape_latex(text)
    lines = assert_safe_chunks(escaped)
    assert len(lines) >= 2
    assert escaped.replace("%\n", "") == text


N = 100_000


@pytest.mark.parametrize(
    ("text", "unchunked"),
    [
        pytest.param(("lorem ipsum dolor " * N)[:N], ("lorem ipsum dolor " * N)[:N], id="words"),
        pytest.param("a b " * (N // 4), "a b " * (N // 4), id="one-letter-words"),
        pytest.param(" " * N, " " * N, id="spaces"),
        pytest.param("x" * N, "x" * N, id="one-long-word"),
        pytest.param("x\n" * (N // 2), r"x\newline{}" * (N // 2 - 1) + "x", id="newlines"),
        pytest.param("-" * N, "-{}" * (N - 1) + "-", id="hyphens"),
        pytest.param("<" * N, "<{}" * (N - 1) + "<", id="guillemets"),
        pytest.param("\\ " * (N // 2), r"\textbackslash{} " * (N // 2), id="backslashes"),
        pytest.param("^" * N, r"\textasciicircum{}" * N, id="carets"),
        pytest.param("}" * N, r"\}" * N, id="braces"),
        pytest.param("%_" * (N // 2), r"\%\_" * (N // 2), id="control-symbols"),
        pytest.param("[x] " * (N // 4), "{[}x{]} " * (N // 4), id="brackets"),
    ],
)
def test_100_kb_values_are_split_into_short_safe_lines(text: str, unchunked: str) -> None:
    escaped = escape_latex(text)
    lines = assert_safe_chunks(escaped)
    assert len(lines) > 1
    # TeX reads at most buf_size (200 000) characters per line; stay far below that.
    assert max(len(line) for line in lines) <= 2000
    assert escaped.replace("%\n", "") == unchunked


# ---------------------------------------------------------------------------------------------
# escape_url

URL_SPECIALS = [
    ("\\", r"\trBackslash "),
    ("{", r"\trLBrace "),
    ("}", r"\trRBrace "),
    ("$", r"\trDollar "),
    ("&", r"\trAmp "),
    ("#", r"\trHash "),
    ("^", r"\trCaret "),
    ("_", r"\trUnderscore "),
    ("~", r"\trTilde "),
    ("%", r"\trPercent "),
]


@pytest.mark.parametrize(("char", "macro"), URL_SPECIALS, ids=[c for c, _ in URL_SPECIALS])
def test_url_specials_become_category_12_macros(char: str, macro: str) -> None:
    assert escape_url(f"https://x.org/a{char}b") == f"https://x.org/a{macro}b"


@pytest.mark.parametrize(
    ("url", "escaped"),
    [
        ("https://example.com/a b", r"https://example.com/a\trPercent 20b"),
        ("https://example.com/é", r"https://example.com/\trPercent C3\trPercent A9"),
        (
            "https://例え.jp/",
            r"https://\trPercent E4\trPercent BE\trPercent 8B"
            r"\trPercent E3\trPercent 81\trPercent 88.jp/",
        ),
        ("https://example.com/a%20b", r"https://example.com/a\trPercent 20b"),
        (
            "https://x.org/p?q=a&r=b#frag_1~2",
            r"https://x.org/p?q=a\trAmp r=b\trHash frag\trUnderscore 1\trTilde 2",
        ),
        # Printable ASCII that is not special to TeX passes through.
        ("https://x.org/a-b.c/d?e=f;g,h+i@j!k*l'm(n)o[p]q", None),
        # Surrounding white space is trimmed; control characters and lone surrogates dropped.
        ("  https://x.org/\t", "https://x.org/"),
        ("https://x.org/\x00a\x1fb\x7fc", "https://x.org/abc"),
        ("https://x.org/\ud800a", "https://x.org/a"),
    ],
)
def test_escape_url(url: str, escaped: str | None) -> None:
    assert escape_url(url) == (url if escaped is None else escaped)


# ---------------------------------------------------------------------------------------------
# Real TeX: hostile strings go in, the same characters come out of the PDF

ALL_SPECIALS = "".join(c for c, _ in TEX_SPECIALS)
WORDS_100_KB = ("lorem ipsum dolor " * 6000)[:100_000]

# (id, text sent, text expected back from the PDF; None = the same as sent)
HOSTILE: list[tuple[str, str, str | None]] = [
    *[(f"special-{c}", c, None) for c in ALL_SPECIALS],
    ("specials-together", ALL_SPECIALS, None),
    ("specials-spaced", " ".join(ALL_SPECIALS), None),
    ("specials-repeated", ALL_SPECIALS * 5, None),
    ("specials-in-prose", r"50% of $10 & #1 at ~/a_b^2 {x} \\ y", None),
    ("input-passwd", r"\input{/etc/passwd}", None),
    ("write18", r"\immediate\write18{id}", None),
    ("catcode", r"\catcode`\{=12", None),
    ("caret-notation", "^^5c", None),
    ("caret-notation-input", "^^5cinput{/etc/passwd}", None),
    ("double-backslash-skip", r"\\[3cm]", None),
    ("double-backslash-newline-bracket", "\\\\\n[x]", None),
    ("newline-bracket", "line\n[3cm] next", None),
    ("newline-star", "line\n*[3cm] next", None),
    # One "}" * 3000 is a single 3000-character word with no break point: it runs off the
    # right edge of the page and pdftotext cannot see it. With spaces TeX can break the line.
    ("closing-brace-flood", "} " * 3000, None),
    ("opening-brace-flood", "{ " * 3000, None),
    ("brace-groups", "{{{{ }}}} }}}} {{{{", None),
    ("open-braces", "{{{{", None),
    ("display-math", "$$x$$", None),
    ("comment", "%comment", None),
    ("macro-parameters", "#1 ##2", None),
    ("tildes", "~~~", None),
    ("accents", "é ü ł ñ ø ß ő č", None),
    ("quotes", "'single' \"double\" `back`", None),
    ("dashes", "--- -- -", None),
    ("guillemets", "<<guillemets>>", None),
    ("low-quotes", ",,low", None),
    ("inverted-marks", "!` ?`", None),
    # TeX's ellipsis is three periods.
    ("typographic", "– — „“ ”‘ ’ « » …", "– — „“ ”‘ ’ « » ..."),  # noqa: RUF001
    ("control-characters", "a\x00b\x01c\x07d\x1be\x7ff\x85g\x9fh", "abcdefgh"),
    ("lone-surrogate", "a\ud800b\udfffc", "abc"),
    ("soft-hyphen", "soft\u00adhyphen", "softhyphen"),
    ("newlines", "one\ntwo\r\nthree\n\n\nfour", "one two three four"),
    ("jinja-syntax", "((( text ))) ((* if 1 *)) ((= c =)) {{ x }} {% y %}", None),
    ("words-100-kb", WORDS_100_KB, None),
    # 566 kB of escaped source before lines were split on the escaped text: TeX stopped with
    # "Unable to read an entire line".
    ("backslash-space-66-kb", "\\ " * 33_333, None),
]


@pytest.fixture(scope="module")
def echo_catalogue() -> Catalogue:
    return Catalogue.load([TEST_TEMPLATES_DIR])


@pytest.fixture
def typeset(echo_catalogue: Catalogue, work_dir: Path) -> Callable[[str], Awaitable[bytes]]:
    """Fill the echo template with ``text`` and typeset it with the real sandboxed engine.

    This goes below the render service on purpose: some of these texts are larger than the
    service's size limits (rendering/reading/_sizes.py) let through, and escaping must hold for them
    too.
    """
    template = echo_catalogue["echo"]
    engine = PdfLatexEngine(work_root=work_dir)

    async def run(text: str) -> bytes:
        compiled = await engine.compile(template.to_tex({"text": text}), timeout_s=30)
        return compiled.pdf

    return run


def between_markers(text: str) -> str:
    assert "BEGIN" in text, text[:500]
    assert "END" in text, text[:500]
    return text[text.index("BEGIN") + len("BEGIN") : text.rindex("END")]


@pytest.mark.tex
@pytest.mark.usefixtures("no_leftovers")
@pytest.mark.parametrize(
    ("text", "expected"),
    [pytest.param(text, expected, id=name) for name, text, expected in HOSTILE],
)
async def test_hostile_text_comes_back_out_of_the_pdf(
    typeset: Callable[[str], Awaitable[bytes]], text: str, expected: str | None
) -> None:
    extracted = pdf_text(await typeset(text))
    assert squash(between_markers(extracted)) == squash(text if expected is None else expected)
    assert "root:" not in extracted  # nothing was read from /etc/passwd
