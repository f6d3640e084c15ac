"""Right-to-left values: their direction markup, and the text their spans give extractors
(which lay a span's text out left to right and reverse right-to-left runs themselves)."""

from __future__ import annotations

import pytest

from rendering.filling._bidi import RLM, bidi_tex, is_rtl, span_text, visual


def plain(text: str) -> str:
    return text


@pytest.mark.parametrize(
    ("text", "rtl"),
    [("שלום", True), ("Kubernetes ב־2020", False), ("2020 ليلى", True), ("2020", False)],
)
def test_the_first_strong_letter_gives_the_direction(text: str, rtl: bool) -> None:
    assert is_rtl(text) is rtl


def test_a_word_is_reversed_with_its_marks_and_its_other_runs_kept_in_order() -> None:
    word = "درّبت"
    assert visual(word) == word[::-1]  # character by character, the shadda too
    assert visual("ל־Kubernetes") == "Kubernetes־ל"
    assert visual("(مثال)") == ")لاثم("


def test_a_word_ending_in_punctuation_starts_with_a_right_to_left_mark() -> None:
    assert span_text("عامين") == "نيماع"
    assert span_text("عامين.") == RLM + ".نيماع"
    assert span_text("الدفع،") == RLM + "،عفدلا"


def test_a_right_to_left_value_nests_its_latin_runs() -> None:
    tex = bidi_tex("נבנה ב־Kubernetes 1.29.", plain, document_rtl=False)
    assert tex.startswith(r"\beginR{}")
    assert tex.endswith(r"\endR{}")
    # The run's first word, in a span after a right-to-left mark; the full stop stays outside.
    kubernetes = (RLM + "Kubernetes").encode("utf-16-be").hex().upper()
    assert rf"\beginL{{}}\trLtrText{{{kubernetes}}}{{Kubernetes}} 1.29\endL{{}}.\endR{{}}" in tex


def test_a_left_to_right_value_is_nested_only_in_a_right_to_left_document() -> None:
    assert bidi_tex("Sep 2019", plain, document_rtl=False) == "Sep 2019"
    assert bidi_tex("Sep 2019", plain, document_rtl=True) == r"\beginL{}Sep 2019\endL{}"
    assert bidi_tex("", plain, document_rtl=True) == ""


def test_brackets_are_drawn_mirrored_and_neutrals_kept_apart() -> None:
    tex = bidi_tex("في [الموعد].", plain, document_rtl=True)
    # The page shows "]" where the text has "[" (right-to-left text mirrors brackets); the span
    # gives the text as it is, in visual order.
    shown = r"]الموعد[\kern0pt{}."
    assert rf"{{{shown}}}" in tex
    assert (RLM + "].دعوملا[").encode("utf-16-be").hex().upper() in tex
