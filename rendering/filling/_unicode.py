"""Filling a template for the Unicode path (the same template set by XeLaTeX with Noto fonts):
its preamble, and right-to-left runs marked as the data is escaped.

:func:`setup_tex` writes the preamble lines: fontspec, the main font, and one XeTeX
inter-character class per script of :data:`rendering.typesetting.SCRIPTS` (each script's code
points are a class, and entering or leaving a class opens or closes a group with its font), so
runs of CJK, Arabic and Hebrew switch font by themselves; lines may break between CJK
characters (``\\XeTeXlinebreaklocale``). The CJK class takes the face of the document's
language (:mod:`._script`), serif or sans as the template's Latin. While :func:`unicode_fill`
holds, values are marked for direction and extraction as they are escaped (:mod:`._bidi`); a
right-to-left document is laid out mirrored (:mod:`._mirror`).

Which fonts there are, and which characters they can set (so which documents take the path),
is :mod:`rendering.typesetting._fonts`' job.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

from ..typesetting import MAIN_FONT, SCRIPTS, cjk_face
from ._bidi import SPAN_MACROS, bidi_tex
from ._mirror import MIRRORED_DOCUMENT
from ._script import LTR, Script

QUOTE = '"'  # TeX's prefix of a hexadecimal number, and its string delimiter
SANS_FONT = "Noto Sans"
# Noto Naskh Arabic beside Noto Sans reads a size smaller (its letters sit low and small for
# their body): scaled up, it matches the sans face's own Arabic design, Noto Sans Arabic, by eye.
ARABIC_BESIDE_SANS = "Scale=1.15"
_unicode_fill: contextvars.ContextVar[Script | None] = contextvars.ContextVar(
    "unicode_fill", default=None
)


def setup_tex(script: Script = LTR, *, sans: bool = False) -> str:
    """The preamble lines of the Unicode path (fontspec, the fonts, the script classes) for a
    document in ``script``, with a serif or a ``sans`` Latin face."""
    lines = [
        r"\usepackage{fontspec}",
        rf"\setmainfont{{{SANS_FONT if sans else MAIN_FONT}}}",
        r"\XeTeXinterchartokenstate=1",
        r"\TeXXeTstate=1",
        rf"\XeTeXlinebreaklocale {QUOTE}ja{QUOTE}",
        r"\XeTeXlinebreakskip=0pt plus 1pt",
        # Direction marks in PDF metadata mean nothing: drop them there.
        r"\AddToHook{package/hyperref/after}"
        r"{\pdfstringdefDisableCommands{\let\beginR\relax\let\endR\relax"
        r"\let\beginL\relax\let\endL\relax\def\trRtlText#1#2{#2}\def\trLtrText#1#2{#2}}}",
        SPAN_MACROS,
    ]
    if script.rtl:
        lines.append(MIRRORED_DOCUMENT)
    for name, family, options, bounds in SCRIPTS:
        family = cjk_face(script.cjk, serif=not sans) if name == "CJK" else family
        options = f"{options},{ARABIC_BESIDE_SANS}" if sans and name == "Arabic" else options
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


def unicode_script() -> Script | None:
    """The script of the document being filled for the Unicode path; None otherwise."""
    return _unicode_fill.get()


def mark_bidi(text: str, escape: Callable[[str], str]) -> str | None:
    """One line of a value as TeX with direction and extraction markup, when filling for the
    Unicode path (None otherwise: escape it plainly)."""
    script = _unicode_fill.get()
    return None if script is None else bidi_tex(text, escape, script.rtl)


@contextlib.contextmanager
def unicode_fill(active: bool, script: Script = LTR) -> Iterator[None]:
    """Fill a template for the Unicode path, for a document in ``script`` (values are marked
    for direction while this holds)."""
    token = _unicode_fill.set(script if active else None)
    try:
        yield
    finally:
        _unicode_fill.reset(token)
