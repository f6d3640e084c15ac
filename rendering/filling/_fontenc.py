"""The fast path's font encodings: one preamble block, shared by every template, that loads T1
and, where the machine has their fonts, T2A (Cyrillic) and LGR (Greek).

A template puts ``((( texrender_fast_fonts )))`` where it would load ``fontenc``. With
Cyrillic and Greek, T1 stays the default encoding and the escaper wraps each Cyrillic or Greek
run in ``\\trCyr`` or ``\\trGrk`` (:mod:`._escape`), which switch the encoding; their faces are
declared under Latin Modern's family names (``lmr``, ``lmss``), one design size each and
scaled, as the templates declare their T1 faces (the fonts: :mod:`rendering.typesetting`'s
``CYRILLIC_GREEK_FACES``). Without them (a machine that lacks the packages) the block loads T1
alone, and such text takes the Unicode path.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from ..typesetting import CYRILLIC_GREEK_FACES
from ._actualtext import COMPOSED_RANGES, CYRILLIC_GREEK_COMPOSED_RANGES, actual_text_tex

FAST_FONTS_NAME = "texrender_fast_fonts"  # the block's name in a template
LATIN_ONLY = "\\usepackage[T1]{fontenc}\n"

# The sans family has no italic of its own: its slanted shape stands in, as for T1.
_SANS_ITALIC = "\\DeclareFontShape{%s}{lmss}{m}{it}{<->ssub * lmss/m/sl}{}"


def _cyrillic_greek_tex() -> str:
    lines = [
        "% Cyrillic (T2A: LH fonts, CM-Super outlines) and Greek (LGR: CB fonts) beside T1, which",
        "% stays the default: texrender wraps each Cyrillic or Greek run in \\trCyr or \\trGrk.",
        "\\makeatletter\\let\\trUclcList\\@uclclist\\makeatother",
        "\\usepackage[LGR,T2A,T1]{fontenc}",
        "% T2A and LGR add the case pairs of their letter commands (\\cyra, \\textalpha) to",
        "% \\@uclclist, which LaTeX makes into case tables at every \\begin{document}: 2 ms of",
        "% every render, Latin too. texrender's text is UTF-8, cased by code point without them.",
        "\\makeatletter\\let\\@uclclist\\trUclcList\\makeatother",
    ]
    for encoding in ("T2A", "LGR"):
        for family in ("lmr", "lmss"):
            lines.append(f"\\DeclareFontFamily{{{encoding}}}{{{family}}}{{}}")
            for face, font in CYRILLIC_GREEK_FACES.items():
                face_encoding, face_family, series, shape = face.split("/")
                if (face_encoding, face_family) == (encoding, family):
                    lines.append(
                        f"\\DeclareFontShape{{{encoding}}}{{{family}}}{{{series}}}{{{shape}}}"
                        f"{{<-> {font}}}{{}}"
                    )
            if family == "lmss":
                lines.append(_SANS_ITALIC % encoding)
        # Else LaTeX reads the encoding's cmr .fd file at every \begin{document}, checking
        # its fallback face: about a millisecond of each render.
        lines.append(f"\\DeclareFontSubstitution{{{encoding}}}{{lmr}}{{m}}{{n}}")
    lines += [
        "\\newcommand\\trCyr[1]{{\\fontencoding{T2A}\\selectfont#1}}",
        "\\newcommand\\trGrk[1]{{\\fontencoding{LGR}\\selectfont#1}}",
    ]
    return "\n".join(lines) + "\n"


CYRILLIC_GREEK = _cyrillic_greek_tex()


def fast_fonts_tex(cyrillic_greek: bool) -> str:
    """The block: T1, and T2A and LGR with their faces when ``cyrillic_greek``."""
    return CYRILLIC_GREEK if cyrillic_greek else LATIN_ONLY


def exact_text_tex(cyrillic_greek: bool) -> str:
    """The ``/ActualText`` part of the preamble (:mod:`._actualtext`), with the Cyrillic and
    Greek characters whose glyphs read back wrongly when those encodings are loaded."""
    if not cyrillic_greek:
        return actual_text_tex()
    return actual_text_tex(COMPOSED_RANGES + CYRILLIC_GREEK_COMPOSED_RANGES)


_runs: contextvars.ContextVar[bool] = contextvars.ContextVar("cyrillic_greek", default=False)


@contextlib.contextmanager
def cyrillic_greek_fill(active: bool) -> Iterator[None]:
    """Fill a template whose fast path sets Cyrillic and Greek: while this holds, the escaper
    wraps their runs in ``\\trCyr`` and ``\\trGrk`` (elsewhere those are not defined)."""
    token = _runs.set(active)
    try:
        yield
    finally:
        _runs.reset(token)


def cyrillic_greek_runs() -> bool:
    """Whether the escaper marks Cyrillic and Greek runs now (:func:`cyrillic_greek_fill`)."""
    return _runs.get()
