"""JSON in, the template's data shape out: lenient reading of real-world files (JSON Resume
dialects, dates, markup in text), size and TeX-cost bounds, and the characters the fonts can set
(text that is no text at all, a lone surrogate, is refused first).

Nothing here runs TeX or fills a template: a :class:`Reading` is the data as it will be
validated and rendered, with a warning for every change.
"""

from __future__ import annotations

from ._characters import check_characters
from ._jsonresume import DIALECTS
from ._language import check_language
from ._lenient import LenientReader
from ._reading import PRINTED_AS_WRITTEN, Reading, warnings_header
from ._shown import Shown, other_sections, prints_something, undescribed
from ._sizes import DEFAULT_LIMITS, check_sizes, nests_deeper_than
from ._surrogates import surrogate_errors

__all__ = [
    "DEFAULT_LIMITS",
    "DIALECTS",
    "PRINTED_AS_WRITTEN",
    "LenientReader",
    "Reading",
    "Shown",
    "check_characters",
    "check_language",
    "check_sizes",
    "nests_deeper_than",
    "other_sections",
    "prints_something",
    "surrogate_errors",
    "undescribed",
    "warnings_header",
]
