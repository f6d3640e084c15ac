"""What the document's language asks of the reading: the path that can set its words, and a
warning when texrender has no words for it.

A résumé whose text is ASCII but whose ``meta.language`` is Japanese prints headings in kana
and kanji, which only the template's Unicode path can set: the reading sends it there, as it
does a document with such text in its data (Russian and Greek headings stay on the fast path
when it has their fonts). The words themselves, and which language a
document is in, are :mod:`rendering.filling`'s (``language_of``, ``words_for``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ..errors import ReadWarning
from ..filling import language_of, words_for
from ..typesetting import UnicodeCoverage
from ._charset import unsupported
from ._reading import Reading

UNKNOWN_LANGUAGE = "language texrender has no words for: headings and dates printed in English"
NO_UNICODE_PATH = (
    "this language's headings need the Unicode path, which is not available here: "
    "printed in English"
)


def check_language(
    reading: Reading, *, unicode: UnicodeCoverage | None = None, cyrillic_greek: bool = False
) -> Reading:
    """``reading``, marked for the Unicode path when the words of its language need it (and
    ``unicode``, what that path can set, covers them), with a warning when its language is
    unknown or its words cannot be set (they are then printed in English). With
    ``cyrillic_greek``, the fast path sets Cyrillic and Greek words itself."""
    data = reading.data
    if not isinstance(data, Mapping):
        return reading
    language = language_of(data, reading.text)
    reading = dataclasses.replace(reading, language=language)  # for the fill
    pointer = "/meta/language" if language.declared is not None else ""
    if not language.known:
        return reading.with_more(data, [ReadWarning(pointer, UNKNOWN_LANGUAGE)])
    if reading.unicode:
        return reading
    needed = unsupported(words_for(language.words).all_text, cyrillic_greek=cyrillic_greek)
    if not needed:
        return reading
    if unicode is not None and all(unicode.covers(char) for char in needed):
        return dataclasses.replace(reading, unicode=True)
    return reading.with_more(data, [ReadWarning(pointer, NO_UNICODE_PATH)])
