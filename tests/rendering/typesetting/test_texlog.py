"""Reading the first error out of a TeX log. The excerpts are from real pdflatex runs (TeX Live,
``max_print_line=10000`` as the runner sets it), trimmed to the lines around the error."""

from __future__ import annotations

import pytest

from rendering.errors import TexDiagnostic
from rendering.typesetting._texlog import layout_report, parse_tex_log, unsupported_character


def lines(*text: str) -> str:
    """Log lines joined with newlines (TeX's own trailing spaces kept, visibly)."""
    return "".join(line + "\n" for line in text)


PREAMBLE = lines(
    "This is pdfTeX, Version 3.141592653-2.6-1.40.24 (TeX Live 2022/Debian) "
    "(preloaded format=pdflatex 2023.1.1)  1 JAN 2024 12:00",
    "entering extended mode",
    r" restricted \write18 enabled.",
    " %&-line parsing enabled.",
    "**doc.tex",
    "(./doc.tex",
    "LaTeX2e <2021-11-15> patch level 1",
    "L3 programming layer <2022-02-24>",
    "(/usr/share/texlive/texmf-dist/tex/latex/base/article.cls",
    "Document Class: article 2021/10/04 v1.4n Standard LaTeX document class",
    "(/usr/share/texlive/texmf-dist/tex/latex/base/size10.clo",
    "File: size10.clo 2021/10/04 v1.4n Standard LaTeX file (size option)",
    ")",
    r"\c@part=\count185",
    r"\bibindent=\dimen140",
    ")",
)

MEMORY_AND_FATAL = lines(
    "Here is how much of TeX's memory you used:",
    " 418 strings out of 478051",
    " 8051 string characters out of 5840942",
    " 1849330 words of memory out of 5000000",
    " 34i,0n,38p,138b,36s stack positions out of 10000i,1000n,20000p,200000b,200000s",
    "",
    "!  ==> Fatal error occurred, no output PDF file produced!",
)

UNDEFINED_CONTROL_SEQUENCE = (
    PREAMBLE
    + lines(
        "LaTeX Font Info:    Checking defaults for U/cmr/m/n on input line 2.",
        "LaTeX Font Info:    ... okay on input line 2.",
        "! Undefined control sequence.",
        r"l.4 Hello \foo",
        "               bar baz ",
    )
    + MEMORY_AND_FATAL
)

FILE_NOT_FOUND = (
    PREAMBLE
    + lines(
        "",
        "! LaTeX Error: File `nonexistentpkgxyz.sty' not found.",
        "",
        "Type X to quit or <RETURN> to proceed,",
        "or enter new name. (Default extension: sty)",
        "",
        "Enter file name: ",
        "! Emergency stop.",
        "<read *> ",
        "         ",
        r"l.3 \begin",
        "          {document}^^M ",
    )
    + MEMORY_AND_FATAL
)

UNICODE_CHARACTER = (
    PREAMBLE
    + lines(
        "LaTeX Font Info:    Checking defaults for U/cmr/m/n on input line 3.",
        "LaTeX Font Info:    ... okay on input line 3.",
        "",
        "! LaTeX Error: Unicode character ★ (U+2605)",
        "               not set up for use with LaTeX.",
        "",
        "See the LaTeX manual or LaTeX Companion for explanation.",
        "Type  H <return>  for immediate help.",
        " ..." + " " * 46,
        " " * 50,
        "l.12 A star ★",
        "               here ",
    )
    + MEMORY_AND_FATAL
)

# `\input{/etc/passwd}` with openin_any=p: refused, and reported as a missing file.
INPUT_REFUSED = (
    PREAMBLE
    + lines(
        "! LaTeX Error: File `/etc/passwd.tex' not found.",
        "",
        "Type X to quit or <RETURN> to proceed,",
        "or enter new name. (Default extension: tex)",
        "",
        "Enter file name: ",
        "! Emergency stop.",
        "<read *> ",
        "         ",
        r"l.3 \input{/etc/passwd}",
        "                       ^^M ",
    )
    + MEMORY_AND_FATAL
)

# A document without \end{document}: TeX runs out of input. No `l.N` line.
NO_END = (
    PREAMBLE
    + lines(
        ")",
        "! Emergency stop.",
        "<*> doc.tex",
        "            ",
    )
    + MEMORY_AND_FATAL
)


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        pytest.param(
            UNDEFINED_CONTROL_SEQUENCE,
            TexDiagnostic("Undefined control sequence.", 4, r"Hello \foo bar baz"),
            id="undefined-control-sequence",
        ),
        pytest.param(
            FILE_NOT_FOUND,
            TexDiagnostic(
                "LaTeX Error: File `nonexistentpkgxyz.sty' not found.", 3, r"\begin {document}"
            ),
            id="file-not-found",
        ),
        pytest.param(
            UNICODE_CHARACTER,
            TexDiagnostic("LaTeX Error: Unicode character ★ (U+2605)", 12, "A star ★ here"),
            id="unicode-character",
        ),
        pytest.param(
            INPUT_REFUSED,
            TexDiagnostic(
                "LaTeX Error: File `/etc/passwd.tex' not found.", 3, r"\input{/etc/passwd}"
            ),
            id="input-refused",
        ),
        pytest.param(
            NO_END, TexDiagnostic("Emergency stop.", None, ""), id="emergency-stop-no-line"
        ),
    ],
)
def test_first_error_with_line_and_context(log: str, expected: TexDiagnostic) -> None:
    assert parse_tex_log(log) == expected


def test_windows_line_ends() -> None:
    log = UNDEFINED_CONTROL_SEQUENCE.replace("\n", "\r\n")
    assert parse_tex_log(log) == TexDiagnostic(
        "Undefined control sequence.", 4, r"Hello \foo bar baz"
    )


def test_only_the_first_error_is_reported() -> None:
    log = (
        "! Missing $ inserted.\n"
        "<inserted text> \n"
        "                $\n"
        "l.7 a_\n"
        "      b\n"
        "! Undefined control sequence.\n"
        "l.9 \\oops\n"
        "\n"
    )
    assert parse_tex_log(log) == TexDiagnostic("Missing $ inserted.", 7, "a_ b")


def test_line_mark_on_the_last_line_of_the_log() -> None:
    log = "! Undefined control sequence.\nl.5 \\oops"
    assert parse_tex_log(log) == TexDiagnostic("Undefined control sequence.", 5, r"\oops")


def test_line_mark_too_far_below_the_error_is_not_used() -> None:
    log = "! Some error.\n" + "filler\n" * 20 + "l.99 too far\nrest\n"
    assert parse_tex_log(log) == TexDiagnostic("Some error.", None, "")


def test_long_context_is_clipped() -> None:
    log = "! Undefined control sequence.\nl.1 " + "x" * 1000 + "\\oops\n" + "y" * 1000 + "\n"
    diagnostic = parse_tex_log(log)
    assert diagnostic.line == 1
    assert len(diagnostic.context) <= 240
    assert diagnostic.context.startswith("xxx")
    assert diagnostic.context.endswith("\u2026")


@pytest.mark.parametrize(
    "log",
    [
        pytest.param(
            PREAMBLE + "*** (job aborted, no legal \\end found)\n\nEmergency stop\n",
            id="emergency-stop",
        ),
        pytest.param(
            PREAMBLE + " ==> Fatal error occurred, no output PDF file produced!\n",
            id="fatal-error",
        ),
    ],
)
def test_fatal_stop_without_an_error_line(log: str) -> None:
    assert parse_tex_log(log) == TexDiagnostic("TeX stopped with a fatal error", None, "")


@pytest.mark.parametrize("log", ["", "\n\n", PREAMBLE], ids=["empty", "blank", "no-error"])
def test_log_without_any_error(log: str) -> None:
    assert parse_tex_log(log) == TexDiagnostic("TeX stopped without reporting an error", None, "")


def test_only_the_fatal_error_line() -> None:
    # A log whose one `!` line is the closing one: that is still better than nothing.
    log = PREAMBLE + "\n!  ==> Fatal error occurred, no output PDF file produced!\n"
    diagnostic = parse_tex_log(log)
    assert diagnostic.message == "==> Fatal error occurred, no output PDF file produced!"
    assert diagnostic.line is None


def test_error_glued_to_the_previous_log_line() -> None:
    # Real tail of a log where one input line was longer than buf_size.
    log = (
        PREAMBLE
        + "LaTeX Font Info:    ... okay on input line 1.! Unable to read an entire "
        + "line---bufsize=200000.\nPlease increase buf_size in texmf.cnf.\n"
    )
    assert "Unable to read an entire line" in parse_tex_log(log).message


# ---------------------------------------------------------------------------------------------
# unsupported_character


def test_unsupported_character_from_a_real_log() -> None:
    assert unsupported_character(parse_tex_log(UNICODE_CHARACTER)) == "★"


@pytest.mark.parametrize(
    ("message", "char"),
    [
        ("LaTeX Error: Unicode character ★ (U+2605)", "★"),
        ("LaTeX Error: Unicode character \U0001f600 (U+1F600)", "\U0001f600"),
        ("LaTeX Error: Unicode character \u200b (U+200B)", "\u200b"),
        ("LaTeX Error: Unicode character \u0301 (U+0301)", "\u0301"),
        # The code point decides, whatever character the log printed next to it.
        ("LaTeX Error: Unicode character ? (U+2605)", "★"),
        ("LaTeX Error: Unicode character \ufffd (U+00e9)", "é"),
    ],
)
def test_unsupported_character(message: str, char: str) -> None:
    assert unsupported_character(TexDiagnostic(message, 3, "")) == char


@pytest.mark.parametrize(
    "message",
    [
        "Undefined control sequence.",
        "LaTeX Error: File `x.sty' not found.",
        "TeX stopped without reporting an error",
        "Unicode character",
    ],
)
def test_other_errors_name_no_character(message: str) -> None:
    assert unsupported_character(TexDiagnostic(message, None, "")) is None


@pytest.mark.parametrize(
    ("line", "fill"),
    [
        ("texrender-last-page: 76.8pt of 768.0pt", 0.1),
        ("texrender-last-page: 0.0pt of 16383.99998pt", None),  # nothing left: a full page
        ("texrender-last-page: 788.9pt of 768.2pt", None),  # a break still pending
        ("a line that says nothing of the kind", None),
    ],
)
def test_the_last_pages_fill(line: str, fill: float | None) -> None:
    log = f"{line}\nOutput written on texput.pdf (4 pages, 129426 bytes).\n"
    report = layout_report(log)
    assert report.pages == 4
    assert report.last_page_fill == (pytest.approx(fill) if fill is not None else None)
