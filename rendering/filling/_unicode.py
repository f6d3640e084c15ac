"""Filling a template for the Unicode path (the same template set by XeLaTeX with Noto fonts):
its preamble, and right-to-left runs marked as the data is escaped.

The preamble comes in three parts, so that most of it is kept in a format (a render then starts
from the format instead of reading the LaTeX packages again, which was most of its cost):

* :func:`prelude_tex`, before ``\\documentclass``: the preamble runs in a TFM font. The class
  selects a font at once, and XeTeX cannot dump a format that holds an OpenType font.
* :func:`setup_tex`, dumped: the fonts declared by file (:mod:`rendering.typesetting._faces`)
  as plain NFSS shapes (a face is opened only when the document first uses it; fontspec, by
  name, opened every face of every family on every render), the same shapes and OpenType
  features fontspec gave them; and one XeTeX inter-character class per script of
  :data:`rendering.typesetting.SCRIPTS` (each script's code points are a class, and entering or
  leaving a class opens or closes a group with its font), so runs of CJK, Arabic and Hebrew
  switch font by themselves; lines may break between CJK characters
  (``\\XeTeXlinebreaklocale``).
  It also has the set-up a render would otherwise do at ``\\begin{document}`` (microtype's,
  the l3 backend's, LaTeX's hooks: :data:`BEFORE_DUMP`) done just before the dump.
* :func:`script_tex`, after ``\\endofdump``: what depends on the document's script. The CJK
  class takes the face of the document's language (:mod:`._script`), serif or sans as the
  template's Latin, and a right-to-left document is laid out mirrored (:mod:`._mirror`).

While :func:`unicode_fill` holds, values are marked for direction and extraction as they are
escaped (:mod:`._bidi`).

Which fonts there are, and which characters they can set (so which documents take the path),
is :mod:`rendering.typesetting._fonts`' job.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator

from ..typesetting import (
    BOLD,
    BOLD_ITALIC,
    CJK_VARIANTS,
    FACES,
    ITALIC,
    MAIN_FONT,
    REGULAR,
    SCRIPTS,
    cjk_face,
)
from ._bidi import SPAN_MACROS, bidi_tex
from ._mirror import MIRRORED_DOCUMENT
from ._script import LTR, Script

QUOTE = '"'  # TeX's prefix of a hexadecimal number, and its string delimiter
SANS_FONT = "Noto Sans"
MAIN_FAMILY = "trMain"  # the NFSS family of the Latin face
LATIN_FEATURES = "script=latn;language=dflt;"
# Noto Naskh Arabic beside Noto Sans reads a size smaller (its letters sit low and small for
# their body): scaled up, it matches the sans face's own Arabic design, Noto Sans Arabic, by eye.
ARABIC_BESIDE_SANS = "s*[1.15]"
# Run by mylatexformat at the end of the fixed preamble, just before the dump (never in a plain
# compile, where \begin{document} does it): microtype's set-up (its configuration files; no font
# is set up, the preamble's is a TFM one), the l3 backend's driver file, and LaTeX's sorting of
# every hook. About 9 ms of a 180 ms Arabic render; the PDF is the same byte for byte. (The fast
# path does the same and more in rendering/filling/_predump.py; its font set-up cannot be kept
# in an XeTeX format.)
BEFORE_DUMP = (
    r"\@ifundefined{MT@setup@}{}{\MT@setup@\MT@glet\MT@setup@\@empty}"
    r"\@ifundefined{@expl@sys@load@backend@@}{}{\@expl@sys@load@backend@@}"
    r"\@ifundefined{@expl@@@initialize@all@@}{}"
    r"{\@expl@@@initialize@all@@\global\let\@expl@@@initialize@all@@\relax}"
)
_unicode_fill: contextvars.ContextVar[Script | None] = contextvars.ContextVar(
    "unicode_fill", default=None
)


def prelude_tex() -> str:
    """The line before ``\\documentclass``: the preamble is set in Computer Modern (a TFM font:
    it can be dumped; one em is the same size), the document in Noto from ``\\begin{document}``
    on."""
    return "\\fontencoding{OT1}\\fontfamily{cmr}"


def _shape(family: str, series: str, shape: str, spec: str) -> str:
    return rf"\DeclareFontShape{{TU}}{{{family}}}{{{series}}}{{{shape}}}{{<->{spec}}}{{}}"


def _font(face_tex: str, features: str) -> str:
    return f"{QUOTE}{face_tex}/OT:{features}{QUOTE}"


def _latin_family(name: str) -> list[str]:
    """The Latin face as fontspec's ``\\setmainfont`` declared it: four styles, small capitals
    from the OpenType feature, TeX's ligatures (``--``, quotes), slanted as italic, ``bx``
    as ``b``."""
    faces = FACES[name]
    plain = LATIN_FEATURES + "mapping=tex-text;"
    small_caps = LATIN_FEATURES + "+smcp;mapping=tex-text;"
    family = MAIN_FAMILY
    lines = [rf"\DeclareFontFamily{{TU}}{{{family}}}{{}}"]
    for series, upright, italic in (("m", REGULAR, ITALIC), ("b", BOLD, BOLD_ITALIC)):
        for shape, style in (("n", upright), ("it", italic)):
            face = faces[style].tex
            lines.append(_shape(family, series, shape, _font(face, plain)))
            lines.append(
                _shape(family, series, "sc" if shape == "n" else "scit", _font(face, small_caps))
            )
        lines.append(_shape(family, series, "sl", f"ssub*{family}/{series}/it"))
    lines += _bold_extended(MAIN_FAMILY, small_caps=True)
    return lines


def _bold_extended(family: str, *, small_caps: bool = False) -> list[str]:
    """``bx`` (LaTeX's bold) taken as ``b``, as fontspec does."""
    lines = [
        _shape(family, "bx", "n", f"ssub*{family}/b/n"),
        _shape(family, "bx", "it", f"ssub*{family}/b/it"),
        _shape(family, "bx", "sl", f"ssub*{family}/bx/it"),
    ]
    if small_caps:
        lines.append(_shape(family, "bx", "sc", f"ssub*{family}/b/n"))
        lines.append(_shape(family, "bx", "scit", f"ssub*{family}/b/it"))
    return lines


def _script_family(family: str, name: str, features: str, scale: str = "") -> list[str]:
    """A script's face as fontspec's ``\\newfontfamily`` declared it: upright and bold (bold
    italic is the bold: these families have no italic); ``scale``, an NFSS size function such
    as ``s*[1.15]``, sets it larger than the size asked for."""
    faces = FACES[name]
    lines = [
        rf"\DeclareFontFamily{{TU}}{{{family}}}{{}}",
        _shape(family, "m", "n", scale + _font(faces[REGULAR].tex, features)),
    ]
    if BOLD in faces:
        bold = scale + _font(faces[BOLD].tex, features)
        lines += [
            _shape(family, "b", "n", bold),
            _shape(family, "b", "it", bold),
            _shape(family, "b", "sl", f"ssub*{family}/b/it"),
            *_bold_extended(family),
        ]
    return lines


def _select(family: str) -> str:
    return rf"\fontencoding{{TU}}\fontfamily{{{family}}}\selectfont"


def _cjk_font(variant: str) -> str:
    return rf"\protected\def\trFontCJK{{{_select(f'trCJK{variant}')}}}"


@functools.cache
def setup_tex(*, sans: bool = False) -> str:
    """The preamble lines of the Unicode path that go into its format (the fonts, declared,
    and the script classes), with a serif or a ``sans`` Latin face: the same for every
    document."""
    lines = [
        # Just before it dumps, mylatexformat opens the fonts of every size (XeTeX cannot dump
        # those): in their place, what a render from the format would do at \begin{document}
        # and depends on nothing in the data (see BEFORE_DUMP).
        rf"\makeatletter\def\MYLATEX@fontpreloading{{{BEFORE_DUMP}}}\makeatother",
        *_latin_family(SANS_FONT if sans else MAIN_FONT),
        rf"\renewcommand\rmdefault{{{MAIN_FAMILY}}}",
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
    for name, family, features, bounds in SCRIPTS:
        font = rf"\trFont{name}"
        if name == "CJK":  # one family per language's face; script_tex picks the document's
            for variant in CJK_VARIANTS:
                face = cjk_face(variant, serif=not sans)
                lines += _script_family(f"trCJK{variant}", face, features)
            lines.append(_cjk_font(LTR.cjk))  # for a template that does not write script_tex
        else:
            scale = ARABIC_BESIDE_SANS if sans and name == "Arabic" else ""
            lines += _script_family(f"tr{name}", family, features, scale)
            lines.append(rf"\protected\def{font}{{{_select(f'tr{name}')}}}")
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


def script_tex(script: Script = LTR) -> str:
    """The preamble lines of the Unicode path after ``\\endofdump``, for a document in
    ``script``: its CJK face, and a mirrored layout when it reads right to left."""
    lines = [
        # A colour the preamble set (\color) was a mark on the page being built, which a format
        # does not keep: set it again.
        r"\makeatletter\set@color\makeatother",
        _cjk_font(script.cjk),
    ]
    if script.rtl:
        # The template provided left-to-right versions of these before the format was dumped.
        lines.append(r"\let\trParens\relax\let\trLeftToRight\relax")
        lines.append(MIRRORED_DOCUMENT)
    return "\n".join(lines)


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
