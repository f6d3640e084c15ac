# ruff: noqa: RUF001 - words in Cyrillic and Greek, whose letters look like Latin ones
"""The document's language, chosen in one place (meta.language read leniently, else the
data's letters, else English), and the words and dates texrender prints in it."""

from __future__ import annotations

from typing import Any

import pytest

from rendering.filling import LANGUAGES, Language, language_names, language_of, words_for
from rendering.filling._templating import date_range, format_date, long_date
from rendering.reading._charset import unsupported

REQUIRED = ["en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "uk", "el", "tr", "ar", "he"]
REQUIRED += ["zh", "ja", "ko"]


def meta(language: object) -> dict[str, Any]:
    return {"meta": {"language": language}, "basics": {"name": "Ada"}}


@pytest.mark.parametrize(
    ("declared", "words", "tag"),
    [
        ("fr", "fr", "fr"),
        ("fr-CA", "fr", "fr-CA"),
        ("pt_BR", "pt", "pt-BR"),
        ("DE-at", "de", "DE-at"),
        ("zh", "zh", "zh"),
        ("zh-Hans-CN", "zh", "zh-Hans-CN"),
        ("zh-Hant", "zh-Hant", "zh-Hant"),
        ("zh_TW", "zh-Hant", "zh-TW"),
        ("zh-HK", "zh-Hant", "zh-HK"),
        ("iw", "he", "iw"),
        ("fra", "fr", "fra"),
        ("ger", "de", "ger"),
        ("French", "fr", "fr"),
        ("français", "fr", "fr"),
        ("Francais", "fr", "fr"),
        ("Deutsch", "de", "de"),
        ("Português (Brasil)", "pt", "pt"),
        ("русский", "ru", "ru"),
        ("Українська", "uk", "uk"),
        ("Ελληνικά", "el", "el"),
        ("العربية", "ar", "ar"),
        ("日本語", "ja", "ja"),
        ("한국어", "ko", "ko"),
        ("繁體中文", "zh-Hant", "zh-Hant"),
        ("  en-GB ", "en", "en-GB"),
    ],
)
def test_a_declared_language_is_read_leniently(declared: str, words: str, tag: str) -> None:
    language = language_of(meta(declared))
    assert (language.words, language.tag, language.known) == (words, tag, True)


@pytest.mark.parametrize(
    ("declared", "tag"),
    [
        ("sv", "sv"),  # a language, but not one texrender has words for
        ("sv-SE", "sv-SE"),
        ("Klingon", "en"),
        ("12", "en"),
        ("}\\input{/etc/passwd}", "en"),  # never written into TeX
    ],
)
def test_an_unknown_language_is_english_and_said(declared: str, tag: str) -> None:
    language = language_of(meta(declared))
    assert (language.words, language.tag, language.known) == ("en", tag, False)
    assert language.declared == declared


@pytest.mark.parametrize("declared", [None, "", "  ", 5, ["fr"], {"code": "fr"}])
def test_no_usable_declaration_means_detection(declared: object) -> None:
    assert language_of(meta(declared)) == Language()  # "Ada": Latin letters, English


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Γιώργος Παπαδόπουλος, μηχανικός λογισμικού", "el"),
        ("مهندسة برمجيات في عمّان", "ar"),
        ("מהנדסת תוכנה בתל אביב", "he"),
        ("소프트웨어 엔지니어", "ko"),
        ("ソフトウェアエンジニア 東京都", "ja"),
        ("软件工程师 北京", "zh"),
        ("Инженер-программист, Москва", "ru"),
        ("Інженерка-програмістка, Київ", "uk"),
        ("Software engineer in Lyon", "en"),
        ("Разрабатываю платёжные сервисы на Python и Go, настраиваю Kubernetes", "ru"),
        # A Cyrillic name in an English résumé is an English résumé.
        ("Иван Петров. Senior software engineer building payment systems in Berlin", "en"),
        # Chinese with English words: a Han character says as much as a few letters.
        ("负责支付系统的 Kubernetes 集群和 PostgreSQL 数据库", "zh"),
        ("", "en"),
        ("2019 – 2021", "en"),
    ],
)
def test_without_a_declaration_the_letters_tell(text: str, code: str) -> None:
    assert language_of({"basics": {"summary": text}}) == Language(words=code, tag=code)


def test_every_required_language_has_every_word() -> None:
    assert set(REQUIRED) <= set(LANGUAGES)
    english = words_for("en").text.keys()
    for code, words in LANGUAGES.items():
        assert words.text.keys() == english, code
        assert all(word.strip() for word in words.text.values() if word != words.text["colon"])
        assert len(words.months_short) == len(words.months) == len(words.months_day) == 12


def test_the_script_of_the_words_says_which_path_sets_them() -> None:
    """``script = "Latin"`` is what sends a document to the fast path: it must be true."""
    for code, words in LANGUAGES.items():
        assert words.latin == (not unsupported(words.all_text)), code


def test_a_language_texrender_lacks_falls_back_to_english_words() -> None:
    assert words_for("sv") is words_for("en")


@pytest.mark.parametrize(
    ("code", "month", "letter", "first", "present"),
    [
        ("en", "Sep 2021", "5 December 2026", "1 December 2026", "Present"),
        ("fr", "sept. 2021", "5 décembre 2026", "1er décembre 2026", "aujourd’hui"),
        ("de", "Sept. 2021", "5. Dezember 2026", "1. Dezember 2026", "heute"),
        ("es", "sept. 2021", "5 de diciembre de 2026", "1 de diciembre de 2026", "actualidad"),
        ("it", "set 2021", "5 dicembre 2026", "1 dicembre 2026", "oggi"),
        ("pt", "set. 2021", "5 de dezembro de 2026", "1 de dezembro de 2026", "atual"),
        ("nl", "sep. 2021", "5 december 2026", "1 december 2026", "heden"),
        ("pl", "wrz 2021", "5 grudnia 2026", "1 grudnia 2026", "obecnie"),
        ("ru", "сент. 2021", "5 декабря 2026 г.", "1 декабря 2026 г.", "настоящее время"),
        ("uk", "вер. 2021", "5 грудня 2026 р.", "1 грудня 2026 р.", "дотепер"),
        ("el", "Σεπ 2021", "5 Δεκεμβρίου 2026", "1 Δεκεμβρίου 2026", "σήμερα"),
        ("tr", "Eyl 2021", "5 Aralık 2026", "1 Aralık 2026", "günümüz"),
        ("ar", "سبتمبر 2021", "5 ديسمبر 2026", "1 ديسمبر 2026", "حتى الآن"),
        ("he", "ספטמבר 2021", "5 בדצמבר 2026", "1 בדצמבר 2026", "היום"),
        ("zh", "2021年9月", "2026年12月5日", "2026年12月1日", "至今"),
        ("ja", "2021年9月", "2026年12月5日", "2026年12月1日", "現在"),
        ("ko", "2021년 9월", "2026년 12월 5일", "2026년 12월 1일", "현재"),
    ],
)  # fmt: skip
def test_dates_in_each_language(
    code: str, month: str, letter: str, first: str, present: str
) -> None:
    words = words_for(code)
    assert format_date("2021-09-28", words=words) == month
    assert format_date("2021", words=words) == "2021"
    assert long_date("2026-12-05", words=words) == letter
    assert long_date("2026-12-01", words=words) == first
    assert date_range("2021-09", None, words=words) == f"{month} \u2013 {present}"


def test_a_month_alone_in_a_letter_is_nominative() -> None:
    assert long_date("2026-12", words=words_for("ru")) == "декабрь 2026 г."
    assert long_date("2026-12", words=words_for("pl")) == "grudzień 2026"
    assert long_date("2026-12", words=words_for("de")) == "Dezember 2026"


@pytest.mark.parametrize(
    "text",
    ["Summer 2019", "Disponible à partir de septembre 2021", "2019 – heute", "2021-09-28T10:00"],
)
def test_text_that_is_not_an_iso_date_prints_as_written(text: str) -> None:
    for code in ("en", "fr", "ja"):
        assert format_date(text, words=words_for(code)) == text
        assert long_date(text, words=words_for(code)) == text
        assert date_range(text, None, words=words_for(code)) == text


def test_the_names_a_template_gets() -> None:
    names = language_names(meta("de"))
    assert names["texrender_words"]["experience"] == "Berufserfahrung"
    assert (names["texrender_lang"], names["texrender_patterns"]) == ("de", "ngerman")
    # Words the fast path cannot set are English there (the reading sends such a document to
    # the Unicode path, or warns).
    assert language_names(meta("ru"))["texrender_words"]["experience"] == "Experience"
    assert language_names(meta("ru"), unicode=True)["texrender_words"]["experience"] == (
        "Опыт работы"
    )
    assert language_names(meta("ru"))["texrender_lang"] == "ru"
    # No patterns for a language texrender does not know: another's would break words wrongly.
    assert language_names(meta("sv"))["texrender_patterns"] == ""
    assert language_names(meta("ja"), unicode=True)["texrender_patterns"] == ""
