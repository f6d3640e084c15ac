"""Filling a template for the Unicode path (the same template set by XeLaTeX with Noto fonts):
its preamble, and right-to-left runs marked as the data is escaped.

:func:`setup_tex` writes the preamble lines: fontspec, the main font, and one XeTeX
inter-character class per script of :data:`rendering.typesetting.SCRIPTS` (each script's code
points are a class, and entering or leaving a class opens or closes a group with its font), so
runs of CJK, Arabic and Hebrew switch font by themselves; lines may break between CJK
characters (``\\XeTeXlinebreaklocale``). While :func:`unicode_fill` holds, :func:`mark_rtl`
wraps each right-to-left run in ``\\beginR ... \\endR`` (TeX--XeT) as the data is escaped, so it
reads right to left while the page stays left to right.

Which fonts there are, and which characters they can set (so which documents take the path),
is :mod:`rendering.typesetting._fonts`' job.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator

from ..typesetting import MAIN_FONT, SCRIPTS

QUOTE = '"'  # TeX's prefix of a hexadecimal number, and its string delimiter
# Right-to-left letters, and what may sit between two of them in one run (spaces, digits,
# punctuation): the run is reversed as a whole, its digits stay left to right inside it.
_RTL_LETTER = r"\u0590-\u05FF\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF"
_RTL_RUN = re.compile(
    rf"[{_RTL_LETTER}](?:[{_RTL_LETTER} .,:;()\-'\u060C\u061B\u200C\u200D]*[{_RTL_LETTER}])?"
)
_unicode_fill: contextvars.ContextVar[bool] = contextvars.ContextVar("unicode_fill", default=False)


def setup_tex() -> str:
    """The preamble lines of the Unicode path (fontspec, the fonts, the script classes)."""
    lines = [
        r"\usepackage{fontspec}",
        rf"\setmainfont{{{MAIN_FONT}}}",
        r"\XeTeXinterchartokenstate=1",
        r"\TeXXeTstate=1",
        rf"\XeTeXlinebreaklocale {QUOTE}ja{QUOTE}",
        r"\XeTeXlinebreakskip=0pt plus 1pt",
        # Direction marks in PDF metadata mean nothing: drop them there.
        r"\AddToHook{package/hyperref/after}"
        r"{\pdfstringdefDisableCommands{\let\beginR\relax\let\endR\relax}}",
    ]
    for name, family, options, bounds in SCRIPTS:
        font = rf"\trFont{name}"
        lines.append(rf"\newfontfamily{font}[{options}]{{{family}}}")
        lines.append(rf"\newXeTeXintercharclass\trClass{name}")
        for first, last in bounds:
            lines.append(
                f"\\count255={QUOTE}{first:X} \\loop\\XeTeXcharclass\\count255=\\trClass{name}"
                f"\\ifnum\\count255<{QUOTE}{last:X} \\advance\\count255 by 1 \\repeat"
            )
        for other in ("0", "4095"):
            lines.append(rf"\XeTeXinterchartoks {other} \trClass{name} = {{\begingroup{font}}}")
            lines.append(rf"\XeTeXinterchartoks \trClass{name} {other} = {{\endgroup}}")
    return "\n".join(lines) + "\n"


def mark_rtl(tex: str) -> str:
    """``tex`` with each right-to-left run wrapped for TeX--XeT, when filling for the Unicode
    path (a no-op otherwise)."""
    if not _unicode_fill.get():
        return tex
    return _RTL_RUN.sub(lambda m: rf"\beginR{{}}{m.group(0)}\endR{{}}", tex)


@contextlib.contextmanager
def unicode_fill(active: bool) -> Iterator[None]:
    """Fill a template for the Unicode path (RTL runs are marked while this holds)."""
    token = _unicode_fill.set(active)
    try:
        yield
    finally:
        _unicode_fill.reset(token)
