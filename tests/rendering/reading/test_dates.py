"""Reading dates as people write them (``read_date``) and "until now" words (``is_ongoing``):
tables of forms that must and must not be read, then properties over any text."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rendering.reading._dates import (
    ACCEPTED_FORMS,
    MAX_LENGTH,
    ONGOING_LEADS,
    ONGOING_WORDS,
    is_ongoing,
    read_date,
)

# The pattern JSON Resume v1.0.0 gives its dates.
SCHEMA_DATE = re.compile(
    r"^([1-2][0-9]{3}-[0-1][0-9]-[0-3][0-9]|[1-2][0-9]{3}-[0-1][0-9]|[1-2][0-9]{3})$"
)

HUGE = "2023-09-28" * 100_000  # a megabyte

# --- read_date: forms that are read -----------------------------------------------------------

READ = [
    # ISO, returned unchanged
    ("2019", "2019"),
    ("2023-09", "2023-09"),
    ("2023-09-28", "2023-09-28"),
    ("1000-01-01", "1000-01-01"),
    ("2999-12-31", "2999-12-31"),
    ("  2019 ", "2019"),
    ("\t2023-09-28\n", "2023-09-28"),
    # ISO, unpadded or with a time
    ("2023-9-28", "2023-09-28"),
    ("2023-9", "2023-09"),
    ("2023-09-28T10:00:00Z", "2023-09-28"),
    ("2023-09-28T23:30:00-05:00", "2023-09-28"),
    ("2023-09-28T10:00:00.123+0200", "2023-09-28"),
    ("2023-09-28 10:00", "2023-09-28"),
    # year first with / or .
    ("2024/3", "2024-03"),
    ("2024/03/05", "2024-03-05"),
    ("2023.09", "2023-09"),
    ("2023.09.28", "2023-09-28"),
    # month and year
    ("07/2025", "2025-07"),
    ("7/2025", "2025-07"),
    ("09.2023", "2023-09"),
    ("09-2023", "2023-09"),
    ("09 / 2023", "2023-09"),
    # dots: day first
    ("28.09.2023", "2023-09-28"),
    ("1.2.2023", "2023-02-01"),
    ("28. 9. 2023", "2023-09-28"),
    # three numbers with / or -: read when unambiguous
    ("28/09/2023", "2023-09-28"),
    ("09/28/2023", "2023-09-28"),
    ("28-09-2023", "2023-09-28"),
    ("9/28/2023", "2023-09-28"),
    ("04/04/2023", "2023-04-04"),
    ("29/02/2024", "2024-02-29"),
    # English month names
    ("September 2022", "2022-09"),
    ("Sep 2022", "2022-09"),
    ("Sept. 2022", "2022-09"),
    ("sep. 2022", "2022-09"),
    ("SEP 2022", "2022-09"),
    ("2022 September", "2022-09"),
    ("September, 2022", "2022-09"),
    ("Sep-2022", "2022-09"),
    ("May 2020", "2020-05"),
    ("12 September 2022", "2022-09-12"),
    ("September 12, 2022", "2022-09-12"),
    ("September 12th, 2022", "2022-09-12"),
    ("1st of March 2021", "2021-03-01"),
    ("12-Sep-2022", "2022-09-12"),
    ("2022 Sep 12", "2022-09-12"),
    ("February 29, 2024", "2024-02-29"),
    # French
    ("janvier 2020", "2020-01"),
    ("janv. 2020", "2020-01"),
    ("févr. 2021", "2021-02"),
    ("fevr 2021", "2021-02"),
    ("août 2019", "2019-08"),
    ("aout 2019", "2019-08"),
    ("décembre 2018", "2018-12"),
    ("1er janvier 2020", "2020-01-01"),
    ("12 juillet 2021", "2021-07-12"),
    # German
    ("Januar 2020", "2020-01"),
    ("Jänner 2020", "2020-01"),
    ("März 2020", "2020-03"),
    ("Maerz 2020", "2020-03"),
    ("Mai 2020", "2020-05"),
    ("Okt 2019", "2019-10"),
    ("Dez. 2019", "2019-12"),
    ("12. Oktober 2019", "2019-10-12"),
    # Spanish
    ("enero 2020", "2020-01"),
    ("ene. 2020", "2020-01"),
    ("septiembre de 2022", "2022-09"),
    ("setiembre 2022", "2022-09"),
    ("12 de diciembre de 2022", "2022-12-12"),
    ("1º de mayo de 2022", "2022-05-01"),
    # Portuguese
    ("março 2021", "2021-03"),
    ("setembro de 2022", "2022-09"),
    ("out. 2022", "2022-10"),
    ("fev 2022", "2022-02"),
    # Italian
    ("gennaio 2020", "2020-01"),
    ("giu 2020", "2020-06"),
    ("ottobre 2020", "2020-10"),
    ("12 settembre 2022", "2022-09-12"),
    # Dutch
    ("maart 2020", "2020-03"),
    ("mrt 2020", "2020-03"),
    ("mei 2020", "2020-05"),
    ("1 augustus 2020", "2020-08-01"),
    # Chinese, Japanese, Korean
    ("2022年", "2022"),
    ("2022年9月", "2022-09"),
    ("2022年9月28日", "2022-09-28"),
    ("2022 年 9 月", "2022-09"),
    ("２０２２年９月", "2022-09"),
    ("2022년 9월", "2022-09"),
    ("2022년 9월 28일", "2022-09-28"),
]


@pytest.mark.parametrize(("text", "iso"), READ, ids=[text for text, _ in READ])
def test_a_date_written_in_a_common_way_is_read(text: str, iso: str) -> None:
    assert read_date(text) == iso
    assert SCHEMA_DATE.match(iso)


# --- read_date: forms that are refused -------------------------------------------------------

REFUSED = [
    # ambiguous: day-first or month-first
    "03/04/2023",
    "12/11/2020",
    "03-04-2023",
    # two-digit years
    "Sep '22",
    "Sep 22",
    "09/23",
    "28.09.23",
    "22",
    # impossible dates
    "2023-13",
    "2023-00",
    "2023-09-00",
    "2023-02-29",
    "2023-02-30",
    "2024-02-30",
    "2023-04-31",
    "31.04.2023",
    "13/2023",
    "13/13/2023",
    "February 30, 2022",
    "32 January 2022",
    "2022年13月",
    # years outside the schema's range
    "0999",
    "999",
    "3000",
    "0999-12",
    "3000-01-01",
    "12/3000",
    "Sep 3000",
    # not dates, or not exact enough to be one date
    "",
    "   ",
    "Q3 2022",
    "Spring 2022",
    "circa 2019",
    "ca. 2019",
    "c. 2019",
    "~2019",
    "2019?",
    "Present",
    "September",
    "September 12",
    "12 September",
    "Sep 2022 Oct",
    "Sep Oct 2022",
    "2022 2023",
    "2019-2020",
    "2019 - 2020",
    "Sep 2019 - Oct 2020",
    "20230928",
    "202309",
    "2023-W39",
    "2023-271",
    "2023/09-28",
    "2023-09-28T25",
    "12345",
    "12th 2022",
    "1x September 2022",
    "garbage",
    "Smarch 2022",
    "令和5年",
    "٢٠٢٣",
    "2023-09-28\x00",
    HUGE,
    " " * (MAX_LENGTH + 1) + "2019",
]


@pytest.mark.parametrize("text", REFUSED, ids=[text[:30] for text in REFUSED])
def test_a_text_that_is_no_single_date_is_refused(text: str) -> None:
    assert read_date(text) is None


def test_hostile_input_is_refused() -> None:
    # Refused by length before any pattern runs (speed is for benchmarks, not tests).
    for text in (HUGE, "9" * 1_000_000, "Sep " * 250_000, " " * 1_000_000):
        assert read_date(text) is None
        assert not is_ongoing(text)


def test_accepted_forms_name_forms_that_are_read() -> None:
    for form in re.findall(r'[0-9][0-9-]*|"[^"]+"', ACCEPTED_FORMS):
        assert read_date(form.strip('"')) is not None, form


# --- is_ongoing ------------------------------------------------------------------------------

ONGOING = [
    # English
    "present", "Present", "PRESENT", "present.", "(present)", "- present", "\u2013 Present",
    "now", "current", "Currently", "ongoing", "today", "to date", "To-Date", "till date",
    "to present", "until now", "up to now", "until today", "through present", "present day",
    # French
    "en cours", "aujourd'hui", "Aujourd\u2019hui", "à ce jour", "A CE JOUR", "actuel",
    "actuellement", "présent", "jusqu'à présent", "Jusqu\u2019à aujourd\u2019hui",
    # German
    "heute", "aktuell", "derzeit", "bis heute", "laufend", "jetzt", "bis jetzt", "bis dato",
    # Spanish
    "actualidad", "actual", "presente", "hoy", "en curso", "hasta hoy", "hasta la actualidad",
    "hasta la fecha",
    # Portuguese
    "atual", "atualmente", "presente", "o momento", "até o momento", "hoje", "até hoje",
    "até ao momento",
    # Italian
    "oggi", "ad oggi", "fino ad oggi", "presente", "attuale", "in corso",
    # Dutch
    "heden", "tot heden", "tot op heden", "nu", "tot nu", "huidig",
    # Polish
    "obecnie", "teraz", "do teraz",
    # Russian
    "настоящее время", "по настоящее время", "По настоящее время", "наст. время", "н.в.",
    "по н.в.", "сейчас",
    # Ukrainian
    "теперішній час", "по теперішній час", "дотепер",
    # Chinese
    "至今", "现在", "目前", "今",
    # Japanese
    "現在", "現職", "現在に至る",
    # Korean
    "현재",
    # Turkish
    "günümüz", "GÜNÜMÜZ", "gunumuz", "halen", "HALEN", "devam ediyor",
    # Swedish, Norwegian, Danish
    "nu", "nå", "NÅ", "pågående", "i dag", "idag", "till idag", "til i dag", "dags dato",
    # Czech
    "současnost", "soucasnost",
    # Greek
    "σήμερα", "ΣΉΜΕΡΑ", "σημερα", "τώρα", "έως σήμερα",
]  # fmt: skip


@pytest.mark.parametrize("text", ONGOING)
def test_until_now_in_many_languages_is_ongoing(text: str) -> None:
    assert is_ongoing(text)


NOT_ONGOING = [
    "",
    " ",
    "-",
    "\u2013",
    "?",
    "...",
    "2019",
    "2019-09",
    "Sep 2022",
    "Presentation",
    "presently employed elsewhere",
    "nowhere",
    "know",
    "Current Inc.",
    "Present Company",
    "now and then",
    "today's date",
    "current job",
    "2019 - present",  # a range is not an end date
    "to",
    "until",
    "up to",
    "bis",
    "to tomorrow",
    "NA",  # not applicable; Norwegian "nå" keeps its ring
    "na",
    "N/A",
    "none",
    "null",
    "never",
    "soon",
    "hier",
    "gestern",
    "ayer",
    "天",
    "present" * 20,
]


@pytest.mark.parametrize("text", NOT_ONGOING)
def test_other_values_are_not_ongoing(text: str) -> None:
    assert not is_ongoing(text)


def test_every_listed_word_is_ongoing_and_no_date() -> None:
    for word in ONGOING_WORDS:
        assert is_ongoing(word), word
        assert is_ongoing(word.upper()), word
        assert is_ongoing(f" ({word}) "), word
        assert read_date(word) is None, word
    for lead in ONGOING_LEADS:
        assert not is_ongoing(lead), lead
        assert is_ongoing(f"{lead} present"), lead


# --- properties ------------------------------------------------------------------------------

DATE_PIECES = st.sampled_from(
    [
        *"0123456789",
        "2023", "1999", "12", "31", "02", "29", "13",
        "-", "/", ".", " ", ",", ":", "T", "Z", "+", "'",
        "年", "月", "日", "년", "월", "일",
        "Sep", "sept.", "May", "März", "févr", "de", "of", "th", "er", "º", "Q",
    ]
)  # fmt: skip
DATE_LIKE = st.lists(DATE_PIECES, max_size=8).map("".join)


def is_schema_date(text: str) -> bool:
    if not SCHEMA_DATE.match(text):
        return False
    parts = [int(part) for part in text.split("-")] + [1, 1]
    try:
        datetime.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


@given(st.text() | DATE_LIKE)
def test_any_text_reads_as_nothing_or_a_real_schema_date(text: str) -> None:
    iso = read_date(text)
    assert iso is None or is_schema_date(iso)
    if iso is not None:
        assert read_date(iso) == iso
    assert isinstance(is_ongoing(text), bool)


SCHEMA_DATES = st.dates(min_value=datetime.date(1000, 1, 1), max_value=datetime.date(2999, 12, 31))


@given(SCHEMA_DATES)
def test_every_iso_date_reads_as_itself(day: datetime.date) -> None:
    iso = day.isoformat()
    for form in (iso, iso[:7], iso[:4]):
        assert read_date(form) == form
        assert read_date(f" {form}\n") == form


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@given(SCHEMA_DATES)
def test_written_forms_of_a_date_read_as_it(day: datetime.date) -> None:
    iso, month = day.isoformat(), day.isoformat()[:7]
    name = MONTHS[day.month - 1]
    assert read_date(f"{day.day}.{day.month}.{day.year}") == iso
    assert read_date(f"{day.day:02d}.{day.month:02d}.{day.year}") == iso
    assert read_date(f"{day.year}/{day.month}/{day.day}") == iso
    assert read_date(f"{day.day} {name} {day.year}") == iso
    assert read_date(f"{name} {day.day}, {day.year}") == iso
    assert read_date(f"{day.month}/{day.year}") == month
    assert read_date(f"{name[:3]} {day.year}") == month
    assert read_date(f"{day.year}年{day.month}月{day.day}日") == iso
    slashed = read_date(f"{day.day}/{day.month}/{day.year}")
    if day.day > 12 or day.day == day.month:
        assert slashed == iso
    else:
        assert slashed is None
