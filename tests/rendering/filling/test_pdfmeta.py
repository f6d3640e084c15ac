"""rendering.filling._pdfmeta without TeX: dates read from the data, keywords bounded, and an
XMP packet that no data can turn into TeX or break out of."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rendering.filling._pdfmeta import (
    KEYWORDS_CHARS,
    DocumentDate,
    Keywords,
    bounded_keywords,
    document_date,
    metadata_tex,
    skill_keywords,
    xmp_packet,
)


@pytest.mark.parametrize(
    ("value", "pdf", "xmp"),
    [
        ("2024", "D:2024", "2024"),
        ("2024-05", "D:202405", "2024-05"),
        ("2024-05-02", "D:20240502", "2024-05-02"),
        ("2024-05-02T09:30", "D:202405020930", "2024-05-02T09:30:00"),
        ("2024-05-02T09:30:00", "D:20240502093000", "2024-05-02T09:30:00"),
        (" 2024-05-02T09:30:00.250Z ", "D:20240502093000Z", "2024-05-02T09:30:00Z"),
        ("2024-05-02T09:30:00+02:00", "D:20240502093000+02'00'", "2024-05-02T09:30:00+02:00"),
        ("2024-05-02 09:30:00-0530", "D:20240502093000-05'30'", "2024-05-02T09:30:00-05:30"),
    ],
)
def test_a_date_in_the_data_becomes_the_pdf_date(value: str, pdf: str, xmp: str) -> None:
    assert document_date(value) == DocumentDate(pdf, xmp)


@pytest.mark.parametrize(
    "value",
    [
        None, "", "May 2024", "2024-02-30", "2024-13", "2024-05-02T25:00", "0999-01-01",
        "2024-05-02T09:30:00+24:00", "2024-05-02T09:30:00 junk", "20240502", 2024, ["2024"],
        "2024-05-02T09:30:00\n}\\input{x}",
    ],
)  # fmt: skip
def test_anything_else_gives_no_date(value: object) -> None:
    assert document_date(value) is None


def test_keywords_are_each_skill_then_its_keywords_each_once() -> None:
    skills = [
        {"name": "Data platforms", "keywords": ["Kafka", "  Apache   Flink ", "kafka"]},
        "not a skill",
        {"name": "Programming", "level": "Expert", "keywords": ["Python", "DATA PLATFORMS", 3]},
        {"keywords": "not a list"},
        {"name": ["not", "text"], "keywords": [None, True, {"x": 1}, "SQL"]},
    ]
    assert skill_keywords(skills) == [
        "Data platforms", "Kafka", "Apache Flink", "Programming", "Python", "3", "SQL",
    ]  # fmt: skip
    assert skill_keywords({"name": "a mapping"}) == []
    assert skill_keywords("text") == []


def test_keywords_stop_at_the_bound_with_whole_words() -> None:
    words = [f"keyword{i:03d}" for i in range(200)]
    kept = bounded_keywords(words)
    joined = ", ".join(kept)
    assert len(joined) <= KEYWORDS_CHARS
    assert len(joined) > KEYWORDS_CHARS - len(", keyword000")
    assert kept == words[: len(kept)]
    one = bounded_keywords(["x" * 10_000])  # one keyword is cut to a line, not dropped
    assert len(one) == 1
    assert len(one[0]) <= 120


@given(
    st.lists(
        st.one_of(st.text(alphabet=" \u00a0\tAaBb\u2026-", max_size=140), st.integers()),
        max_size=40,
    )
)
def test_keywords_bounded_once_are_bounded(words: list[object]) -> None:
    """metadata_tex takes skill_keywords' list as it is: bounding it again changes nothing."""
    kept = bounded_keywords(words)
    assert isinstance(kept, Keywords)
    assert bounded_keywords(kept) == kept
    plain = list(kept)  # not marked: bounded again inside
    assert metadata_tex(title="T", keywords=kept) == metadata_tex(title="T", keywords=plain)


HOSTILE = (
    "A}{\\input{/etc/passwd}%#&<b>\"'~^$_ (x) ]] \u0141\u00f3d\u017a \u0645\u0631\u062d\u0628\u0627"
)


def _packet_as_xml(tex: str) -> str:
    """What TeX makes of the packet: the helpers expanded, the language left out."""
    tex = re.sub(r"\\expandafter\\ifx.*?\\fi", "", tex)
    return (
        tex.replace(r"\trAmp ", "&")
        .replace(r"\trHash ", "#")
        .replace(r"\trProducer", "pdfTeX-1.40.24")
    )


def test_the_packet_is_xml_that_holds_the_data_exactly() -> None:
    date = document_date("2024-05-02T09:30:00Z")
    tex = xmp_packet(HOSTILE, HOSTILE, "Engineer", ["C#", "R&D", HOSTILE], date)
    root = ET.fromstring(_packet_as_xml(tex))
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    dc = "{http://purl.org/dc/elements/1.1/}"
    xmp = "{http://ns.adobe.com/xap/1.0/}"
    description = root.find(f"{rdf}RDF/{rdf}Description")
    assert description is not None
    assert description.findtext(f"{dc}title/{rdf}Alt/{rdf}li") == HOSTILE
    assert description.findtext(f"{dc}creator/{rdf}Seq/{rdf}li") == HOSTILE
    assert [li.text for li in description.iterfind(f"{dc}subject/{rdf}Bag/{rdf}li")] == [
        "C#", "R&D", HOSTILE,
    ]  # fmt: skip
    assert description.findtext(f"{xmp}CreateDate") == "2024-05-02T09:30:00Z"


def test_no_data_reaches_tex_as_anything_but_plain_ascii() -> None:
    tex = metadata_tex(title=HOSTILE, author=HOSTILE, subject=HOSTILE, keywords=[HOSTILE])
    packet = tex[tex.index("<?xpacket") : tex.index('end="r"?>')]
    # The only TeX in the packet is texrender's: the helpers, the producer and the language.
    plain = re.sub(r"\\expandafter\\ifx.*?\\fi|\\trAmp |\\trHash |\\trProducer", "", packet)
    assert plain.isascii()
    assert not set(plain) & set("\\{}%#&~^$_()")
    named = metadata_tex(title="/Type /Page", keywords=["/Type /Page"])
    assert "/Type" not in named[named.index("<?xpacket") :]  # no page for a PDF reader to count
    assert "\n\n" not in packet  # an empty line would be a \par in the stream


def test_without_a_date_there_is_none_and_pdftex_is_told_to_omit_its_own() -> None:
    tex = metadata_tex(title="x", date="not a date")
    assert "\\pdfinfoomitdate=1" in tex
    assert "pdfcreationdate" not in tex
    assert "CreateDate" not in tex
    dated = metadata_tex(title="x", date="2024-05-02")
    assert "pdfcreationdate={D:20240502}" in dated
    assert "<xmp:CreateDate>2024-05-02</xmp:CreateDate>" in dated
