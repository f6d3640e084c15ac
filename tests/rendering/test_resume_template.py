"""The resume-classic template renders for real: pdflatex on the generated source, pdftotext on
the PDF. Every JSON Resume section and field is optional, so besides the samples these tests feed
empty documents, empty sections, one-field entries and hostile text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rendering import RenderConfig, RenderOrder, RenderService, build_service
from rendering.catalogue import Catalogue, Template
from rendering.errors import EmptyDocument
from tests.conftest import SHARED_RESUME, TESTS_DIR, pdf_pages

TEMPLATES = TESTS_DIR.parent / "templates"
HEADINGS = {
    "basics": "Summary",
    "work": "Experience",
    "projects": "Projects",
    "education": "Education",
    "skills": "Skills",
    "publications": "Publications",
    "awards": "Awards",
    "certificates": "Certificates",
    "volunteer": "Volunteering",
    "languages": "Languages",
    "interests": "Interests",
    "references": "References",
}
# Every field the template prints, by section.
FIELDS = {
    "work": [
        "name", "position", "description", "location", "url",
        "startDate", "endDate", "summary", "highlights",
    ],
    "volunteer": [
        "organization", "position", "url", "startDate", "endDate", "summary", "highlights",
    ],
    "education": [
        "institution", "url", "area", "studyType", "startDate", "endDate", "score", "courses",
    ],
    "awards": ["title", "date", "awarder", "summary"],
    "certificates": ["name", "date", "url", "issuer"],
    "publications": ["name", "publisher", "releaseDate", "url", "summary"],
    "skills": ["name", "level", "keywords"],
    "languages": ["language", "fluency"],
    "interests": ["name", "keywords"],
    "references": ["name", "reference"],
    "projects": [
        "name", "description", "highlights", "keywords", "startDate", "endDate",
        "url", "roles", "entity", "type",
    ],
}  # fmt: skip
LIST_FIELDS = {"highlights", "courses", "keywords", "roles"}
DATE_FIELDS = {"startDate", "endDate", "date", "releaseDate"}
PRESENT = "\u2013 Present"  # en dash: "Dec 2013 \u2013 Present"

pytestmark = [
    pytest.mark.tex,
    pytest.mark.skipif(
        shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
        reason="pdflatex and pdftotext are needed to render",
    ),
]


@pytest.fixture(scope="module")
def template() -> Template:
    return Catalogue.load([TEMPLATES]).get_template("resume-classic")


@pytest.fixture
async def service(work_dir: Path) -> RenderService:
    """The pipeline as the server builds it, over the real templates (formats off: each test
    compiles plainly, as the format tests compare against)."""
    config = RenderConfig(template_dirs=(TEMPLATES,), work_dir=work_dir, formats_enabled=False)
    return await build_service(config)


async def render(service: RenderService, data: dict[str, Any]) -> tuple[str, int]:
    """Validate, fill and typeset ``data`` through the sandboxed pipeline; return the PDF's
    text and its page count."""
    result = await service.pipeline.render(RenderOrder.for_data("resume-classic", data))
    return layout_text(result.body), pdf_pages(result.body)


def layout_text(pdf: bytes) -> str:
    """The PDF's text in layout mode (which, unlike the default, keeps a hyphen at a line end)."""
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")


def squeeze(text: str) -> str:
    """Text without white space: line breaks may fall anywhere in long values."""
    return re.sub(r"\s+", "", text)


def lines_in(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines()}


def headings_in(text: str) -> set[str]:
    lines = {line.strip() for line in text.splitlines()}
    return {heading for heading in HEADINGS.values() if heading in lines}


async def test_our_sample_renders_every_section_on_one_page(service: RenderService) -> None:
    sample = json.loads((TEMPLATES / "resume-classic" / "sample.json").read_text(encoding="utf-8"))
    text, pages = await render(service, sample)
    flat = squeeze(text)

    assert sample["basics"]["name"] == "Zoë Łukasiewicz-Núñez"
    assert all(sample[section] for section in FIELDS), "the sample fills every section"
    assert "Java, C#" in text
    assert "Zoë Łukasiewicz-Núñez" in text
    for job in sample["work"]:
        assert squeeze(job["name"]) in flat
        assert squeeze(job["position"]) in flat
    assert f"Mar 2021 {PRESENT}" in text
    assert headings_in(text) == set(HEADINGS.values())
    accented = "Tromsø Düsseldorf Győr Großglockner Čeněk Dvořáček Pétanque Gdańsk"
    for word in accented.split():
        assert word in text
    # A URL with %, #, _ and ~ shows exactly (less its scheme).
    assert "certs.example.com/~verify/cert_7F3A%2D91#badge" in flat
    assert pages <= 2
    assert pages == 1, "the sample is meant to fit on one page"


@pytest.mark.skipif(
    not SHARED_RESUME.is_file(),
    reason=f"../shared not present: no JSON Resume conformance sample at {SHARED_RESUME}",
)
async def test_shared_json_resume_sample(service: RenderService) -> None:
    sample = json.loads(SHARED_RESUME.read_text(encoding="utf-8"))
    text, pages = await render(service, sample)
    assert sample["basics"]["name"] in text
    for job in sample["work"]:
        assert squeeze(job["name"]) in squeeze(text)
    assert pages <= 2


async def test_empty_document(service: RenderService) -> None:
    """Nothing to print is no document (it would be a blank page)."""
    with pytest.raises(EmptyDocument):
        await render(service, {})


async def test_extra_top_level_keys_are_sections_of_their_own(
    template: Template, service: RenderService
) -> None:
    """JSON Resume allows any extra property: each is printed under its own name, in the data's
    order, and ones named like Jinja globals or the template's own variables change nothing
    else."""
    clashing = ["namespace", "dict", "range", "fields", "given", "b", "entry", "filled", "link"]
    data: dict[str, Any] = {name: [{"name": f"clash {name}"}] for name in clashing}
    data["basics"] = {"name": "Kept"}
    data["work"] = [{"name": "Acme", "position": "Lead"}]
    text, pages = await render(service, data)
    assert "Kept" in text
    assert "Acme" in text
    assert [line for line in text.splitlines() if line.startswith("clash")] == [
        f"clash {name}" for name in clashing
    ]
    assert {"Experience", "Namespace", "Dict", "Range", "Link"} <= lines_in(text)
    assert pages == 1


async def test_an_unknown_section_prints_everything_written(service: RenderService) -> None:
    data: dict[str, Any] = {
        "basics": {"name": "Ada"},
        "community": [
            {
                "name": "Accra JavaScript Meetup",
                "role": "Co-organiser",
                "startDate": "2019-05",
                "summary": "Monthly talks",
                "highlights": ["Ran 40 meetups"],
                "url": "https://meetup.example.org/accra-js",
                "members": 120,
                "topics": ["Node", "Deno"],
            },
            "Mentor at a girls' coding club",
        ],
        "sideProjects": {"title": "Tide tables", "date": "2021"},
        "hobby": "Letterpress printing",
    }
    text, _ = await render(service, data)
    flat = squeeze(text)
    assert {"Community", "Side projects", "Hobby"} <= lines_in(text)
    for shown in (
        "Accra JavaScript Meetup", "Co-organiser", f"May 2019 {PRESENT}", "Monthly talks",
        "Ran 40 meetups", "meetup.example.org/accra-js", "Members: 120", "Topics: Node, Deno",
        "Mentor at a girls' coding club", "Tide tables", "2021", "Letterpress printing",
    ):  # fmt: skip
        assert squeeze(shown) in flat, shown


@pytest.mark.parametrize(
    "shape",
    ["empty-lists", "empty-objects", "blank-strings"],
)
async def test_empty_sections_disappear(service: RenderService, shape: str) -> None:
    data: dict[str, Any]
    if shape == "empty-lists":
        data = {section: [] for section in FIELDS}
        data["basics"] = {"profiles": []}
    elif shape == "empty-objects":
        data = {section: [{}, {}] for section in FIELDS}
        data["basics"] = {"profiles": [{}], "location": {}}
    else:
        data = {
            section: [
                {
                    field: [] if field in LIST_FIELDS else ""
                    for field in fields
                    if field not in DATE_FIELDS
                },
                {field: ["", " "] for field in fields if field in LIST_FIELDS},
            ]
            for section, fields in FIELDS.items()
        }
        data["basics"] = {
            "name": "",
            "label": " ",
            "phone": "",
            "url": "",
            "summary": "\n",
            "location": {"address": "", "city": ""},
            "profiles": [{"network": "", "username": "", "url": ""}],
        }
    data["unknownSection"] = [{"name": " "}, {}, ""]
    data["basics"]["email"] = "kept@example.org"  # one thing to print, or it is no document
    text, pages = await render(service, data)
    assert pages == 1
    assert headings_in(text) == set()
    assert "kept@example.org" in text


async def test_each_field_alone(service: RenderService) -> None:
    """Every section holds one entry per field, with only that field set."""
    url = "https://example.com/a_b~c%20d#e"

    def value(field: str) -> Any:
        if field in LIST_FIELDS:
            return [f"only {field}"]
        if field in DATE_FIELDS:
            return "2020-02"
        if field == "url":
            return url
        return f"Only {field}"

    data: dict[str, Any] = {
        section: [{field: value(field)} for field in fields] for section, fields in FIELDS.items()
    }
    data["basics"] = {"name": "Solo", "location": {"city": "Only city"}, "profiles": [{"url": url}]}
    text, _ = await render(service, data)
    flat = squeeze(text)
    assert headings_in(text) == set(HEADINGS.values()) - {"Summary"}
    for fields in FIELDS.values():
        for field in fields:
            if field in LIST_FIELDS:
                assert f"only{field}" in flat
            elif field not in DATE_FIELDS and field != "url":
                assert f"Only{field}" in flat
    assert f"Feb 2020 {PRESENT}" in text
    assert "example.com/a_b~c%20d#e" in flat
    assert "Only city" in text


async def test_single_field_sections(service: RenderService) -> None:
    """A document per section, that section's one entry carrying one field, renders alone."""
    for section, fields in FIELDS.items():
        field = next(f for f in fields if f not in DATE_FIELDS | LIST_FIELDS | {"url"})
        text, pages = await render(service, {section: [{field: "Lonely"}]})
        assert pages == 1
        assert "Lonely" in text
        assert headings_in(text) == {HEADINGS[section]}


async def test_special_characters_in_every_field(service: RenderService) -> None:
    """Each printed field holds TeX specials and accented letters; each must show exactly once,
    so a value escaped twice (a visible backslash) or dropped fails."""
    nasty = "\\ { } $ & # ^ _ ~ % [ ] ' ` \" -- --- << >> ,, \\in{x} é ü ł ñ ø ß ő č"
    data: dict[str, Any] = {
        section: [
            {
                field: [nasty] if field in LIST_FIELDS else nasty
                for field in fields
                if field not in DATE_FIELDS and field != "url"
            }
        ]
        for section, fields in FIELDS.items()
    }
    printed = sum(len(entries[0]) for entries in data.values())
    data["basics"] = {
        "name": nasty,
        "label": nasty,
        "phone": nasty,
        "summary": nasty,
        "location": {"city": nasty},
        "profiles": [{"network": nasty, "username": nasty}],
    }
    printed += 7
    text, _ = await render(service, data)
    assert squeeze(text).count(squeeze(nasty)) == printed
    assert "textbackslash" not in text


async def test_long_values_and_line_breaks(service: RenderService) -> None:
    long_word = "Donaudampfschifffahrtsgesellschaft" * 8
    long_url = "https://example.com/" + "long-path_segment%20with~tilde#" * 12
    data = {
        "basics": {
            "name": "Line\nbreak",
            "label": "Line one\nLine two",
            "email": "a_b%c@example.com",
            "url": long_url,
            "summary": f"First paragraph\n\n{long_word}",
            "location": {"address": "Długa 1\nHinterhaus", "countryCode": "PL"},
            "profiles": [{"network": long_word, "url": long_url}],
        },
        "work": [
            {
                "name": long_word,
                "position": long_word,
                "url": long_url,
                "startDate": "2013-12-01",
                "highlights": ["", "[not an optional argument]", long_word],
            }
        ],
        "references": [{"name": long_word, "reference": "Multi\nline"}],
    }
    text, _ = await render(service, data)
    flat = squeeze(text)
    assert f"Dec 2013 {PRESENT}" in text
    assert "[not an optional argument]" in text
    assert "example.com/long-path_segment%20with~tilde#" in flat
    assert "Długa 1, Hinterhaus" in text
    assert "a_b%c@example.com" in text


def test_preamble_up_to_endofdump_does_not_depend_on_data(template: Template) -> None:
    sample = json.loads((TEMPLATES / "resume-classic" / "sample.json").read_text(encoding="utf-8"))
    documents: list[dict[str, Any]] = [{}, sample]
    fixed = {template.to_tex(doc).split("\n\\endofdump\n")[0] for doc in documents}
    assert len(fixed) == 1
    assert fixed.pop().startswith("\\documentclass")


def has_mylatexformat() -> bool:
    found = subprocess.run(["kpsewhich", "mylatexformat.ltx"], capture_output=True, check=False)
    return found.returncode == 0


@pytest.mark.skipif(not has_mylatexformat(), reason="mylatexformat.ltx is not installed")
async def test_fixed_preamble_compiles_into_a_format(
    template: Template, service: RenderService, tmp_path: Path
) -> None:
    """mylatexformat dumps everything before ``\\endofdump``; the document then renders the same
    with that format as without it."""
    sample = json.loads((TEMPLATES / "resume-classic" / "sample.json").read_text(encoding="utf-8"))
    plain_text, _ = await render(service, sample)
    (tmp_path / "doc.tex").write_text(template.fill(sample), encoding="utf-8")
    dump = subprocess.run(
        [
            "pdftex", "-ini", "-no-shell-escape", "-interaction=batchmode", "-halt-on-error",
            "-jobname=resume", "&pdflatex", "mylatexformat.ltx", "doc.tex",
        ],
        cwd=tmp_path, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert dump.returncode == 0, (tmp_path / "resume.log").read_text(errors="replace")[-3000:]
    run = subprocess.run(
        ["pdflatex", "-no-shell-escape", "-interaction=batchmode", "-halt-on-error",
         "-fmt=resume", "doc.tex"],
        cwd=tmp_path, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, (tmp_path / "doc.log").read_text(errors="replace")[-3000:]
    assert layout_text((tmp_path / "doc.pdf").read_bytes()) == plain_text
