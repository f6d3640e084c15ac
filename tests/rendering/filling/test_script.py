"""A document's script, for its CJK face and its direction: from its language, or from its
letters when it names none."""

from __future__ import annotations

import pytest

from rendering.filling._script import Script, script_of


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh", Script("SC")),
        ("zh-Hans", Script("SC")),
        ("zh-CN", Script("SC")),
        ("zh-Hant", Script("TC")),
        ("zh_TW", Script("TC")),
        ("zh-HK", Script("HK")),
        ("zh-Hant-HK", Script("HK")),
        ("ja", Script("JP")),
        ("ko-KR", Script("KR")),
        ("ar", Script(rtl=True)),
        ("he", Script(rtl=True)),
        ("fa-IR", Script(rtl=True)),
    ],
)
def test_the_language_tag_decides(language: str, expected: Script) -> None:
    # The letters say otherwise: the language wins.
    assert script_of({"meta": {"language": language}, "basics": {"name": "Ada"}}) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("陈静怡", Script("SC")),
        ("山田 はなこ", Script("JP")),
        ("김민준 金", Script("KR")),
        ("ليلى حسن", Script(rtl=True)),
        ("Ada Lovelace, نويا", Script()),  # more Latin letters than Arabic ones
    ],
)
def test_without_a_language_the_letters_decide(name: str, expected: Script) -> None:
    assert script_of({"basics": {"name": name}, "meta": {"language": "en"}}) == expected
    assert script_of({"basics": {"name": name}}) == expected
