"""The Jinja environment a template is filled in (``rendering/filling/_templating.py``): escaping
is not optional, and the filters and globals it gives templates."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from rendering.filling._escape import TEX_HELPERS, escape_latex
from rendering.filling._templating import as_entry, date_range, format_date, heading, href
from tests.rendering.conftest import load_one

# ---------------------------------------------------------------------------------------------
# Filling templates: escaping is not optional


def test_values_are_escaped(tmp_path: Path) -> None:
    template = load_one(tmp_path, source="((( text )))")
    assert template.to_tex({"text": "a_b"}) == r"a\_b"
    assert template.to_tex({"text": "50% & $5"}) == r"50\% \& \$5"


def test_raw_tex_filter_does_not_escape(tmp_path: Path) -> None:
    # (A Jinja string literal reads `\t` as a tab, hence the doubled backslash.)
    template = load_one(tmp_path, source=r"((( '\\textbf{' | raw_tex )))((( text )))}")
    assert template.to_tex({"text": "a_b"}) == r"\textbf{a\_b}"


@pytest.mark.parametrize(
    "value",
    [
        r"\textbf{x}",
        r"\input{/etc/passwd}",
        {"__html__": r"\textbf{x}"},
        {"raw_tex": r"\x"},
        [r"\x", "{"],
        "((( 7 * 7 )))",
        "{{ 7 * 7 }}",
        "((* for i in range(3) *))x((* endfor *))",
    ],
    ids=repr,
)
def test_data_cannot_opt_out_of_escaping(tmp_path: Path, value: object) -> None:
    template = load_one(tmp_path, source="((( text )))", schema={})
    out = template.to_tex({"text": value})
    assert out == escape_latex(str(value))
    # Whatever the escaper does, no control sequence or group from the data survives.
    assert not re.search(r"\\(textbf|input|x)\b", out)
    assert "49" not in out  # data is never evaluated as a template


def test_data_cannot_replace_filters(tmp_path: Path) -> None:
    template = load_one(tmp_path, source="((( text | raw_tex )))|((( other )))", schema={})
    # A variable named like a filter is just a variable.
    out = template.to_tex({"text": "ok", "other": "a_b", "raw_tex": "nothing"})
    assert out == r"ok|a\_b"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [(None, ""), (True, "yes"), (False, "no"), (3, "3"), (2.5, "2.5"), ("", "")],
)
def test_non_string_values(tmp_path: Path, value: object, rendered: str) -> None:
    template = load_one(tmp_path, source="((( text )))", schema={})
    assert template.to_tex({"text": value}) == rendered


def test_filter_output_is_escaped_too(tmp_path: Path) -> None:
    template = load_one(tmp_path, source="((( text | date )))", schema={})
    assert template.to_tex({"text": "50%_off"}) == r"50\%\_off"
    assert template.to_tex({"text": "2013-12"}) == "Dec 2013"


def test_comments_and_blocks(tmp_path: Path) -> None:
    source = "((= a comment =))((* for t in tags *))[((( t )))]((* endfor *))\n"
    template = load_one(tmp_path, source=source, schema={})
    # Template text is TeX source as written; only the values are escaped.
    assert template.to_tex({"tags": ["a", "b_c]"]}) == r"[a][b\_c{]}]"


def test_helpers_global_is_raw(tmp_path: Path) -> None:
    template = load_one(tmp_path, source="((( texrender_helpers )))", schema={})
    assert template.to_tex({}) == TEX_HELPERS


@pytest.mark.parametrize(
    "source",
    ["((( missing )))", "((( text.missing )))", "((* if missing *))x((* endif *))"],
)
def test_missing_variables_raise(tmp_path: Path, source: str) -> None:
    template = load_one(tmp_path, source=source, schema={})
    with pytest.raises(jinja2.UndefinedError):
        template.to_tex({"text": "present"})


# ---------------------------------------------------------------------------------------------
# Environment filters


@pytest.mark.parametrize(
    ("value", "formatted"),
    [
        ("2013-12-01", "Dec 2013"),
        ("2013-12", "Dec 2013"),
        ("2013-01-31", "Jan 2013"),
        ("2013", "2013"),
        ("2013-13", "2013"),  # no such month: the year is still right
        ("2013-00-10", "2013"),
        ("garbage", "garbage"),
        ("Summer 2013", "Summer 2013"),
        (2013, "2013"),
        ("", ""),
        (None, ""),
    ],
)
def test_date(value: object, formatted: str) -> None:
    assert format_date(value) == formatted


def test_date_absent_value() -> None:
    assert format_date(None, "n/a") == "n/a"
    assert format_date("", "n/a") == "n/a"


@pytest.mark.parametrize(
    ("start", "end", "formatted"),
    [
        ("2013-12-01", None, "Dec 2013 \u2013 Present"),
        ("2013-12-01", "", "Dec 2013 \u2013 Present"),
        ("2013-12", "2015-06-30", "Dec 2013 \u2013 Jun 2015"),
        ("2013", "2014", "2013 \u2013 2014"),
        (None, "2014-02", "Feb 2014"),
        (None, None, ""),
        # Free text printed as written: it may say itself how long it lasts.
        ("garbage", None, "garbage"),
        ("2019 \u2013 heute", None, "2019 \u2013 heute"),
        ("Summer 2019", "2020-06", "Summer 2019 \u2013 Jun 2020"),
    ],
)
def test_date_range(start: object, end: object, formatted: str) -> None:
    assert date_range(start, end) == formatted


def test_date_range_present_word_and_filter(tmp_path: Path) -> None:
    assert date_range("2013", None, present="heute") == "2013 \u2013 heute"
    template = load_one(tmp_path, source="((( start | date_range(end) )))", schema={})
    # The en dash is a character, not `--`; nothing in the output needs escaping.
    assert template.to_tex({"start": "2013-12-01", "end": None}) == "Dec 2013 \u2013 Present"


def test_href_escapes_url_and_label() -> None:
    link = href("https://example.com/a%20b#frag_x~y")
    assert link == (
        r"\href{https://example.com/a\trPercent 20b\trHash frag\trUnderscore x\trTilde y}"
        r"{example.com/a\%20b\#frag\_x\textasciitilde{}y}"
    )


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://www.example.com/", "example.com"),
        ("http://example.com/path/", "example.com/path"),
        ("example.com", "example.com"),
        ("  https://example.com  ", "example.com"),
        ("mailto:me@example.com", "mailto:me@example.com"),
    ],
)
def test_href_label_without_scheme(url: str, label: str) -> None:
    assert href(url).endswith("{" + label + "}")


def test_href_with_explicit_label_and_as_filter(tmp_path: Path) -> None:
    assert href("https://x.org/", "Site_1 {x}") == r"\href{https://x.org/}{Site\_1 \{x\}}"
    template = load_one(tmp_path, source="((( url | href )))", schema={})
    assert template.to_tex({"url": "https://x.org/a_b"}) == (
        r"\href{https://x.org/a\trUnderscore b}{x.org/a\_b}"
    )


# ---------------------------------------------------------------------------------------------
# Sections the template does not know


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("community", "Community"),
        ("sideProjects", "Side projects"),
        ("side_projects", "Side projects"),
        ("open-source", "Open source"),
        ("CERTIFICATIONS", "Certifications"),
        ("  ", ""),
    ],
)
def test_a_key_as_a_heading(key: str, shown: str) -> None:
    assert heading(key) == shown


def test_an_unknown_entry_in_the_parts_of_an_entry_with_nothing_left_out() -> None:
    entry = as_entry(
        {
            "name": "Meetup",
            "institution": "Guild",
            "role": "Host",
            "startDate": "2019-05",
            "date": "2020",
            "url": "https://example.org",
            "description": "Talks",
            "highlights": ["One", 2, " "],
            "members": 120,
            "topics": ["Go", "", "Rust"],
            "active": True,
            "nested": {"a": "b"},
        }
    )
    assert entry == {
        "title": "Meetup",
        "subtitle": "Host",
        "place": None,
        "url": "https://example.org",
        "start": "2019-05",
        "end": None,
        "date": "2020",
        "summary": "Talks",
        "highlights": ["One"],
        "rest": [("Institution", "Guild"), ("Members", "120"), ("Topics", "Go, Rust")],
    }
