"""The words a template prints itself (headings, "Present", "Enclosed:", month names) in the
document's language, and dates written as that language writes them.

The words are data, in ``words.toml`` beside this module (one table per language, written for
texrender); this module reads them once and formats dates with them: ``2021-09`` is
``Sep 2021`` in English, ``sept. 2021`` in French, ``2021年9月`` in Chinese; a letter's
``2026-12-05`` is ``5. Dezember 2026`` in German, and in Russian its month is genitive.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

__all__ = ["ENGLISH", "LANGUAGES", "Words", "words_for"]

WORDS_FILE = Path(__file__).with_name("words.toml")
ENGLISH = "en"

# The words a template may print, by their key in words.toml (and in ``texrender_words``).
WORD_KEYS = (
    "present", "summary", "experience", "projects", "education", "skills", "publications",
    "awards", "certificates", "volunteering", "languages", "interests", "references",
    "keywords", "courses", "grade", "colon", "comma", "enclosures",
)  # fmt: skip

_TEX_NAME = re.compile(r"[a-z]*", re.ASCII)  # written into TeX as it is: letters only
_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class Words:
    """One language's words and date forms."""

    language: str  # its key in words.toml: "fr", "zh-Hant", ...
    script: str  # "Latin" (the fast path can set it) or another script
    patterns: str  # its hyphenation patterns' name in TeX's language.dat; "" for none
    text: Mapping[str, str]  # WORD_KEYS -> the word
    months_short: tuple[str, ...]
    months: tuple[str, ...]
    months_day: tuple[str, ...]
    month_year: str
    month_year_long: str
    day_month_year: str
    day_one: str | None = None

    @property
    def latin(self) -> bool:
        """Whether pdfLaTeX's T1 fonts can set these words (else: the Unicode path)."""
        return self.script == "Latin"

    @property
    def all_text(self) -> str:
        """Every word and date form, for checking which fonts can set them."""
        return " ".join(
            (*self.text.values(), *self.months_short, *self.months, *self.months_day,
             self.month_year, self.month_year_long, self.day_month_year, self.day_one or "")
        )  # fmt: skip

    def short_date(self, value: str) -> str | None:
        """A résumé date, ``2021-09`` (or ``2021-09-28``) as ``Sep 2021``, ``2021`` as itself;
        ``None`` when ``value`` is not wholly such a date."""
        match = _ISO.fullmatch(value.strip())
        if not match:
            return None
        year, month, _ = match.groups()
        if not month or not 1 <= int(month) <= 12:
            return year
        return self.month_year.format(month_short=self.months_short[int(month) - 1], year=year)

    def long_date(self, value: str) -> str | None:
        """A letter's date, ``2026-12-05`` as ``5 December 2026`` (``2026-12`` as ``December
        2026``); ``None`` when ``value`` is not wholly such a date."""
        match = _ISO.fullmatch(value.strip())
        if not match:
            return None
        year, month, day = match.groups()
        if not month or not 1 <= int(month) <= 12:
            return year
        index = int(month) - 1
        if day and 1 <= int(day) <= 31:
            shown = self.day_one if int(day) == 1 and self.day_one else str(int(day))
            return self.day_month_year.format(
                day=shown, month_day=self.months_day[index], year=year
            )
        return self.month_year_long.format(month=self.months[index], year=year)


def _load(path: Path) -> Mapping[str, Words]:
    """Every language's :class:`Words`; a table without a word of English's is a bug."""
    with path.open("rb") as file:
        tables = tomllib.load(file)
    languages: dict[str, Words] = {}
    for language, table in tables.items():
        missing = [k for k in (*WORD_KEYS, "patterns") if not isinstance(table.get(k), str)]
        if missing:
            raise RuntimeError(f"{path.name}: [{language}] lacks {', '.join(missing)}")
        months = tuple(table["months"])
        languages[language] = Words(
            language=language,
            script=table["script"],
            patterns=table["patterns"],
            text=MappingProxyType({key: table[key] for key in WORD_KEYS}),
            months_short=tuple(table["months_short"]),
            months=months,
            months_day=tuple(table.get("months_day", months)),
            month_year=table["month_year"],
            month_year_long=table["month_year_long"],
            day_month_year=table["day_month_year"],
            day_one=table.get("day_one"),
        )
        if {len(w) for w in (months, languages[language].months_short)} != {12}:
            raise RuntimeError(f"{path.name}: [{language}] has not 12 months")
        if not _TEX_NAME.fullmatch(table["patterns"]):
            raise RuntimeError(f"{path.name}: [{language}] patterns is not a TeX name")
    return MappingProxyType(languages)


LANGUAGES: Mapping[str, Words] = _load(WORDS_FILE)
"""Every language texrender prints its own words in, by its key (``en``, ``fr``, ``zh-Hant``)."""


def words_for(language: str) -> Words:
    """The words of ``language`` (a key of :data:`LANGUAGES`); English for any other."""
    return LANGUAGES.get(language) or LANGUAGES[ENGLISH]
