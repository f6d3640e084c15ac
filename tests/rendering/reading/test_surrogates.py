"""A lone surrogate is refused by reading itself, so render, validate and stored documents all
refuse it alike (issue 20); every other character, line separators included, is kept."""

from __future__ import annotations

import pytest

from rendering import Catalogue, InvalidData, surrogate_errors
from rendering.errors import DataTooLarge
from rendering.reading import check_sizes
from tests.conftest import TEST_TEMPLATES_DIR


def test_every_string_and_member_name_holding_one_is_named_in_document_order() -> None:
    data = {
        "fine": "é\u2028\u2029\x85\U0001f600",  # a pair, written whole, is a character
        "a\ud800": ["ok", "x\udfff", {"deep": {"y/~\udc00": "z\ud801"}}],
        "last": "\udbff",
    }
    errors = surrogate_errors(data)
    assert [(e.pointer, e.message.split(" (")[0]) for e in errors] == [
        ("/a\ud800", "its member name holds a lone surrogate"),
        ("/a\ud800/1", "holds a lone surrogate"),
        ("/a\ud800/2/deep/y~1~0\udc00", "its member name holds a lone surrogate"),
        ("/a\ud800/2/deep/y~1~0\udc00", "holds a lone surrogate"),
        ("/last", "holds a lone surrogate"),
    ]
    assert "U+DFFF" in errors[1].message
    assert surrogate_errors("\ud800")[0].pointer == ""
    assert surrogate_errors(data["fine"]) == []
    assert surrogate_errors({"n": [1, 2.5, None, True]}) == []


def test_the_walk_is_bounded_and_not_recursive() -> None:
    assert len(surrogate_errors(["\ud800"] * 500)) == 50
    deep: object = "\ud800"
    for _ in range(10_000):
        deep = [deep]
    assert len(surrogate_errors(deep)) == 1


def test_reading_refuses_it_as_invalid_data_before_any_size_check() -> None:
    with pytest.raises(InvalidData) as caught:
        check_sizes({"text": "\ud800" + "x" * 20_000})
    assert type(caught.value) is InvalidData  # invalid-data, not data-too-large
    assert [e.pointer for e in caught.value.errors] == ["/text"]
    with pytest.raises(DataTooLarge):
        check_sizes({"text": "x" * 20_000})


def test_a_member_name_holding_one_is_refused_in_data_of_every_size_else_fine() -> None:
    """The size walk looks for them in its texts and member names at once; a name alone is
    enough to refuse."""
    with pytest.raises(InvalidData) as caught:
        check_sizes({"work": [{"name": "Acme", "x\udfff": "y"}], "basics": {"name": "Ann"}})
    assert [e.pointer for e in caught.value.errors] == ["/work/0/x\udfff"]


@pytest.mark.parametrize("strict", [False, True])
def test_a_template_reads_it_as_invalid_data_whatever_the_mode(strict: bool) -> None:
    echo = Catalogue.load((TEST_TEMPLATES_DIR,)).get_template("echo")
    with pytest.raises(InvalidData) as caught:
        echo.check({"text": "a\ud800b", "meta": {"k\udc00": 1}}, strict=strict)
    assert type(caught.value) is InvalidData
    assert [e.pointer for e in caught.value.errors] == ["/text", "/meta/k\udc00"]
    reading, problem = echo.check({"text": "a\u2028b\x85c\u2029"}, strict=strict)
    assert problem is None
    assert reading.data == {"text": "a\u2028b\x85c\u2029"}
