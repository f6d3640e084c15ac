"""Inline markup in resume text (a little Markdown, a little HTML) turned into TeX, safely.

People paste text from web forms, Markdown editors and LinkedIn into JSON Resume fields, so a
``summary`` or a highlight may hold ``**bold**`` or ``<b>bold</b>``. :func:`markup_to_tex`
typesets a small subset of both; everything else stays text. Text is always escaped with
:func:`rendering.filling.escape_latex`, so data can never become TeX: the only control sequences
in the output are the ones this module writes for the tags below, and no input can produce raw
TeX (there is no syntax for it).

Supported subset
----------------

=============================================  ====================================================
Markup                                         Typeset as
=============================================  ====================================================
``**x**``, ``__x__``, ``<b>``, ``<strong>``    bold (``\\textbf``)
``*x*``, ``_x_``, ``<i>``, ``<em>``            italic (``\\emph``)
``<u>``                                        underlined (``\\underline``; cannot break lines)
``[text](url)``, ``<url>``, ``<a href=url>``   a link, for ``http:``, ``https:`` and ``mailto:``
                                               targets only; any other target (``javascript:``,
                                               a relative path, one over 2048 characters) leaves
                                               the text alone
a line break, ``<br>``                         a line break (``\\newline``)
a blank line, ``<p>``                          a new paragraph (``\\par``)
``- x``, ``* x``, ``+ x``, ``<ul><li>``        a bullet list (``itemize``)
``1. x``, ``1) x``, ``<ol><li>``               a numbered list (``enumerate``), numbered from 1
`` `x` ``, ``<code>``                          its text: the backticks mark a code span, they are
                                               not part of the text (a lone one, or one next to a
                                               letter or digit as in ``it`s``, prints as typed)
=============================================  ====================================================

Details, chosen so that ordinary text stays as typed:

* A Markdown list needs at least two items, and a numbered one must start at 1: a lone line
  ``1. Led the team`` or ``- Led the team``, or years such as ``2019. Joined`` / ``2020. Left``
  on consecutive lines, are kept as typed (marker included), joined to the text around them by
  line breaks as if they were not list items. HTML lists are always lists.
* Lists nest three deep (LaTeX allows four, and a template may itself put the text in a list);
  items of deeper lists become paragraphs of the enclosing item.
* ``*`` and ``_`` emphasise only where Markdown says they do, so ``2 * 3 = 6``,
  ``snake_case_names`` and ``C# and C++`` are unchanged. There are no headings (a line starting
  with ``#`` is text), no block quotes, rules, tables or code blocks, and no images: an image
  (``![alt](src)`` or ``<img alt=...>``) shows its alt text. A code span's text is set in the
  running font (a monospaced one would lack the glyphs of the Unicode path's scripts); inside
  it, ``*`` and ``<b>`` are text, as in Markdown.
* A backslash before ASCII punctuation makes it literal, as in Markdown: ``\\*`` prints ``*``
  and ``\\\\`` prints one backslash. Other backslashes (``C:\\Users``) print as typed.
* HTML entities decode (``&amp;`` is ``&``, ``&eacute;`` is ``é``); a lone ``&`` is just ``&``.
* Only a well-formed tag of a real HTML element is markup (``a <b> c`` makes ``c`` bold); any
  other ``<`` is text: ``a < b``, ``x<y and y>z``, ``<Enter>``, ``<John Smith>``.
* HTML elements outside the subset are removed and their text kept; ``<script>`` and
  ``<style>`` are removed with their contents (to the end of the text if never closed), as are
  comments. Elements that stand for blocks (``<div>``, ``<h1>``, ``<blockquote>``, ``<tr>``,
  ...) separate paragraphs.
* HTML and Markdown mix: Markdown works inside HTML, and a line break is a line break there too
  (next to a block such as ``<li>`` or ``<p>`` it adds nothing).
* Formatting never spans a paragraph, list or line break: it is closed before and reopened
  after, so the output can go wherever paragraphs may (a ``\\long`` macro argument such as
  ``\\trText{...}``, or after ``\\item``). Repeated formatting (bold inside bold) adds nothing,
  and empty formatting (``<b></b>``, ``** **``) produces nothing. There is never a leading or
  trailing ``\\par`` or ``\\newline``.
* Cost is bounded: tags nest at most 64 deep (deeper tags are ignored, their text kept), and
  text longer than :data:`MAX_MARKUP_CHARS` is not parsed at all but escaped as plain text, so
  a hostile value costs well under a second. Markdown nested deeper than markdown-it's limit of
  20 levels (``- - - ... - x``) is escaped as plain text too (markdown-it would drop the rest).
  Output lines are kept short (TeX reads at most 200 000 characters a line).

:func:`markup_to_text` runs the same parse and keeps only the text (for fields that are printed
plainly); :func:`has_markup` tells cheaply whether parsing could change anything.

Implementation: markdown-it-py, restricted from its ``zero`` preset to the rules above (plus a
rule that turns short lists back into text), renders HTML; :class:`html.parser.HTMLParser`
walks that HTML with a tag whitelist and feeds a writer that puts paragraphs and lists only
where TeX accepts them. Going through HTML rather than walking markdown-it's tokens means
Markdown and hand-written HTML meet in one place: a tag opened in HTML and closed in Markdown's
output, an unclosed ``<li>``, a ``</b>`` that closes nothing are one parser's business, and one
whitelist decides what becomes TeX. markdown-it's HTML *blocks* are off: every raw fragment the
HTML parser sees is then one complete tag or comment that markdown-it matched, everything else
arrives entity-escaped (Python 3.11's ``HTMLParser`` is quadratic on unclosed ``<a<a<a...`` or
``<!--<!--...`` in raw HTML).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Protocol

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline import backtick as markdown_code_span
from markdown_it.token import Token

from ._escape import escape_latex, escape_url

MAX_MARKUP_CHARS = 10_000
"""Longer text is escaped as plain text, unparsed: markdown-it-py costs up to ~40 µs a
character on hostile input (a run of ``[``), and the template is filled on the event loop."""

MAX_LIST_DEPTH = 3
"""Lists nested deeper than this are flattened into paragraphs (LaTeX allows four levels)."""

MAX_OPEN_TAGS = 64
"""Tags nested deeper than this are ignored (their text is kept)."""

MAX_URL_CHARS = 2048
"""A longer link target is not linked: ``\\href``'s URL cannot be split across source lines."""

_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")

# Characters that make the parse differ from plain escaping: emphasis, links and images, HTML and
# autolinks, entities, backslash escapes, line ends (line breaks, paragraphs, lists) and two
# backticks (a code span needs a pair). A single line without them is plain text even if it
# starts like a list item: a one-item list is kept as typed. (tests/test_markup.py checks this
# claim against the full parse.)
_MARKUP_CHARS = re.compile(r"[*_\[<&\\\n\r\u2028\u2029]|`[^`]*`")
# The same, but a `&` or `<` before a space or at the end is not markup: no entity, tag,
# comment or autolink starts so. A line of printable text without a space at either end in
# which those are all there is parses back to the text itself ("R & D", "< 90 s"): its
# escaping, without the parse (tests/rendering/filling/test_markup.py checks it).
_MARKUP_IN_A_LINE = re.compile(r"[*_\[\\\n\r\u2028\u2029]|`[^`]*`|[&<](?! |\Z)")
# A code span that does nothing but lose its backticks: one on each side of text with no space
# at either end, at the start or after one space, at the end or before one (the parse turns
# the spaces around a span into one). Outside such spans the line must be plain as above.
_CODE_SPAN = re.compile(r"(?:^|(?<=[^ ] ))`([^` ](?:[^`]*[^` ])?)`(?=\Z| [^ ])")
_LINE_ENDS = re.compile(r"\r\n?|[\u2028\u2029]")

# In text: white space becomes a space (HTML rules; Markdown's line breaks are <br> by then), and
# characters escape_latex would drop are dropped first, so that "empty" means invisible.
_TEXT_TABLE = str.maketrans(
    {
        **dict.fromkeys("\t\n\r\u2028\u2029", " "),
        **dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]),
        "\u00ad": None,
        **dict.fromkeys(range(0xD800, 0xE000)),
    }
)

# Its characters, found by an expression: `str.translate` takes its slow path on any text
# that is not ASCII, a dict look-up per character.
_TEXT_SPECIAL = re.compile(
    "[" + "".join(re.escape(chr(point)) for point in sorted(_TEXT_TABLE)) + "]"
)


def _text_special(match: re.Match[str]) -> str:
    return _TEXT_TABLE[ord(match.group())] or ""


_INLINE_TAGS = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "a": "a"}
_DROPPED_WITH_CONTENT = frozenset({"script", "style"})
# Unknown tags that stand for blocks: their text is kept, as paragraphs of its own.
# fmt: off
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "main", "menu", "nav", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
})
# fmt: on

# The elements of HTML (with obsolete ones still pasted from old pages): anything else that looks
# like a tag is text.
# fmt: off
_HTML_ELEMENTS = frozenset({
    "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "base", "bdi",
    "bdo", "big", "blink", "blockquote", "body", "br", "button", "canvas", "caption", "center",
    "cite", "code", "col", "colgroup", "data", "datalist", "dd", "del", "details", "dfn",
    "dialog", "dir", "div", "dl", "dt", "em", "embed", "fieldset", "figcaption", "figure", "font",
    "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header",
    "hgroup", "hr", "html", "i", "iframe", "img", "input", "ins", "kbd", "label", "legend", "li",
    "link", "main", "map", "mark", "marquee", "math", "menu", "meta", "meter", "nav", "nobr",
    "noembed", "noframes", "noscript", "object", "ol", "optgroup", "option", "output", "p",
    "param", "picture", "plaintext", "pre", "progress", "q", "rp", "rt", "ruby", "s", "samp",
    "script", "search", "section", "select", "slot", "small", "source", "span", "strike",
    "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody", "td", "template",
    "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u", "ul", "var",
    "video", "wbr", "xmp",
})
# fmt: on

# Source lines are cut with `%`-newline once they are longer than this, at a point between pieces.
_LINE_TARGET = 400


# ---------------------------------------------------------------------------------------------
# Markdown: the parser and the one-item-list rule


class _Markdown(MarkdownIt):
    """markdown-it with every link target accepted: the HTML walker decides what is linked,
    so that a ``javascript:`` link shows its text rather than the raw ``[t](...)`` syntax."""

    def validateLink(self, url: str) -> bool:
        return True


def _make_parser() -> MarkdownIt:
    md = _Markdown("zero", {"html": True, "breaks": True})
    md.enable(
        [
            "list",
            "newline",
            "escape",
            "emphasis",
            "link",
            "image",
            "autolink",
            "html_inline",
            "entity",
        ]
    )
    md.inline.ruler.before("emphasis", "texrender_code_spans", _code_span_between_words)
    md.core.ruler.after("block", "texrender_short_lists", _keep_short_lists_as_text)
    md.core.ruler.after("inline", "texrender_html_elements", _keep_non_html_tags_as_text)
    return md


def _code_span_between_words(state: StateInline, silent: bool) -> bool:
    """markdown-it's code span, but only between words: a backtick run right after a letter or
    digit, or a closing one right before one, is text. A backtick typed for an apostrophe
    (``the company`s team`s``) would otherwise pair up and swallow the text between."""
    start = state.pos
    if state.src[start] != "`":
        return False
    end = start
    while end < state.posMax and state.src[end] == "`":
        end += 1
    tokens = len(state.tokens)
    if not (start > 0 and state.src[start - 1].isalnum()):
        markdown_code_span(state, silent)
        closed_at = state.pos
        if closed_at == end or closed_at >= len(state.src) or not state.src[closed_at].isalnum():
            return True  # a code span between words, or an unmatched run kept as text
        del state.tokens[tokens:]  # only ever the code span: pending text was pushed first
    state.pos = end
    if not silent:
        state.pending += state.src[start:end]
    return True


_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")


def _keep_non_html_tags_as_text(state: StateCore) -> None:
    """A "tag" that names no HTML element (``x<y and y>z``, ``<Enter>``, ``<John Smith>``) is
    text: only real HTML is markup, so comparisons and placeholders are not eaten."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "html_inline":
                match = _TAG_NAME.match(child.content)
                if match and match.group(1).lower() not in _HTML_ELEMENTS:
                    child.type = "text"


@dataclass
class _Node:
    """A block token with its children (a tree is easier to rewrite than markdown-it's flat
    token list)."""

    open: Token
    children: list[_Node | Token] = field(default_factory=list)
    close: Token | None = None


def _keep_short_lists_as_text(state: StateCore) -> None:
    """Turn one-item lists, and numbered lists that do not start at 1, back into the text that
    was typed. Runs after block parsing and before inline parsing, so the restored text is
    parsed as if it had never been a list (``Intro *a`` + ``- b*`` is emphasis again)."""
    limit = state.md.options["maxNesting"]
    if any(t.nesting == 1 and t.level + 1 >= limit for t in state.tokens):
        state.env["texrender_cut"] = True  # markdown-it may have dropped deeper blocks
        return
    root = _Node(Token("root", "", 0))
    stack = [root]
    for token in state.tokens:
        if token.nesting == 1:
            node = _Node(token)
            stack[-1].children.append(node)
            stack.append(node)
        elif token.nesting == -1 and len(stack) > 1:
            stack.pop().close = token
        else:
            stack[-1].children.append(token)
    lines = state.src.split("\n")
    root.children = _rewrite(root.children, lines)
    tokens: list[Token] = []
    _flatten(root.children, tokens)
    state.tokens = tokens


def _rewrite(children: list[_Node | Token], lines: list[str]) -> list[_Node | Token]:
    out: list[_Node | Token] = []
    for child in children:
        if isinstance(child, _Node):
            child.children = _rewrite(child.children, lines)
            if _is_list(child) and not _stays_a_list(child):
                out.extend(_unlisted(child, lines))
                continue
        out.append(child)
    return _join_adjacent_paragraphs(out)


def _is_list(node: _Node) -> bool:
    return node.open.type in ("bullet_list_open", "ordered_list_open")


def _stays_a_list(node: _Node) -> bool:
    items = [c for c in node.children if isinstance(c, _Node)]
    return len(items) >= 2 and node.open.attrGet("start") is None


def _unlisted(node: _Node, lines: list[str]) -> list[_Node | Token]:
    """The blocks of each item, the first paragraph prefixed with the item's marker."""
    out: list[_Node | Token] = []
    for item in node.children:
        if not isinstance(item, _Node):
            continue
        blocks = item.children
        for block in blocks:
            if isinstance(block, _Node) and block.open.type == "paragraph_open":
                block.open.hidden = False
                if block.close is not None:
                    block.close.hidden = False
        start = (item.open.map or [0, 1])[0]
        first = blocks[0] if blocks else None
        if (
            isinstance(first, _Node)
            and first.open.type == "paragraph_open"
            and first.children
            and first.open.map is not None
            and first.open.map[0] == start
        ):
            inline = first.children[0]
            assert isinstance(inline, Token)
            inline.content = _marker(item.open, inline.content, lines) + inline.content
        else:
            # The marker alone (an empty item, or one whose text starts on the next line).
            blocks = [_paragraph(_marker(item.open, "", lines).rstrip(), start), *blocks]
        out.extend(blocks)
    return out


_MARKER_AT_END = re.compile(r"(?:[-+*]|\d{1,9}[.)])\s*$")


def _marker(item: Token, content: str, lines: list[str]) -> str:
    """The marker of a list item as typed (``-   `` keeps its spaces), from the source line
    when it can be found there, else rebuilt from the token."""
    first_line = content.split("\n", 1)[0].rstrip()
    if item.map is not None and item.map[0] < len(lines):
        line = lines[item.map[0]].rstrip()
        if line.endswith(first_line):
            match = _MARKER_AT_END.search(line, 0, len(line) - len(first_line))
            if match:
                return match.group(0)
    return f"{item.info}{item.markup} "


def _paragraph(content: str, line: int) -> _Node:
    open_, close = Token("paragraph_open", "p", 1), Token("paragraph_close", "p", -1)
    inline = Token("inline", "", 0, content=content, children=[])
    open_.map = inline.map = [line, line + 1]
    return _Node(open_, [inline], close)


def _join_adjacent_paragraphs(blocks: list[_Node | Token]) -> list[_Node | Token]:
    """Paragraphs on consecutive source lines become one, joined by a line break: a restored
    list item continues the text before it, as it would have without the list."""
    out: list[_Node | Token] = []
    for block in blocks:
        previous = out[-1] if out else None
        if (
            isinstance(previous, _Node)
            and isinstance(block, _Node)
            and previous.open.type == block.open.type == "paragraph_open"
            and previous.open.map is not None
            and block.open.map is not None
            and previous.open.map[1] == block.open.map[0]
            and previous.children
            and block.children
        ):
            before, after = previous.children[0], block.children[0]
            assert isinstance(before, Token)
            assert isinstance(after, Token)
            before.content = f"{before.content}\n{after.content}"
            previous.open.map = [previous.open.map[0], block.open.map[1]]
            continue
        out.append(block)
    return out


def _flatten(children: list[_Node | Token], tokens: list[Token]) -> None:
    for child in children:
        if isinstance(child, _Node):
            tokens.append(child.open)
            _flatten(child.children, tokens)
            if child.close is not None:
                tokens.append(child.close)
        else:
            tokens.append(child)


_MARKDOWN = _make_parser()


def _parse(text: str) -> str | None:
    """HTML for ``text``; None if markdown-it's nesting limit may have cut some of it off (it
    drops blocks nested deeper than ``maxNesting``), in which case the text is taken as plain."""
    env: dict[str, object] = {}
    tokens = _MARKDOWN.parse(text, env)
    if env.get("texrender_cut"):
        return None
    rendered: str = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, env)
    return rendered


# ---------------------------------------------------------------------------------------------
# Output: TeX or plain text, from a stream of block and inline events


@dataclass(frozen=True)
class _Style:
    """One kind of formatting: ``b``, ``i``, ``u``, or ``a`` with the (checked) link target."""

    kind: str
    target: str = ""


_Styles = tuple[_Style, ...]


class _Sink(Protocol):
    def inline(self, text: str, styles: _Styles) -> None: ...
    def line_break(self) -> None: ...
    def paragraph(self) -> None: ...
    def begin_list(self, ordered: bool) -> None: ...
    def item(self) -> None: ...
    def end_list(self, ordered: bool) -> None: ...
    def result(self) -> str: ...


class _TexSink:
    """Writes TeX. Formatting groups open only around text, and close before anything that
    ends a line or a paragraph."""

    def __init__(self) -> None:
        self._out: list[str] = []
        self._open: list[_Style] = []
        self._line = 0

    def _write(self, piece: str) -> None:
        # A `%`-newline before a piece that does not start with a space changes nothing (after
        # a control word TeX skips the space the newline would be anyway). Pieces never start
        # inside \href's URL argument, which must stay on one line.
        if self._line > _LINE_TARGET and not piece.startswith(" "):
            self._out.append("%\n")
            self._line = 0
        self._out.append(piece)
        newline = piece.rfind("\n")
        self._line = len(piece) - newline - 1 if newline >= 0 else self._line + len(piece)

    def _style(self, styles: _Styles) -> None:
        keep = len(_shared(tuple(self._open), styles))
        while len(self._open) > keep:
            self._open.pop()
            self._write("}")
        for style in styles[keep:]:
            self._write(_OPENERS[style.kind](style.target))
            self._open.append(style)

    def inline(self, text: str, styles: _Styles) -> None:
        self._style(styles)
        self._write(escape_latex(text))

    def line_break(self) -> None:
        self._style(())
        self._write(r"\newline{}")

    def paragraph(self) -> None:
        self._style(())
        self._write("\\par ")

    def begin_list(self, ordered: bool) -> None:
        self._style(())
        self._write(r"\begin{enumerate}" if ordered else r"\begin{itemize}")

    def item(self) -> None:
        self._style(())
        self._write("\\item ")

    def end_list(self, ordered: bool) -> None:
        self._style(())
        self._write(r"\end{enumerate}" if ordered else r"\end{itemize}")

    def result(self) -> str:
        self._style(())
        return "".join(self._out)


_OPENERS: dict[str, Callable[[str], str]] = {
    "b": lambda _: r"\textbf{",
    "i": lambda _: r"\emph{",
    "u": lambda _: r"\underline{",
    # As rendering.filling._templating.href builds it: the target through escape_url.
    "a": lambda target: rf"\href{{{escape_url(target)}}}{{",
}


class _TextSink:
    """Writes plain text: blocks and line breaks become newlines."""

    def __init__(self) -> None:
        self._out: list[str] = []
        self._newline = False

    def inline(self, text: str, styles: _Styles) -> None:
        if self._newline and self._out:
            self._out.append("\n")
        self._newline = False
        self._out.append(text)

    def line_break(self) -> None:
        self._newline = True

    def paragraph(self) -> None:
        self._newline = True

    def begin_list(self, ordered: bool) -> None:
        self._newline = True

    def item(self) -> None:
        self._newline = True

    def end_list(self, ordered: bool) -> None:
        self._newline = True

    def result(self) -> str:
        return "".join(self._out)


class _Flow:
    """Puts block structure where TeX accepts it. ``\\par`` and ``\\newline`` are only ever
    written between two pieces of text of one paragraph or item (TeX rejects ``\\newline`` in
    vertical mode; a ``\\par`` at either end is noise), runs of them collapse, white space at
    either end of a block is dropped, and a list begins only with its first item (so an empty
    list writes nothing, and nothing stands between ``\\begin`` and ``\\item``). Adjacent text
    in the same style is escaped as one piece, so ``-`` + ``-`` cannot become an en dash."""

    _NONE, _BREAK, _PAR = 0, 1, 2

    def __init__(self, sink: _Sink, drop_replacement_char: bool) -> None:
        self._sink = sink
        self._drop_fffd = drop_replacement_char
        self._at_start = True  # nothing visible since the last block boundary
        self._pending = self._NONE
        self._space = False
        self._text: list[str] = []
        self._styles: _Styles = ()
        self._lists: list[list[bool]] = []  # per open list: [ordered, begun]

    def text(self, data: str, styles: _Styles) -> None:
        data = _TEXT_SPECIAL.sub(_text_special, data)
        if self._drop_fffd:
            data = data.replace("\ufffd", "")
        core = data.strip(" ")
        if not core or core.isspace():  # only no-break or other Unicode spaces: nothing to see
            self._space = self._space or (bool(data) and not self._at_start)
            return
        leading = data.startswith(" ") and not self._at_start
        if self._pending != self._NONE:
            self._flush()
            if self._pending == self._PAR:
                self._sink.paragraph()
            else:
                self._sink.line_break()
            self._pending = self._NONE
            self._space = leading = False
        space = self._space or leading
        if styles != self._styles:
            # A space between differently styled text goes with the styles both share:
            # "a \textbf{b}", "\textbf{a} b", "\textbf{a} \emph{b}".
            shared = _shared(self._styles, styles)
            if space and self._text and shared == self._styles:
                self._text.append(" ")
                space = False
            self._flush()
            if space and shared != styles:
                self._sink.inline(" ", shared)
                space = False
            self._styles = styles
        if space:
            self._text.append(" ")
        self._text.append(core)
        self._space = data.endswith(" ")
        self._at_start = False

    def _flush(self) -> None:
        if self._text:
            self._sink.inline("".join(self._text), self._styles)
            self._text = []

    def _boundary(self) -> None:
        self._flush()
        self._at_start = True
        self._pending = self._NONE
        self._space = False

    def line_break(self) -> None:
        if not self._at_start and self._pending == self._NONE:
            self._pending = self._BREAK

    def paragraph(self) -> None:
        if not self._at_start:
            self._pending = self._PAR

    def begin_list(self, ordered: bool) -> None:
        self.paragraph()
        self._lists.append([ordered, False])

    def item(self) -> None:
        state = self._lists[-1]
        self._boundary()
        if not state[1]:
            self._sink.begin_list(state[0])
            state[1] = True
        self._sink.item()

    def end_list(self) -> None:
        ordered, begun = self._lists.pop()
        if begun:
            self._boundary()
            self._sink.end_list(ordered)
        else:
            self.paragraph()

    def result(self) -> str:
        self._flush()
        while self._lists:
            self.end_list()
        return self._sink.result()


def _shared(a: _Styles, b: _Styles) -> _Styles:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


# ---------------------------------------------------------------------------------------------
# HTML: the whitelist


@dataclass
class _Element:
    tag: str
    role: str  # "inline", "p", "list", "flat" (a list too deep), "item", "para" (a stray li)
    styles: _Styles


class _Walker(HTMLParser):
    """Feeds :class:`_Flow` from HTML, keeping only the whitelisted tags. The element stack
    is capped, so every event costs at most ``MAX_OPEN_TAGS`` steps."""

    def __init__(self, flow: _Flow) -> None:
        super().__init__(convert_charrefs=True)
        self._flow = flow
        self._stack: list[_Element] = []
        self._open_count: dict[str, int] = {}
        self._ignored: dict[str, int] = {}
        self._dropping: str | None = None  # inside <script> or <style>
        self._lists = 0

    @property
    def _styles(self) -> _Styles:
        return self._stack[-1].styles if self._stack else ()

    def _push(self, tag: str, role: str, styles: _Styles | None = None) -> bool:
        if len(self._stack) >= MAX_OPEN_TAGS:
            self._ignored[tag] = self._ignored.get(tag, 0) + 1
            return False
        self._stack.append(_Element(tag, role, self._styles if styles is None else styles))
        self._open_count[tag] = self._open_count.get(tag, 0) + 1
        if role == "list":
            self._lists += 1
        return True

    def _pop(self) -> None:
        element = self._stack.pop()
        self._open_count[element.tag] -= 1
        if element.role == "list":
            self._lists -= 1
            self._flow.end_list()
        elif element.role != "inline":
            self._flow.paragraph()

    def _close(self, tag: str) -> None:
        while self._stack[-1].tag != tag:
            self._pop()
        self._pop()

    def _innermost(self, roles: frozenset[str]) -> _Element | None:
        for element in reversed(self._stack):
            if element.role in roles:
                return element
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._dropping:
            return
        if tag in _DROPPED_WITH_CONTENT:
            self._dropping = tag
        elif tag == "br":
            self._flow.line_break()
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self._flow.text(alt, self._styles)
        elif tag in _INLINE_TAGS:
            self._push(tag, "inline", self._styled(_INLINE_TAGS[tag], attrs))
        elif tag == "p":
            self._close_paragraph()
            self._flow.paragraph()
            self._push(tag, "p")
        elif tag in ("ul", "ol"):
            self._close_paragraph()
            if self._lists < MAX_LIST_DEPTH and len(self._stack) < MAX_OPEN_TAGS:
                self._flow.begin_list(ordered=tag == "ol")
                self._push(tag, "list")
            else:
                self._flow.paragraph()
                self._push(tag, "flat")
        elif tag == "li":
            self._close_paragraph()
            self._start_item()
        elif tag in _BLOCK_TAGS:
            self._close_paragraph()
            self._flow.paragraph()

    def _close_paragraph(self) -> None:
        """As in HTML, a block starting closes the paragraph it is in. This also undoes
        Markdown's own ``<p>`` around a line of HTML, which would otherwise end a list at a
        blank line between its items."""
        inner = self._innermost(_BLOCK_ROLES)
        if inner is not None and inner.role == "p":
            # Only formatting can be open inside it, and stays open: <b>a<ul><li>x is bold too.
            self._stack.remove(inner)
            self._open_count["p"] -= 1
            self._flow.paragraph()

    def _start_item(self) -> None:
        inner = self._innermost(_LIST_ROLES)
        if inner is not None and inner.role in ("item", "para"):
            self._close_element(inner)
            inner = self._innermost(_LIST_ROLES)
        if inner is not None and inner.role == "list" and len(self._stack) < MAX_OPEN_TAGS:
            self._push("li", "item")
            self._flow.item()
        else:
            self._flow.paragraph()
            self._push("li", "para")

    def _close_element(self, element: _Element) -> None:
        while self._stack[-1] is not element:
            self._pop()
        self._pop()

    def _styled(self, kind: str, attrs: list[tuple[str, str | None]]) -> _Styles:
        styles = self._styles
        if kind == "a":
            target = _link_target(dict(attrs).get("href"))
            if target is None or any(s.kind == "a" for s in styles):
                return styles  # no link inside a link: the text is enough
            return (*styles, _Style("a", target))
        if any(s.kind == kind for s in styles):
            return styles  # bold in bold is bold (and \emph in \emph would be upright)
        return (*styles, _Style(kind))

    def handle_endtag(self, tag: str) -> None:
        if self._dropping:
            if tag == self._dropping:
                self._dropping = None
            return
        if self._ignored.get(tag):
            self._ignored[tag] -= 1
            if tag not in _INLINE_TAGS:
                self._flow.paragraph()
        elif self._open_count.get(tag):
            self._close(tag)
        elif tag in _BLOCK_TAGS or tag == "p":
            self._flow.paragraph()

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self._flow.text(data, self._styles)

    def finish(self) -> str:
        self.close()
        while self._stack:
            self._pop()
        return self._flow.result()


_BLOCK_ROLES = frozenset({"p", "list", "flat", "item", "para"})
_LIST_ROLES = frozenset({"list", "flat", "item", "para"})


def _link_target(href: str | None) -> str | None:
    """``href`` if it is worth a clickable link: an absolute http, https or mailto URL of
    reasonable length."""
    if href is None:
        return None
    href = href.strip()
    match = _SCHEME.match(href)
    if match is None or match.group(1).lower() not in _LINK_SCHEMES:
        return None
    if len(href) > MAX_URL_CHARS or len(href) == len(match.group(0)):
        return None
    return href


# ---------------------------------------------------------------------------------------------
# The API


def has_markup(text: str) -> bool:
    """Whether parsing ``text`` could give anything but its plain escaping. False means
    :func:`markup_to_tex` is ``escape_latex`` and :func:`markup_to_text` the identity."""
    return _may_have_markup(text) and _plain_text(text) != text


def _may_have_markup(text: str) -> bool:
    """Whether ``text`` holds a character of markup: what the budget is charged for."""
    return len(text) <= MAX_MARKUP_CHARS and _MARKUP_CHARS.search(text) is not None


def _plain_text(text: str) -> str | None:
    """What ``text``, which holds a character of markup, reads as without the parse, which
    would give the same: itself, or its code spans without their backticks (see
    :data:`_MARKUP_IN_A_LINE` and :data:`_CODE_SPAN`); None when it must be parsed."""
    if not text.isprintable() or text.startswith(" ") or text.endswith(" "):
        return None
    plain = _CODE_SPAN.sub(r"\1", text) if "`" in text else text
    if "`" in plain:
        return None  # a backtick that is not such a span's
    outside = _CODE_SPAN.sub("x", text) if plain is not text else text
    return plain if _MARKUP_IN_A_LINE.search(outside) is None else None


# The cap per text bounds one value; this bounds a whole request, which may hold many values:
# within :func:`markup_budget`, at most this many characters are parsed in all, and text past
# the budget is treated as plain (escaped as typed). Real resumes use a few thousand.
MARKUP_BUDGET_CHARS = 20_000
_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("markup_budget")


@contextlib.contextmanager
def markup_budget(chars: int = MARKUP_BUDGET_CHARS) -> Iterator[None]:
    """Within this block, :func:`markup_to_tex` and :func:`markup_to_text` parse at most
    ``chars`` characters in all."""
    token = _budget.set([chars])
    try:
        yield
    finally:
        _budget.reset(token)


def _reading(text: str) -> str | None:
    """What ``text`` reads as without the parse: itself when it holds no markup or the current
    budget (if any) cannot pay for it, or its plain text (:func:`_plain_text`); None: parse
    it. The budget pays for a line read plainly too: what is left of it for the values after
    is as it was before such lines were told apart."""
    if not _may_have_markup(text):
        return text
    left = _budget.get(None)
    if left is not None:
        if left[0] < len(text):
            return text
        left[0] -= len(text)
    return _plain_text(text)


def _convert(text: str, sink: _Sink) -> str | None:
    source = _LINE_ENDS.sub("\n", text.replace("\x00", ""))
    html = _parse(source)
    if html is None:
        return None
    walker = _Walker(_Flow(sink, drop_replacement_char="\ufffd" not in text))
    walker.feed(html)
    return walker.finish()


def markup_to_tex(text: str) -> str:
    """TeX source for ``text``: its Markdown and HTML formatting typeset (see the module
    documentation for the subset), everything else escaped to print as typed."""
    plain = _reading(text)
    if plain is not None:
        return escape_latex(plain)
    tex = _convert(text, _TexSink())
    return escape_latex(text) if tex is None else tex


def markup_to_text(text: str) -> str:
    """The text of ``text`` without its formatting (same parse as :func:`markup_to_tex`):
    link and image text kept, paragraphs, list items and line breaks as newlines. It is plain
    text, still to be escaped."""
    read = _reading(text)
    if read is not None:
        return read
    plain = _convert(text, _TextSink())
    return text if plain is None else plain
