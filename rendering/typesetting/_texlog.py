"""Read the first error out of a TeX log.

A TeX error in a log looks like::

    ! Undefined control sequence.
    l.12 Hello \\foo
                   bar

The ``!`` line is the message, ``l.N`` gives the source line and the text up to the error; the
line after it holds the rest of that source line. With ``max_print_line`` raised (see the runner)
lines are not wrapped, so one pass over the lines is enough.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..errors import TexDiagnostic, clip

_LINE_MARK = re.compile(r"^l\.(\d+) ?(.*)$")
_UNICODE_ERROR = re.compile(r"Unicode character (.) \(U\+([0-9A-Fa-f]{4,6})\)")
_MAX_CONTEXT_CHARS = 240
_LOOKAHEAD_LINES = 12


def parse_tex_log(log: str) -> TexDiagnostic:
    """The first error in ``log``, or a generic diagnostic when TeX stopped without one."""
    lines = log.splitlines()
    for index, line in enumerate(lines):
        # Usually "! " opens a line; a fatal error can be glued to the end of the previous
        # output ("... input line 1.! Unable to read an entire line").
        start = 0 if line.startswith("! ") else line.find(".! ") + 1
        if start <= 0 and not line.startswith("! "):
            continue
        message = line[start + 2 :].strip()
        for offset, follow in enumerate(lines[index + 1 : index + 1 + _LOOKAHEAD_LINES]):
            match = _LINE_MARK.match(follow)
            if match:
                after_index = index + 2 + offset
                after = lines[after_index].strip() if after_index < len(lines) else ""
                context = (match.group(2) + " " + after).replace("^^M", "").strip()
                return TexDiagnostic(
                    message, int(match.group(1)), clip(context, _MAX_CONTEXT_CHARS)
                )
        return TexDiagnostic(message, None, "")
    if "Emergency stop" in log or "Fatal error" in log:
        return TexDiagnostic("TeX stopped with a fatal error", None, "")
    if "No pages of output" in log:
        return TexDiagnostic(
            "No pages of output: the data gives the template nothing to print", None, ""
        )
    return TexDiagnostic("TeX stopped without reporting an error", None, "")


# Each at the start of a line: found in "\n" + the log by a pattern that begins with its
# newline and a literal (the regex engine then skips ahead in C to where that literal is, where
# "^" with re.MULTILINE would be tried at every character, and three matches a line in Python
# cost more still).
_OVERFULL = re.compile(
    r"\nOverfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) (?:in paragraph|detected) at lines? "
    r"(\d+)(?:--(\d+))?"
)
_OUTPUT = re.compile(r"\nOutput written on [^\n]*?\((\d+) pages?, \d+ bytes\)")
# What a template that can be fitted writes at its end: the height of the last page's material
# and of its text block (rendering.pipeline decides from it whether to fit the document).
_LAST_PAGE = re.compile(r"\ntexrender-last-page: ([\d.]+)pt of ([\d.]+)pt")


@dataclass(frozen=True)
class Overfull:
    """A line of the document wider than its text: by how much, and the source lines."""

    points: float
    first_line: int
    last_line: int


@dataclass(frozen=True)
class LayoutReport:
    """What a successful run's log says about the layout."""

    pages: int | None
    overfull: tuple[Overfull, ...]
    # How full the last page is, 0 to 1, when the template says (None: it does not, or the
    # last page is a full one).
    last_page_fill: float | None = None


@functools.lru_cache(maxsize=16)
def layout_report(log: str) -> LayoutReport:
    """Pages written and overfull lines, from the log of a run that succeeded (remembered for
    the last few logs: a render asks several times of the same one)."""
    lines = "\n" + log
    overfull = tuple(
        Overfull(float(match.group(1)), int(match.group(2)), int(match.group(3) or match.group(2)))
        for match in _OVERFULL.finditer(lines)
    )
    pages = None
    for written in _OUTPUT.finditer(lines):
        pages = int(written.group(1))  # the last one, as TeX's last word
    fill = None
    for last in _LAST_PAGE.finditer(lines):
        total, goal = float(last.group(1)), float(last.group(2))
        fill = total / goal if 0 < total < goal else None
    return LayoutReport(pages, overfull, fill)


def unsupported_character(diagnostic: TexDiagnostic) -> str | None:
    """The character named by an "Unicode character ... not set up" error, if that is the error."""
    match = _UNICODE_ERROR.search(diagnostic.message)
    if not match:
        return None
    return chr(int(match.group(2), 16))
