"""The data's characters checked against what the template can set: the usual document, with
nothing to clean, comes back as it was (with its text kept for the language's detection); one
with something to clean is cleaned and warned about, as before."""

from __future__ import annotations

import pytest

from rendering.errors import UnsupportedCharacter
from rendering.filling import strings_of
from rendering.reading import Reading, check_characters
from rendering.reading._characters import PICTOGRAPH_WARNING


def test_a_document_with_nothing_to_clean_is_kept_as_it_is() -> None:
    data = {"basics": {"name": "Jürgen", "profiles": [{"network": "x", "score": 3}]}}
    reading = check_characters(Reading(data))
    assert reading.data is data
    assert reading.warnings == ()
    assert reading.text == "".join(strings_of(data)) == "Jürgenx"


def test_a_document_with_something_to_clean_is_cleaned_and_warned_about() -> None:
    data = {"basics": {"name": "Ada 🚀", "label": "Dev\ufeff"}, "work": [{"name": "Acme"}]}
    reading = check_characters(Reading(data))
    assert reading.data == {"basics": {"name": "Ada ", "label": "Dev"}, "work": [{"name": "Acme"}]}
    assert [(w.pointer, w.message) for w in reading.warnings] == [
        ("/basics/name", PICTOGRAPH_WARNING)
    ]
    assert reading.text is None  # read again from the cleaned data when it is needed


def test_characters_no_path_can_set_are_all_named() -> None:
    with pytest.raises(UnsupportedCharacter) as caught:
        check_characters(Reading({"a": "Ада", "b": ["中"]}))
    assert [e.pointer for e in caught.value.errors] == ["/a", "/b/0"]
