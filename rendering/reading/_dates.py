"""Reading dates as people write them in résumés, and recognising "until now" in an end date.

JSON Resume v1.0.0 wants ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; real files hold "Sep 2022",
"07/2025", "28.09.2023" or "Present". A lenient reader turns those into the schema's forms with
:func:`read_date` and drops an end date for which :func:`is_ongoing` holds (no end date means
"ongoing" in JSON Resume).

Both functions are pure (no I/O, no locale, no clock) and cheap on hostile input: anything longer
than :data:`MAX_LENGTH` characters is refused before any other work is done.

What :func:`read_date` accepts (surrounding whitespace ignored; years are four digits in
1000..2999, the range the schema's pattern allows):

* ISO forms, returned unchanged: ``2023``, ``2023-09``, ``2023-09-28``; unpadded ``2023-9-28``;
  an ISO date-time (``2023-09-28T10:00:00Z``) gives its date as written, offset ignored.
* Year first with ``-``, ``/`` or ``.``: ``2024/3``, ``2024/03/05``, ``2023.09``, ``2023.09.28``.
* Month and year: ``07/2025``, ``7/2025``, ``09.2023``, ``09-2023``.
* Day, month and year with dots, always day first (European): ``28.09.2023``, ``28. 9. 2023``.
* Three numbers with ``/`` or ``-``: day-first and month-first are both common, so the date is
  read only when it is the same either way, or when one of the first two numbers is over 12
  (``28/09/2023``, ``09/28/2023``); ``03/04/2023`` is refused.
* Month names and abbreviations in English, French, German, Spanish, Portuguese, Italian and
  Dutch (any case, accents optional, a dot after an abbreviation allowed): ``September 2022``,
  ``Sept. 2022``, ``2022 September``, ``September, 2022``, ``12 September 2022``,
  ``September 12th, 2022``, ``12-Sep-2022``, ``septiembre de 2022``, ``1er janvier 2020``.
* Chinese, Japanese and Korean: ``2022年``, ``2022年9月``, ``2022年9月28日``, ``2022년 9월``.

Refused (``None``), because a guess would put a wrong date in someone's CV: two-digit years
(``Sep '22``, ``09/23``), quarters and seasons (``Q3 2022``, ``Spring 2022``), approximate
dates (``circa 2019``), compact ``20230928``, week dates, era years, and impossible dates
(month 13, 30 February, year 0999 or 3000).

Of those, a date written in words (:func:`is_free_text`: ``Summer 2019``, ``Q3 2022``,
``Disponible à partir de septembre 2021``, ``2019 - heute``) is no mistake to correct: the
lenient reader keeps it and it is printed as written, with a warning. Numbers alone that cannot
be read (``03/04/2023``, ``20230928``) stay an error: they look like a date, and which one
only the writer knows.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

__all__ = [
    "ACCEPTED_FORMS",
    "FREE_TEXT_MAX_LENGTH",
    "MAX_LENGTH",
    "ONGOING_LEADS",
    "ONGOING_WORDS",
    "is_free_text",
    "is_ongoing",
    "read_date",
]

MAX_LENGTH = 64
"""Longer texts are not dates: refusing them first bounds the cost of any input."""

ACCEPTED_FORMS = 'a date such as 2023, 2023-09, 2023-09-28, "Sep 2023", "09/2023" or "28.09.2023"'
"""The accepted forms in one phrase, for error messages."""

_MIN_YEAR, _MAX_YEAR = 1000, 2999

# --- folding ---------------------------------------------------------------------------------

_RING_ABOVE = "\u030a"


def _fold(text: str) -> str:
    """Caseless, accentless form for comparing words people type with or without accents.

    The ring of ``å`` is kept: it is a letter of its own in Scandinavian languages, and folding
    Norwegian "nå" (now) to "na" would make "NA" (not applicable) mean "ongoing".
    """
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    kept = "".join(c for c in decomposed if c == _RING_ABOVE or unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", kept)


# --- ongoing ---------------------------------------------------------------------------------

_ONGOING_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "English": (
        "present", "now", "current", "currently", "ongoing", "today", "to date", "till date",
        "to present", "until now", "present day", "to the present",
    ),
    "French": (
        "en cours", "aujourd'hui", "à ce jour", "actuel", "actuelle", "actuellement", "présent",
    ),
    "German": ("heute", "aktuell", "derzeit", "bis heute", "laufend", "jetzt", "bis dato"),
    "Spanish": (
        "actualidad", "actual", "actualmente", "presente", "hoy", "en curso", "hasta la fecha",
    ),
    "Portuguese": ("atual", "atualmente", "presente", "o momento", "hoje", "até ao momento"),
    "Italian": ("oggi", "presente", "attuale", "attualmente", "in corso"),
    "Dutch": ("heden", "nu", "huidig"),
    "Polish": ("obecnie", "teraz"),
    "Russian": ("настоящее время", "по настоящее время", "наст. время", "н.в.", "сейчас"),
    "Ukrainian": ("теперішній час", "дотепер", "зараз"),
    "Chinese": ("至今", "迄今", "现在", "目前", "今"),
    "Japanese": ("現在", "現職", "至今", "現在に至る"),
    "Korean": ("현재", "재직중", "재직 중"),
    "Turkish": ("günümüz", "günümüze kadar", "halen", "devam ediyor"),
    "Swedish, Norwegian, Danish": (
        "nu", "nå", "pågående", "i dag", "idag", "dags dato", "igangværende",
    ),
    "Czech": ("současnost", "dosud"),
    "Greek": ("σήμερα", "τώρα"),
}  # fmt: skip

ONGOING_WORDS: frozenset[str] = frozenset(
    word for words in _ONGOING_BY_LANGUAGE.values() for word in words
)
"""End-date values meaning "until now", as people write them, in many languages.

Matching (:func:`is_ongoing`) ignores case, accents (but not the ring of ``å``), punctuation
and spacing, and takes only the whole value: "Current Inc." is a name, not a date.
"""

_ONGOING_LEADS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "English": ("to", "till", "until", "up to", "through"),
    "French": ("jusqu'à",),
    "German": ("bis",),
    "Spanish": ("hasta", "hasta la"),
    "Portuguese": ("até",),
    "Italian": ("fino a", "fino ad", "ad"),
    "Dutch": ("tot", "tot op"),
    "Polish, Czech": ("do",),
    "Russian, Ukrainian": ("по", "до"),
    "Swedish, Norwegian, Danish": ("till", "til"),
    "Greek": ("έως", "μέχρι"),
}

ONGOING_LEADS: frozenset[str] = frozenset(
    word for words in _ONGOING_LEADS_BY_LANGUAGE.values() for word in words
)
"""Words that may come before an ongoing word: "until today", "jusqu'à présent", "tot heden"."""

_WORD = re.compile(r"[^\W_]+")


def _key(text: str) -> str:
    """The words of ``text`` folded and joined by single spaces: punctuation and spacing vanish."""
    return " ".join(_WORD.findall(_fold(text)))


_ONGOING_KEYS = frozenset(_key(word) for word in ONGOING_WORDS)
_LEAD_KEYS = frozenset(_key(word) for word in ONGOING_LEADS)


def is_ongoing(text: str) -> bool:
    """Whether an end date says "until now" (so the entry has no end date).

    The whole value must be one of :data:`ONGOING_WORDS`, optionally after one of
    :data:`ONGOING_LEADS`; a lone dash or an empty string is not enough to decide.
    """
    if len(text) > MAX_LENGTH:
        return False
    key = _key(text)
    if key in _ONGOING_KEYS:
        return True
    lead, _, rest = key.partition(" ")
    while rest:
        if lead in _LEAD_KEYS and rest in _ONGOING_KEYS:
            return True
        word, _, rest = rest.partition(" ")
        lead = f"{lead} {word}"
    return False


# --- months ----------------------------------------------------------------------------------

_MONTH_SPELLINGS: dict[str, tuple[tuple[str, ...], ...]] = {
    "English": (
        ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
        ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
        ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
        ("december", "dec"),
    ),
    "French": (
        ("janvier", "janv"), ("février", "févr", "fév"), ("mars",), ("avril", "avr"),
        ("mai",), ("juin",), ("juillet", "juil"), ("août",), ("septembre", "sept"),
        ("octobre", "oct"), ("novembre", "nov"), ("décembre", "déc"),
    ),
    "German": (
        ("januar", "jänner", "jan"), ("februar", "feb"), ("märz", "maerz", "mär", "mrz"),
        ("april", "apr"), ("mai",), ("juni", "jun"), ("juli", "jul"), ("august", "aug"),
        ("september", "sep", "sept"), ("oktober", "okt"), ("november", "nov"),
        ("dezember", "dez"),
    ),
    "Spanish": (
        ("enero", "ene"), ("febrero", "feb"), ("marzo", "mar"), ("abril", "abr"),
        ("mayo", "may"), ("junio", "jun"), ("julio", "jul"), ("agosto", "ago"),
        ("septiembre", "setiembre", "sep", "sept", "set"), ("octubre", "oct"),
        ("noviembre", "nov"), ("diciembre", "dic"),
    ),
    "Portuguese": (
        ("janeiro", "jan"), ("fevereiro", "fev"), ("março", "mar"), ("abril", "abr"),
        ("maio", "mai"), ("junho", "jun"), ("julho", "jul"), ("agosto", "ago"),
        ("setembro", "set"), ("outubro", "out"), ("novembro", "nov"), ("dezembro", "dez"),
    ),
    "Italian": (
        ("gennaio", "gen"), ("febbraio", "feb"), ("marzo", "mar"), ("aprile", "apr"),
        ("maggio", "mag"), ("giugno", "giu"), ("luglio", "lug"), ("agosto", "ago"),
        ("settembre", "set", "sett"), ("ottobre", "ott"), ("novembre", "nov"),
        ("dicembre", "dic"),
    ),
    "Dutch": (
        ("januari", "jan"), ("februari", "feb"), ("maart", "mrt"), ("april", "apr"),
        ("mei",), ("juni", "jun"), ("juli", "jul"), ("augustus", "aug"),
        ("september", "sep", "sept"), ("oktober", "okt"), ("november", "nov"),
        ("december", "dec"),
    ),
}  # fmt: skip
"""Month names and their usual abbreviations, January first, as people write them."""


def _month_table() -> dict[str, int]:
    """Folded spelling -> month number; a spelling meaning two months would be a bug."""
    table: dict[str, int] = {}
    for language, months in _MONTH_SPELLINGS.items():
        if len(months) != 12:
            raise RuntimeError(f"{language} has {len(months)} months")
        for number, spellings in enumerate(months, start=1):
            for spelling in spellings:
                key = _fold(spelling)
                if table.setdefault(key, number) != number:
                    raise RuntimeError(f"{spelling!r} ({language}) names two months")
    return table


_MONTHS = _month_table()

_FILLERS = frozenset({"de", "del", "el", "le", "of", "the"})
"""Words around a written date that carry nothing: "12 de septiembre de 2022"."""

_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th", "er", "o", "a"})
"""After a day: 1st, 2nd, 3rd, 12th, French 1er, Spanish/Portuguese 1º (NFKC makes º an o)."""

# --- patterns --------------------------------------------------------------------------------

_ISO_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?",
    re.ASCII | re.IGNORECASE,
)
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
_NUMERIC = re.compile(
    r"([0-9]{1,4})\s*([-/.])\s*([0-9]{1,4})(?:\s*([-/.])\s*([0-9]{1,4}))?", re.ASCII
)
_CJK = re.compile(
    r"([0-9]{4})\s*[年년]\s*(?:([0-9]{1,2})\s*[月월]\s*(?:([0-9]{1,2})\s*[日号일]\s*)?)?",
    re.ASCII,
)
_NAMED_PIECE = re.compile(
    r"(?P<number>[0-9]+)|(?P<word>[^\W\d_]+)|(?P<separator>[\s.,/-]+)|(?P<other>.)",
    re.DOTALL,
)


# --- reading ---------------------------------------------------------------------------------

FREE_TEXT_MAX_LENGTH = 100
"""A date in words longer than this is no date: it stays an error."""

_LETTER = re.compile(r"[^\W\d_]")


def is_free_text(text: str) -> bool:
    """Whether ``text``, which :func:`read_date` cannot read, is a date written in words
    ("Summer 2019", "Disponible à partir de septembre 2021"), to be printed as written: it has
    a letter, and at most :data:`FREE_TEXT_MAX_LENGTH` characters."""
    return len(text.strip()) <= FREE_TEXT_MAX_LENGTH and _LETTER.search(text) is not None


def read_date(text: str) -> str | None:
    """The ISO form (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) of a date written in a common way.

    ``None`` when the text is not a date or could be read as two different dates; see the
    module's docstring for the accepted forms.
    """
    if len(text) > MAX_LENGTH:
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    if _YEAR.fullmatch(text):
        return _iso(text)
    if match := _ISO_DATETIME.fullmatch(text):
        return _iso(*match.groups())
    if match := _CJK.fullmatch(text):
        return _iso(*match.groups())
    if match := _NUMERIC.fullmatch(text):
        return _read_numeric(*match.groups())
    return _read_named(text)


def _iso(year: str, month: str | None = None, day: str | None = None) -> str | None:
    """The ISO form of the parts, or ``None`` if they are no calendar date the schema allows."""
    if len(year) != 4 or not _MIN_YEAR <= int(year) <= _MAX_YEAR:
        return None
    if month is None:
        return year
    if len(month) > 2 or not 1 <= int(month) <= 12:
        return None
    if day is None:
        return f"{year}-{int(month):02d}"
    if len(day) > 2:
        return None
    try:
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _read_numeric(
    first: str, separator: str, second: str, separator2: str | None, third: str | None
) -> str | None:
    """Two or three numbers joined by ``-``, ``/`` or ``.`` (one kind of separator only)."""
    if third is None:
        if len(first) == 4:
            return _iso(first, second)
        if len(second) == 4:
            return _iso(second, first)
        return None
    if separator2 != separator:
        return None
    if len(first) == 4:
        return _iso(first, second, third)
    if len(third) != 4 or len(first) > 2 or len(second) > 2:
        return None
    if separator == ".":
        return _iso(third, second, first)
    # Day-first or month-first: read it only when one reading is impossible or both agree.
    a, b = int(first), int(second)
    if a > 12 >= b:
        return _iso(third, second, first)
    if b > 12 >= a:
        return _iso(third, first, second)
    if a == b:
        return _iso(third, first, second)
    return None


def _read_named(text: str) -> str | None:
    """A date with its month written as a word: "Sep 2022", "12 September 2022", ..."""
    pieces: list[tuple[str, str]] = []  # ("year" | "day" | "month", value)
    last = ""  # the kind of the previous piece, separators included
    for match in _NAMED_PIECE.finditer(_fold(text)):
        kind, value = match.lastgroup or "other", match.group()
        if kind == "other":
            return None
        if kind == "number":
            if len(value) == 4:
                pieces.append(("year", value))
            elif len(value) <= 2:
                pieces.append(("day", value))
            else:
                return None
        elif kind == "word":
            if last == "number" and pieces[-1][0] == "day" and value in _ORDINAL_SUFFIXES:
                pass
            elif value in _MONTHS:
                pieces.append(("month", str(_MONTHS[value])))
            elif value not in _FILLERS:
                return None
        last = kind
    kinds = tuple(kind for kind, _ in pieces)
    parts = dict(pieces)
    if kinds in (("month", "year"), ("year", "month")):
        return _iso(parts["year"], parts["month"])
    if kinds in (("day", "month", "year"), ("month", "day", "year"), ("year", "month", "day")):
        return _iso(parts["year"], parts["month"], parts["day"])
    return None
