"""Template + data -> TeX source: the Jinja2 environment with LaTeX-safe delimiters, escaping
by default, markup (HTML, Markdown) typeset through a parser, right-to-left runs marked for the
Unicode path, and a source map from each line of TeX back to the template line that made it.
"""

from __future__ import annotations

from ._escape import escape_latex
from ._fontenc import FAST_FONTS_NAME, cyrillic_greek_fill
from ._language import Language, language_of, words_of
from ._markup import markup_budget, markup_to_text
from ._refit import Refit, refit_for
from ._script import LTR, Script, script_of, strings_of
from ._sourcemap import FilledSource, fill_traced, pointer_in
from ._templating import (
    RESERVED_NAMES,
    SHARED_DIR,
    fast_fonts_names,
    language_names,
    make_environment,
    unicode_names,
)
from ._unicode import unicode_fill
from ._words import LANGUAGES, Words, words_for

__all__ = [
    "FAST_FONTS_NAME",
    "LANGUAGES",
    "LTR",
    "RESERVED_NAMES",
    "SHARED_DIR",
    "FilledSource",
    "Language",
    "Refit",
    "Script",
    "Words",
    "cyrillic_greek_fill",
    "escape_latex",
    "fast_fonts_names",
    "fill_traced",
    "language_names",
    "language_of",
    "make_environment",
    "markup_budget",
    "markup_to_text",
    "pointer_in",
    "refit_for",
    "script_of",
    "strings_of",
    "unicode_fill",
    "unicode_names",
    "words_for",
    "words_of",
]
