"""Exact text: does every string a document holds come back out of its PDF, as a machine reads
it? The corpus (``tests/corpus/``), the strings each template shows, the matcher, and a count
per template and script (``python -m tools.exact_text``), kept to compare before and after.

The test of the corpus (``tests/corpus/``) and the count use the same pieces, so a count here is
what the test asserts.
"""

from __future__ import annotations

from ._corpus import CORPUS_DIR, Document, corpus, for_template
from ._match import PdfText, found
from ._shown import NOT_SHOWN, Expected, expected_strings

__all__ = [
    "CORPUS_DIR",
    "NOT_SHOWN",
    "Document",
    "Expected",
    "PdfText",
    "corpus",
    "expected_strings",
    "for_template",
    "found",
]
