"""What the document's language asks of the reading: the Unicode path when its words need it,
and a warning when texrender has no words for it or cannot set them."""

from __future__ import annotations

import dataclasses
from typing import Any

from rendering.filling import language_of
from rendering.reading import Reading, check_language
from rendering.reading._language import NO_UNICODE_PATH, UNKNOWN_LANGUAGE
from rendering.typesetting import UnicodeCoverage

EVERYTHING = UnicodeCoverage(((0x20, 0x10FFFF),))
LATIN_ONLY = UnicodeCoverage(((0x20, 0x24F),))


def ascii_resume(language: object) -> dict[str, Any]:
    return {"meta": {"language": language}, "basics": {"name": "Ada Example"}}


def test_words_in_another_script_take_the_unicode_path() -> None:
    for language in ("ru", "el", "ar", "he", "zh-Hant", "ja", "ko", "Русский"):
        reading = check_language(Reading(ascii_resume(language)), unicode=EVERYTHING)
        assert reading.unicode, language
        assert reading.warnings == (), language


def test_latin_words_stay_on_the_fast_path() -> None:
    for language in ("en", "fr", "de", "es", "it", "pt", "nl", "pl", "tr"):
        reading = check_language(Reading(ascii_resume(language)), unicode=EVERYTHING)
        assert not reading.unicode, language
        assert reading.warnings == ()


def test_without_a_path_for_them_the_words_are_english_and_said() -> None:
    for coverage in (None, LATIN_ONLY):
        reading = check_language(Reading(ascii_resume("ru")), unicode=coverage)
        assert not reading.unicode
        assert [(w.pointer, w.message) for w in reading.warnings] == [
            ("/meta/language", NO_UNICODE_PATH)
        ]


def test_an_unknown_language_is_said_at_its_pointer() -> None:
    reading = check_language(Reading(ascii_resume("Klingon")), unicode=EVERYTHING)
    assert [(w.pointer, w.message) for w in reading.warnings] == [
        ("/meta/language", UNKNOWN_LANGUAGE)
    ]
    assert "Klingon" not in UNKNOWN_LANGUAGE  # messages name the rule, never the value


def test_a_document_already_on_the_unicode_path_stays_there() -> None:
    reading = Reading({"basics": {"name": "Иван"}}, unicode=True)
    checked = check_language(reading, unicode=EVERYTHING)
    assert checked == dataclasses.replace(reading, language=language_of(reading.data))


def test_the_language_found_is_kept_for_the_fill() -> None:
    for language in ("fr", "Klingon", "ru"):
        for coverage in (None, EVERYTHING):
            data = ascii_resume(language)
            reading = check_language(Reading(data), unicode=coverage)
            assert reading.language == language_of(data)
    # From the text a check has read already, when it has (what the letters say).
    reading = check_language(Reading({"basics": {"name": "Ada"}}, text="Привет мир"))
    assert reading.language is not None
    assert reading.language.words == "ru"


def test_what_was_found_is_dropped_with_the_data_it_was_found_in() -> None:
    reading = Reading({"a": "Ada"}, text="Ada", language=language_of({"a": "Ada"}))
    assert reading.with_more(reading.data, []).language == reading.language
    changed = reading.with_more({"a": "Bea"}, [])
    assert changed.text is None
    assert changed.language is None


def test_data_that_is_not_an_object_is_left_alone() -> None:
    data: object
    for data in (None, [], "text"):
        reading = Reading(data)
        assert check_language(reading, unicode=EVERYTHING) is reading
