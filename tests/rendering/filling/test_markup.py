"""Inline markup: table-driven cases for each HTML tag and Markdown construct, ordinary text that
must stay as ``escape_latex`` gives it, hostile input, property tests that the output is always
TeX of a known, safe shape, and one real compile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rendering.filling import _markup as markup
from rendering.filling._escape import TEX_HELPERS, escape_latex, escape_url
from rendering.filling._markup import has_markup, markup_budget, markup_to_tex, markup_to_text
from rendering.typesetting import PdfLatexEngine
from tests.conftest import pdf_text, squash

# ---------------------------------------------------------------------------------------------
# What the output may contain, checked by assert_safe_tex

# Control words escape_latex writes.
ESCAPE_WORDS = {
    "textbackslash",
    "textasciicircum",
    "textasciitilde",
    "textquotesingle",
    "textasciigrave",
    "textquotedbl",
    "newline",
}
# ... its control symbols ...
CONTROL_SYMBOLS = set("{}$&#_%")
# ... and the only others allowed: markup's. \begin and \end only for these environments.
ALLOWED_WORDS = ESCAPE_WORDS | {
    "textbf",
    "emph",
    "underline",
    "newline",
    "par",
    "item",
    "begin",
    "end",
    "href",
}
ENVIRONMENTS = {"itemize", "enumerate"}
STYLE_WORDS = {"textbf", "emph", "underline", "href"}
# An \href target as escape_url writes it: printable ASCII but TeX's ten specials, which are
# its category-12 macros from TEX_HELPERS (the only place they may appear).
URL_MACRO = r"\\tr(?:Backslash|LBrace|RBrace|Dollar|Amp|Hash|Caret|Underscore|Tilde|Percent) "
HREF = re.compile(rf"\\href\{{(?:(?![\\{{}}$&#^_~%])[!-~]|{URL_MACRO})*\}}\{{")
TOKEN = re.compile(
    r"\\(?P<env>begin|end)\{(?P<name>[^{}]*)\}|\\(?P<word>[A-Za-z]+)|\\(?P<symbol>.)"
    r"|(?P<brace>[{}])|(?P<text>[^\\{}]+)",
    re.DOTALL,
)


def assert_safe_tex(tex: str) -> None:
    """Check that ``tex`` has the shape this module promises: only the control sequences of
    escape_latex and of the markup (``\\href`` with an escape_url target), braces balanced
    (``\\{`` and ``\\}`` are characters), lists only itemize/enumerate, at most three deep,
    with ``\\item`` first in them and nowhere else, and no ``\\par`` or ``\\newline`` where TeX
    rejects or ignores it (at either end, after another break, a list or an item, before a list
    or an item) or block structure inside a style group."""
    for match in re.finditer(r"\\href", tex):
        assert HREF.match(tex, match.start()), f"bad \\href target in {tex!r}"
    body = HREF.sub(r"\\href{", tex).replace("%\n", "")
    groups: list[bool] = []  # per open brace: is it a style group?
    lists: list[str] = []
    last = "start"  # start, text, break (\par, \newline) or block (\item, \begin, \end)
    after_begin = False
    previous_word = None
    for token in TOKEN.finditer(body):
        kind = token.lastgroup
        if kind == "text" and not token.group().strip():
            continue
        if after_begin:
            assert token.group("word") == "item", f"\\begin not followed by \\item: {tex!r}"
            after_begin = False
        word = token.group("word")
        if kind in ("env", "name") or word in ("par", "newline", "item"):
            assert not any(groups), f"block structure in a style group: {tex!r}"
        if kind in ("env", "name"):
            name = token.group("name")
            assert name in ENVIRONMENTS, f"environment {name!r} in {tex!r}"
            assert last != "break", f"break before a list boundary: {tex!r}"
            if token.group("env") == "begin":
                lists.append(name)
                assert len(lists) <= markup.MAX_LIST_DEPTH, f"lists too deep: {tex!r}"
                after_begin = True
            else:
                assert lists, f"\\end{{{name}}} outside a list: {tex!r}"
                assert lists.pop() == name, f"unmatched \\end{{{name}}}: {tex!r}"
            last = "block"
        elif word in ("par", "newline"):
            assert last == "text", f"\\{word} after {last}: {tex!r}"
            last = "break"
        elif word == "item":
            assert lists, f"\\item outside a list: {tex!r}"
            assert last != "break", f"break before \\item: {tex!r}"
            last = "block"
        elif word is not None:
            assert word in ALLOWED_WORDS, f"\\{word} in {tex!r}"
            if word not in STYLE_WORDS:
                last = "text"
        elif kind == "symbol":
            assert token.group("symbol") in CONTROL_SYMBOLS, f"{token.group()!r} in {tex!r}"
            last = "text"
        elif token.group() == "{":
            groups.append(previous_word in STYLE_WORDS)
        elif token.group() == "}":
            assert groups, f"unbalanced }} in {tex!r}"
            groups.pop()
        else:
            last = "text"
        previous_word = word
    assert not groups, f"unclosed group in {tex!r}"
    assert not lists, f"unclosed list in {tex!r}"
    assert not after_begin, f"empty list in {tex!r}"
    assert last != "break", f"trailing break in {tex!r}"


def test_the_checker_rejects_what_it_should() -> None:
    for bad in [
        r"\input{x}",
        r"\textbf{a",
        r"a}",
        r"\par a",
        r"a\par",
        r"\newline{}a",
        r"a\newline{}\par b",
        r"\begin{tabular}\item x\end{tabular}",
        r"\begin{itemize}x\item y\end{itemize}",
        r"\item x",
        r"\textbf{a\par b}",
        r"\href{a b}{x}",
        r"\href{a{b}{x}",
        r"\href{a%b}{x}",
        r"\href{a_b}{x}",
        r"\trPercent x",
        r"\begin{itemize}\item\begin{itemize}\item\begin{itemize}\item\begin{itemize}\item"
        r" x\end{itemize}\end{itemize}\end{itemize}\end{itemize}",
    ]:
        with pytest.raises(AssertionError):
            assert_safe_tex(bad)
    assert_safe_tex(r"\textbf{a}\newline{}\emph{b}\par c\begin{itemize}\item x\end{itemize}y")


# ---------------------------------------------------------------------------------------------
# HTML tags

HTML: list[tuple[str, str]] = [
    ("<b>bold</b>", r"\textbf{bold}"),
    ("<strong>bold</strong>", r"\textbf{bold}"),
    ("<i>it</i>", r"\emph{it}"),
    ("<em>it</em>", r"\emph{it}"),
    ("<u>under</u>", r"\underline{under}"),
    ("<B>upper</B>", r"\textbf{upper}"),
    ("a <b>b</b> c", r"a \textbf{b} c"),
    ("<b>a <i>b</i> c</b>", r"\textbf{a \emph{b} c}"),
    ("<b>x</b> <i>y</i>", r"\textbf{x} \emph{y}"),
    # Bold in bold is bold; \emph in \emph would turn upright.
    ("<b><strong>x</strong></b>", r"\textbf{x}"),
    ("<em><i>x</i></em>", r"\emph{x}"),
    ("<b></b>", ""),
    ("a<b> </b>b", "a b"),
    ("<b>a <br> b</b>", r"\textbf{a}\newline{}\textbf{b}"),
    # Misnested and unclosed tags close where HTML would.
    ("<b><i>x</b>y</i>", r"\textbf{\emph{x}}y"),
    ("<b>open", r"\textbf{open}"),
    ("close</b> me", "close me"),
    # Links: the target through escape_url, exactly as filling._templating.href builds it.
    ('<a href="https://x.org/">x</a>', r"\href{https://x.org/}{x}"),
    ('<a href="http://x.org">x</a>', r"\href{http://x.org}{x}"),
    ('<a href="mailto:me@x.org">mail</a>', r"\href{mailto:me@x.org}{mail}"),
    ('<a href="HTTPS://X.ORG">x</a>', r"\href{HTTPS://X.ORG}{x}"),
    (
        '<a href="https://x.org/a_b%20c?q=1&amp;r=2#f~g">50% & #1</a>',
        r"\href{https://x.org/a\trUnderscore b\trPercent 20c?q=1\trAmp r=2\trHash f\trTilde g}"
        r"{50\% \& \#1}",
    ),
    (
        '<a href="https://x.org/{}\\$^">x</a>',
        r"\href{https://x.org/\trLBrace \trRBrace "
        r"\trBackslash \trDollar \trCaret }{x}",
    ),
    ('<a href="javascript:alert(1)">click</a>', "click"),
    ('<a href=" JavaScript:alert(1)">click</a>', "click"),
    ('<a href="data:text/html,x">click</a>', "click"),
    ('<a href="/relative">click</a>', "click"),
    ('<a href="https:">click</a>', "click"),
    ("<a>no href</a>", "no href"),
    ('<a href="https://x.org/"></a>', ""),
    ('<a href="https://x.org/' + "a" * 3000 + '">long</a>', "long"),
    ('<a href="https://a.org">a <a href="https://b.org">b</a></a>', r"\href{https://a.org}{a b}"),
    ('<a href="https://x.org"><b>bold</b> link</a>', r"\href{https://x.org}{\textbf{bold} link}"),
    # Line breaks and paragraphs: only between text.
    ("a<br>b", r"a\newline{}b"),
    ("a<br/>b", r"a\newline{}b"),
    ("a<br><br><br>b", r"a\newline{}b"),
    ("<br>a<br>", "a"),
    ("<p>a</p><p>b</p>", r"a\par b"),
    ("<p>a<p>b", r"a\par b"),
    ("<p></p><p>a</p><p></p>", "a"),
    ("a<br><p>b</p>", r"a\par b"),
    # Lists.
    ("<ul><li>a</li><li>b</li></ul>", r"\begin{itemize}\item a\item b\end{itemize}"),
    ("<ol><li>a</li><li>b</li></ol>", r"\begin{enumerate}\item a\item b\end{enumerate}"),
    ("<ol><li>one</li></ol>", r"\begin{enumerate}\item one\end{enumerate}"),
    ("<ul><li>a<li>b</ul>", r"\begin{itemize}\item a\item b\end{itemize}"),
    ("<ul></ul>", ""),
    ("a<ul></ul>b", r"a\par b"),
    ("<ul>x<li>a</li></ul>", r"x\begin{itemize}\item a\end{itemize}"),
    ("<li>stray</li><li>items</li>", r"stray\par items"),
    (
        "intro<ul><li><b>a</b></li></ul>after",
        r"intro\begin{itemize}\item \textbf{a}\end{itemize}after",
    ),
    (
        "<b>a<ul><li>x</li></ul>b</b>",
        r"\textbf{a}\begin{itemize}\item \textbf{x}\end{itemize}\textbf{b}",
    ),
    (
        "<ul><li>a<ol><li>b</li></ol></li></ul>",
        r"\begin{itemize}\item a\begin{enumerate}\item b\end{enumerate}\end{itemize}",
    ),
    # Four levels: the fourth is flattened into paragraphs of the third.
    (
        "<ul><li>1<ul><li>2<ul><li>3<ul><li>4a</li><li>4b</li></ul></li></ul></li></ul></li></ul>",
        r"\begin{itemize}\item 1\begin{itemize}\item 2\begin{itemize}\item 3\par 4a\par 4b"
        r"\end{itemize}\end{itemize}\end{itemize}",
    ),
    # Images show their alt text; unknown tags go, their text stays.
    ('<img src="x.png" alt="a photo">', "a photo"),
    ('<img src="x.png">', ""),
    ("<span>kept</span>", "kept"),
    ('<font color="red">red</font>', "red"),
    ("<div>one</div><div>two</div>", r"one\par two"),
    ("<h1>Title</h1>text", r"Title\par text"),
    ("<table><tr><td>a</td><td>b</td></tr></table>", r"a\par b"),
    ("<script>alert(1)</script>after", "after"),
    ("<style>b { x: y }</style>after", "after"),
    ("<SCRIPT>x</SCRIPT>after", "after"),
    ("before<script>never closed", "before"),
    ("a<!-- comment -->b", "ab"),
    ("a<?php echo 1; ?>b", "ab"),
    ("<!DOCTYPE html>a", "a"),
    # Entities decode, then are escaped like any text.
    ("&amp; &lt;b&gt; &quot; &#35; &#x25; &eacute;", r"\& <b> \textquotedbl{} \# \% é"),
    ("&lt;script&gt;x&lt;/script&gt;", "<script>x</script>"),
    ("&#0;x", "x"),
    # Text in different tags still breaks TeX's ligatures.
    ("-<span>-</span>", "-{}-"),
    ("a -<b>-</b>", r"a -\textbf{-}"),
    # A < that starts no tag is text.
    ("a < b", "a < b"),
    ("x<y", "x<y"),
    ("<3", "<3"),
    ("a <b> c", r"a \textbf{c}"),
]


@pytest.mark.parametrize(("text", "tex"), HTML)
def test_html(text: str, tex: str) -> None:
    assert markup_to_tex(text) == tex
    assert_safe_tex(tex)


# ---------------------------------------------------------------------------------------------
# Markdown constructs

MARKDOWN: list[tuple[str, str]] = [
    ("*em*", r"\emph{em}"),
    ("_em_", r"\emph{em}"),
    ("**strong**", r"\textbf{strong}"),
    ("__strong__", r"\textbf{strong}"),
    ("***both***", r"\emph{\textbf{both}}"),
    ("a **b** c", r"a \textbf{b} c"),
    ("**a *b* c**", r"\textbf{a \emph{b} c}"),
    ("__init__", r"\textbf{init}"),  # as in any Markdown
    ("** **", "** **"),
    ("****", "****"),
    ("*a\n\nb*", r"*a\par b*"),  # emphasis never spans paragraphs
    ("[text](https://x.org/a_b)", r"\href{https://x.org/a\trUnderscore b}{text}"),
    ("[**b** t](https://x.org)", r"\href{https://x.org}{\textbf{b} t}"),
    ('[t](https://x.org "title")', r"\href{https://x.org}{t}"),
    ("[t](javascript:alert(1))", "t"),
    ("[t](relative/path)", "t"),
    ("[](https://x.org)", ""),
    ("<https://x.org>", r"\href{https://x.org}{https://x.org}"),
    ("<me@x.org>", r"\href{mailto:me@x.org}{me@x.org}"),
    ("[t][ref]", "{[}t{]}{[}ref{]}"),  # no reference links
    ("![alt text](x.png)", "alt text"),
    ("![](x.png)", ""),
    ("a\nb", r"a\newline{}b"),
    ("a  \nb", r"a\newline{}b"),
    ("a\\\nb", r"a\newline{}b"),
    ("a\r\nb\rc\u2028d", r"a\newline{}b\newline{}c\newline{}d"),
    ("a\n\nb", r"a\par b"),
    ("a\n\n\n\nb", r"a\par b"),
    ("\n\na\n\n", "a"),
    ("- a\n- b", r"\begin{itemize}\item a\item b\end{itemize}"),
    ("* a\n* b", r"\begin{itemize}\item a\item b\end{itemize}"),
    ("+ a\n+ b", r"\begin{itemize}\item a\item b\end{itemize}"),
    ("1. a\n2. b", r"\begin{enumerate}\item a\item b\end{enumerate}"),
    ("1) a\n2) b", r"\begin{enumerate}\item a\item b\end{enumerate}"),
    ("1. a\n1. b", r"\begin{enumerate}\item a\item b\end{enumerate}"),
    (
        "- **a**\n- [b](https://x.org)",
        r"\begin{itemize}\item \textbf{a}\item \href{https://x.org}{b}\end{itemize}",
    ),
    ("- a\n\n- b", r"\begin{itemize}\item a\item b\end{itemize}"),
    ("- a\n\n  more\n- b", r"\begin{itemize}\item a\par more\item b\end{itemize}"),
    ("- a\n  continued\n- b", r"\begin{itemize}\item a\newline{}continued\item b\end{itemize}"),
    ("Intro:\n- a\n- b", r"Intro:\begin{itemize}\item a\item b\end{itemize}"),
    ("- a\n- b\n\nAfter", r"\begin{itemize}\item a\item b\end{itemize}After"),
    (
        "- a\n  - b\n  - c\n- d",
        r"\begin{itemize}\item a\begin{itemize}\item b\item c\end{itemize}\item d\end{itemize}",
    ),
    (
        "1. a\n2. b\n   - x\n   - y",
        r"\begin{enumerate}\item a\item b\begin{itemize}\item x\item y\end{itemize}"
        r"\end{enumerate}",
    ),
    # Backslash escapes.
    (r"\*not em\*", "*not em*"),
    (r"\_x\_", r"\_x\_"),
    (r"\[x\](y)", "{[}x{]}(y)"),
    (r"\<b>", "<b>"),
    ("a\\\\b", r"a\textbackslash{}b"),
    # HTML and Markdown mix.
    ("<b>**x**</b>", r"\textbf{x}"),
    ("<i>a</i> and *b*", r"\emph{a} and \emph{b}"),
    ("<div>\n*a*\n</div>", r"\emph{a}"),
    ("<ul>\n<li>a</li>\n\n<li>b</li>\n</ul>", r"\begin{itemize}\item a\item b\end{itemize}"),
    ("<p>one\ntwo</p>\n\n<p>three</p>", r"one\newline{}two\par three"),
    ("<script>\nalert(1)\n</script>\nafter", "after"),
    # Code spans: the backticks are Markdown's, the text inside is printed as it is.
    ("the `raw_events` topic", r"the raw\_events topic"),
    ("`code` stays code", "code stays code"),
    (
        "'single' \"double\" `back`",
        r"\textquotesingle{}single\textquotesingle{} \textquotedbl{}double\textquotedbl{} back",
    ),
    ("``a`b``", r"a\textasciigrave{}b"),  # a backtick inside a code span is text
    ("`*not em*` and `<b>not bold</b>`", "*not em* and <b>not bold</b>"),
    ("`a` and `b", r"a and \textasciigrave{}b"),  # the third backtick is unmatched: text
    ("**`x`**", r"\textbf{x}"),
    ("[a `b` c](https://x.org)", r"\href{https://x.org}{a b c}"),
    # Next to a letter or digit a backtick is text: typed for an apostrophe, it pairs with none.
    ("the company`s team`s work", r"the company\textasciigrave{}s team\textasciigrave{}s work"),
    ("x`a` `b`", r"x\textasciigrave{}a\textasciigrave{} b"),
    ("`a`b", r"\textasciigrave{}a\textasciigrave{}b"),
    ("```\nfence\n```", "fence"),  # no code blocks: a span across lines, its text
    ("<code>x</code>", "x"),
]


@pytest.mark.parametrize(("text", "tex"), MARKDOWN)
def test_markdown(text: str, tex: str) -> None:
    assert markup_to_tex(text) == tex
    assert_safe_tex(tex)


# ---------------------------------------------------------------------------------------------
# Text that must come out exactly as escape_latex gives it

ORDINARY = [
    "",
    "Hello, world!",
    "C# and C++",
    "snake_case_names",
    "init_ and _private",
    "2 * 3 = 6",
    "a * b * c",
    "**",
    "a < b > c",
    "x<y and y>z",
    "AT&T, R&D, Q&A",
    "& alone",
    "50% of $10 & #1 at ~/a_b^2 {x}",
    r"C:\Users\me",
    r"\input{/etc/passwd}",
    r"\immediate\write18{id}",
    "[1] a reference, [sic] and [x]",
    "f(x) = [a](b",
    "# not a heading",
    "## nor this",
    "> not a quote",
    "---",
    "***",
    "Title\n=====",
    "a lone ` backtick",
    "it`s",
    "~~not struck~~",
    "| a | b |\n|---|---|",
    "    indented, not code",
    "1. Led the team",
    "1) Led the team",
    "- Led the team",
    "* Led the team",
    "+ Led the team",
    "-",
    "1.",
    "-\n  text on the next line",
    "- - -",
    "* * *",
    "2019. Joined\n2020. Left",
    "3. Third\n4. Fourth",
    "Intro:\n- only one",
    "x<y and y>z",
    "Press <Enter>, write to <John Smith>",
    "first line\nsecond line",
    "é ü ł ñ ø ß ő č – — „quoted“",  # noqa: RUF001
    "-- --- << >> ,, !`",
    "?` alone",
    "a\x00b\x01c\x7fd",
    "soft\u00adhyphen",
    "lorem ipsum dolor " * 300,
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_escaped_as_is(text: str) -> None:
    assert markup_to_tex(text) == escape_latex(text)


def test_text_without_markup_characters_takes_the_fast_path() -> None:
    for text in ["Hello", "C++ 1. - + # > ` ~ | ! ] ( ) = -- ''", "1. Led the team", "- x"]:
        assert not has_markup(text)
        assert markup_to_tex(text) == escape_latex(text)
        assert markup_to_text(text) == text
    for text in ["*", "_", "[", "<b", "&amp;", "\\", "a\nb", "a\rb", " & ", "&\t", "<\xa0"]:
        assert has_markup(text)
    for text in ["&", "<", "R & D", "a <", "< 90 s"]:  # no entity, tag or autolink starts so
        assert not has_markup(text)
        assert markup_to_tex(text) == escape_latex(text)


# ---------------------------------------------------------------------------------------------
# markup_to_text

PLAIN: list[tuple[str, str]] = [
    ("**Zoë** <i>Ł</i>", "Zoë Ł"),
    ("[my site](https://x.org)", "my site"),
    ('<a href="javascript:x">text</a>', "text"),
    ("![logo](x.png) Inc", "logo Inc"),
    ("a<br>b", "a\nb"),
    ("a\n\nb", "a\nb"),
    ("- a\n- b", "a\nb"),
    ("x<ul><li>a</li><li>b</li></ul>y", "x\na\nb\ny"),
    ("<script>evil()</script>Name", "Name"),
    ("&amp; &lt;", "& <"),
    ("<b></b>", ""),
    ("\\*x\\*", "*x*"),
    ("Kafka `raw_events`", "Kafka raw_events"),
]


@pytest.mark.parametrize(("text", "plain"), PLAIN)
def test_markup_to_text(text: str, plain: str) -> None:
    assert markup_to_text(text) == plain


# ---------------------------------------------------------------------------------------------
# Hostile input: it finishes, and comes out escaped


def assert_short_lines(tex: str) -> None:
    """TeX reads at most buf_size (200 000) characters a line; the output stays far below."""
    assert max(len(line) for line in tex.split("\n")) <= 2000


@pytest.fixture
def no_length_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse long input too, to show that parsing itself is bounded, not only skipped."""
    monkeypatch.setattr(markup, "MAX_MARKUP_CHARS", 10**9)


@pytest.mark.usefixtures("no_length_cap")
@pytest.mark.parametrize(
    ("text", "unchunked"),
    [
        pytest.param("<b>" * 10_000 + "x" + "</b>" * 10_000, r"\textbf{x}", id="10k-nested-b"),
        pytest.param("<b>" * 10_000 + "x", r"\textbf{x}", id="10k-unclosed-b"),
        pytest.param("</b>" * 10_000 + "x", "x", id="10k-close-b"),
        pytest.param("<i><b>" * 5_000 + "x", r"\emph{\textbf{x}}", id="10k-nested-i-b"),
        pytest.param("<p>" * 10_000 + "x", "x", id="10k-p"),
        pytest.param("<li>" * 10_000 + "x", "x", id="10k-li"),
        pytest.param(
            "<ul><li>" * 10_000 + "x",
            r"\begin{itemize}\item \begin{itemize}\item \begin{itemize}\item x"
            r"\end{itemize}\end{itemize}\end{itemize}",
            id="10k-nested-lists",
        ),
        pytest.param(
            '<a href="https://x.org">' * 10_000 + "x", r"\href{https://x.org}{x}", id="10k-a"
        ),
        pytest.param("*" * 100_000, "*" * 100_000, id="100k-stars"),
        pytest.param("_" * 50_000, r"\_" * 50_000, id="50k-underscores"),
        pytest.param("*a" * 20_000, None, id="20k-star-a"),
        pytest.param("[" * 30_000, "{[}" * 30_000, id="30k-brackets"),
        pytest.param("[" * 20_000 + "](https://x.org)", None, id="20k-brackets-link"),
        pytest.param("![" * 10_000, None, id="10k-images"),
        pytest.param("<" * 50_000, "<{}" * 49_999 + "<", id="50k-lt"),
        pytest.param("<a" * 20_000, None, id="20k-unclosed-tags"),
        pytest.param("<!--" * 20_000, None, id="20k-unclosed-comments"),
        pytest.param("<![CDATA[" * 5_000, None, id="5k-cdata"),
        pytest.param("&" * 50_000, r"\&" * 50_000, id="50k-amp"),
        pytest.param("\\" * 50_000, r"\textbackslash{}" * 25_000, id="50k-backslashes"),
        pytest.param("- " * 10_000 + "x", None, id="10k-nested-markdown-lists"),
        pytest.param("- a\n" * 5_000, None, id="5k-list-items"),
        pytest.param("a\n" * 20_000, None, id="20k-lines"),
        pytest.param("<b>**[x](" * 5_000, None, id="5k-mixed"),
    ],
)
def test_hostile_input_finishes_escaped(text: str, unchunked: str | None) -> None:
    tex = markup_to_tex(text)
    assert_short_lines(tex)
    assert_safe_tex(tex)
    if unchunked is not None:
        assert tex.replace("%\n", "") == unchunked


@pytest.mark.usefixtures("no_length_cap")
def test_hostile_input_finishes_as_plain_text_too() -> None:
    assert markup_to_text("<b>" * 10_000 + "x" + "</b>" * 10_000) == "x"
    assert markup_to_text("*" * 100_000) == "*" * 100_000


def test_nested_markdown_lists_too_deep_for_markdown_it_stay_text() -> None:
    # markdown-it drops blocks nested past its maxNesting; the text is escaped plainly instead.
    text = "- " * 30 + "deep"
    assert markup_to_tex(text) == escape_latex(text)


def test_long_text_is_escaped_plainly() -> None:
    one_mb = "[" * 1_000_000
    assert not has_markup(one_mb)
    tex = markup_to_tex(one_mb)
    assert tex == escape_latex(one_mb)
    assert_short_lines(tex)
    assert markup_to_text(one_mb) == one_mb
    long = "**bold** " + "x" * markup.MAX_MARKUP_CHARS
    assert markup_to_tex(long) == escape_latex(long)
    assert markup_to_tex(long[: markup.MAX_MARKUP_CHARS]).startswith(r"\textbf{bold}")


def test_many_short_pieces_are_split_into_short_lines() -> None:
    tex = markup_to_tex("**a** *b* " * 900)
    lines = tex.split("\n")
    assert len(lines) > 1
    assert_short_lines(tex)
    for line in lines[:-1]:
        assert line.endswith("%")
    assert tex.replace("%\n", "") == r"\textbf{a} \emph{b} " * 899 + r"\textbf{a} \emph{b}"


# ---------------------------------------------------------------------------------------------
# Properties

FRAGMENTS = st.sampled_from(
    [
        "<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<em>", "</strong>", "<strong>",
        '<a href="https://x.org/%_#~{}">', '<a href="javascript:alert(1)">', "<a href=mailto:a@b>",
        "</a>", "<br>", "<br/>", "<p>", "</p>", "<ul>", "</ul>", "<ol>", "</ol>", "<li>", "</li>",
        "<script>", "</script>", "<style>", '<img alt="alt">', "<div>", "</div>", "<!--", "-->",
        "**", "*", "__", "_", "[", "]", "](", ")", "](https://x.org/a_b)", "<https://x.org>",
        "![", "\\", "\\\\", "{", "}", "%", "$", "&", "&amp;", "&#0;", "&lt;b&gt;", "#", "^", "~",
        "`", "'", "--", "\n", "\n\n", "  \n", "- ", "* ", "1. ", "2. ", "  - ", "    ", "\t",
        "\x00", "\u2028", "\ufffd", "a", "word", " ", "[3cm]", "\\item", "\\par", "\\end{x}",
    ]
)  # fmt: skip
MARKUP_TEXT = st.lists(FRAGMENTS | st.text(max_size=4), max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.text() | MARKUP_TEXT)
@example("0\n\xa0\x1f")  # a line of one no-break space once left a trailing \newline
def test_output_is_always_safe_tex(text: str) -> None:
    tex = markup_to_tex(text)
    assert_safe_tex(tex)
    assert isinstance(markup_to_text(text), str)


@settings(max_examples=500, deadline=None)
@given(st.text() | MARKUP_TEXT)
def test_the_fast_path_changes_nothing(text: str) -> None:
    # Where has_markup says no, the full parse gives what plain escaping gives (up to white
    # space at either end, which Markdown trims and TeX ignores).
    if has_markup(text):
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(markup, "has_markup", lambda _: True)
        parsed = markup_to_tex(text)
    assert parsed.strip() == escape_latex(text).strip()


LINE_FRAGMENTS = st.sampled_from(
    [
        "&", "<", " & ", " < ", "& ", "< ", "R&D", "&copy", "&amp;", "&#65;", "<=", "<3", "&&",
        "<<", "<b>", "<http://x.org>", "<a@b.c>", "<!--", "-->", "- ", "1. ", "2) ", "+ ", "#",
        "--", "é", "e\u0301", "Ж", "א", "\ufffd", "http://x.org", "a@b.c", "%", "$", "{", "}",
        "`", "``", "`x`", " `x` ", "`a b`", " `a  b` ", "`*x*`", "`<b>`", "`&amp;`", "`\\`",
        "`_`", " `` ", "`x` `y`", "a`b`", "`x`y", "`[a](b)`", "` x`", "`x `", "`é`", "  ",
    ]
)  # fmt: skip
PRINTABLE = st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs"))
LINE_TEXT = st.lists(LINE_FRAGMENTS | st.text(PRINTABLE, max_size=4), max_size=20).map("".join)


@settings(max_examples=2000, deadline=None)
@given(LINE_TEXT)
@example("Kafka & Flink, < 90 s end to end")
@example("breaking changes to the `raw_events` topic fell")
@example("two  `spaces` before")  # the parse makes them one: not read plainly
@example("two `spaces`  after")
def test_a_line_read_without_the_parse_reads_as_the_parse_gives(text: str) -> None:
    # A printable line without a space at either end, whose only markup is `&` and `<` before a
    # space or at the end and code spans between single spaces, is read without the parse:
    # the full parse gives exactly what is read (its escaping, and its text).
    plain = markup._plain_text(text)
    if plain is None or not markup._MARKUP_CHARS.search(text):
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(markup, "_reading", lambda _: None)
        parsed, parsed_text = markup_to_tex(text), markup_to_text(text)
    assert (parsed, parsed_text) == (escape_latex(plain), plain)
    assert (markup_to_tex(text), markup_to_text(text)) == (parsed, parsed_text)
    assert has_markup(text) == (plain != text)


def test_text_drops_and_spaces_exactly_the_table_s_characters() -> None:
    # Found by an expression, not `str.translate`: the two agree on every character.
    text = "".join(chr(point) for point in range(0x110000))
    assert markup._TEXT_SPECIAL.sub(markup._text_special, text) == text.translate(
        markup._TEXT_TABLE
    )


def test_a_loose_ampersand_or_angle_still_costs_the_budget() -> None:
    # What is left of the budget for the values after a line is as it was before such lines
    # were told apart: a document's source does not change.
    with markup_budget(25):
        assert markup_to_tex("R & D, < 5 % left") == r"R \& D, < 5 \% left"  # 17 characters
        assert markup_to_tex("**bold**") == r"\textbf{bold}"  # 8
        assert markup_to_tex("**no**") == r"**no**"  # none left


# ---------------------------------------------------------------------------------------------
# Real TeX: markup outputs in a \long macro argument and in list items, then read back

DOCUMENT = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage{enumitem}
\usepackage{hyperref}
\pdfcompresslevel=0
\pdfobjcompresslevel=0
%(helpers)s
\newcommand\trText[1]{#1\par}
\begin{document}
BEGIN
\trText{%(summary)s}
\begin{itemize}
%(items)s
\end{itemize}
END
\end{document}
"""

SUMMARY = (
    "Built **fast** *and* <u>safe</u> things at [Example_Co](https://x.org/a_b%20c#top).\n"
    "Second line, 50% of $10 & #1 {x} ~ ^.\n\n"
    "New paragraph:\n"
    "- one\n- two\n  1. nested\n  2. again\n     - third level\n     - ok\n"
    "\n<script>no</script>\\input{/etc/passwd} <b></b>end"
)
ITEMS = [
    "<b>Led</b> a team of 5 &amp; shipped <i>v2</i>",
    "<br>[3cm] after a break\n[4cm] and a line",
    "- deep\n- list\n  - two\n  - levels\n    - three\n    - here\n      - four\n      - flat",
    "1. Lone numbered line",
    '<a href="javascript:alert(1)">no link</a> and <https://y.org/~me>',
]


# The labels of itemize's four levels, as pdftotext reads them.
BULLET, DASH, STAR, DOT = "\u2022", "\u2013", "\u2217", "\u00b7"


@pytest.mark.tex
async def test_markup_typesets(tmp_path: Path) -> None:
    items = "\n".join(rf"\item {markup_to_tex(item)}" for item in ITEMS)
    source = DOCUMENT % {
        "helpers": TEX_HELPERS,
        "summary": markup_to_tex(SUMMARY),
        "items": items,
    }
    engine = PdfLatexEngine(work_root=tmp_path)
    result = await engine.compile(source, timeout_s=20)
    text = pdf_text(result.pdf)
    body = squash(text[text.index("BEGIN") + 5 : text.rindex("END")])
    expected = [
        "Builtfastandsafethings atExample_Co.",
        "Secondline,50%of$10&#1{x}~^.",
        "Newparagraph:",
        f"{BULLET}one", f"{BULLET}two", "1.nested", "2.again", f"{DASH}thirdlevel", f"{DASH}ok",
        "\\input{/etc/passwd}end",
        f"{BULLET}Ledateamof5&shippedv2",
        "[3cm]afterabreak[4cm]andaline",
        f"{DASH}deep", f"{DASH}list", f"{STAR}two", f"{STAR}levels", f"{DOT}three", f"{DOT}here",
        "fourflat",
        "1.Lonenumberedline",
        "nolinkandhttps://y.org/~me",
    ]  # fmt: skip
    position = 0
    for piece in expected:
        found = body.find(squash(piece), position)
        assert found >= 0, (piece, body[position:])
        position = found + len(squash(piece))
    assert "no" + "\\input" not in body  # the script's content is gone
    assert "root:" not in text
    # The links' targets, exactly (the document's PDF objects are not compressed).
    targets = set(re.findall(rb"/URI\s*\(([^)]*)\)", result.pdf))
    assert targets == {b"https://x.org/a_b%20c#top", b"https://y.org/~me"}


def test_href_is_built_as_templating_builds_it() -> None:
    url = "https://x.org/a_b%20c#top"
    assert markup_to_tex(f"[t]({url})") == rf"\href{{{escape_url(url)}}}{{t}}"


def test_one_document_parses_a_bounded_amount_of_markup() -> None:
    """Each value is capped, and so is the whole document: past the budget, text is escaped
    as typed (markup costs far more per character than escaping, on the event loop)."""
    from rendering.filling import markup_budget

    value = "**bold** " + "x" * 991  # 1,000 characters with markup
    with markup_budget(5_000):
        outputs = [markup_to_tex(value) for _ in range(10)]
        plain = markup_to_text("<b>late</b>")
    assert sum("\\textbf{" in out for out in outputs) == 5
    assert outputs[-1] == escape_latex(value)
    assert plain == "<b>late</b>"  # budget spent: left as it is
    assert "\\textbf{" in markup_to_tex(value)  # outside any budget: parsed


def test_a_filled_template_spends_one_budget() -> None:
    from rendering.catalogue import Catalogue
    from rendering.config import DEFAULT_TEMPLATES_DIR

    template = Catalogue.load([DEFAULT_TEMPLATES_DIR])["resume-classic"]
    highlight = "**bold** " + "y" * 991
    data = {"work": [{"name": "Acme", "highlights": [highlight] * 40}]}
    source = template.to_tex(data)
    assert source.count("\\textbf{bold}") == 20  # 20,000 characters' worth, then plain
