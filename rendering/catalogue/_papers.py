"""Paper sizes: which a template is made for, and which a document gets when none is asked for.

A render's paper is a variable of the filling (``texrender_paper``), set after the precompiled
preamble: one format serves every size. Letter is the default where it is the usual size (the
United States and Canada, by the sender's or the résumé's country, or the document's
language); A4 everywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PAPERS = ("a4", "letter")
DEFAULT_PAPER = "a4"
_LETTER_COUNTRIES = frozenset({"US", "CA"})
_LETTER_LANGUAGES = frozenset({"en-us", "en-ca", "fr-ca"})
# Where a document says whose it is: a résumé's basics, a letter's sender.
_PERSONS = ("basics", "sender")


def usual_paper(data: Mapping[str, Any]) -> str:
    """The paper a document gets when its request names none: Letter for a person in the
    United States or Canada, or a document in their English (or Canadian French); else A4."""
    countries = {_country(data.get(key)) for key in _PERSONS}
    meta = data.get("meta")
    language = meta.get("language") if isinstance(meta, Mapping) else None
    if isinstance(language, str):
        tag = language.strip().replace("_", "-").lower()
        if tag in _LETTER_LANGUAGES:
            return "letter"
    return "letter" if countries & _LETTER_COUNTRIES else DEFAULT_PAPER


def _country(person: object) -> str:
    """The country code of a person's location, upper case ("" when there is none)."""
    location = person.get("location") if isinstance(person, Mapping) else None
    country = location.get("countryCode") if isinstance(location, Mapping) else None
    return country.strip().upper() if isinstance(country, str) else ""
