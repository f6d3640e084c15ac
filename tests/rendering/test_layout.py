"""Page layout, rendered for real (pdfLaTeX, pdftotext, pdfinfo): paper sizes, page breaks that
keep a heading with what follows it, name-only skills and interests inline, separators that
never start or end a line (and are in the text layer), the letter's addresses."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rendering import RenderConfig, RenderOrder, RenderService, build_service
from rendering.errors import UnsupportedPaper
from rendering.typesetting import layout_report
from tests.conftest import TESTS_DIR

pytestmark = pytest.mark.tex

TEMPLATES = TESTS_DIR.parent / "templates"
RESUMES = ("resume-classic", "resume-modern")
LONG_RESUME = json.loads((TESTS_DIR / "corpus" / "long-resume.json").read_text("utf-8"))
HEADINGS = {
    "Summary", "Experience", "Projects", "Education", "Skills", "Publications", "Awards",
    "Certificates", "Volunteering", "Languages", "Interests", "References",
}  # fmt: skip
A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)
SEPARATORS = ("•", "·")


@pytest.fixture
async def service(work_dir: Path) -> RenderService:
    config = RenderConfig(template_dirs=(TEMPLATES,), work_dir=work_dir, formats_enabled=False)
    return await build_service(config)


async def render(
    service: RenderService, template: str, data: Any, paper: str | None = None
) -> bytes:
    order = RenderOrder.for_data(template, data, paper=paper)
    return (await service.pipeline.render(order)).body


def pages_of(pdf: bytes) -> list[list[str]]:
    """Each page's non-empty lines as pdftotext reads them (reading order), page number off."""
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    pages = []
    for page in text.split("\f")[:-1]:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if lines and lines[-1].isdigit():
            lines.pop()
        pages.append(lines)
    return pages


def media_box(pdf: bytes) -> tuple[float, float]:
    info = subprocess.run(
        ["pdfinfo", "-box", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    found = re.search(r"MediaBox:\s+0\.00\s+0\.00\s+([\d.]+)\s+([\d.]+)", info)
    assert found, info
    return float(found[1]), float(found[2])


def shortened(bullets: int) -> dict[str, Any]:
    """The long résumé less ``bullets`` bullets from its first jobs: the page breaks move."""
    data: dict[str, Any] = copy.deepcopy(LONG_RESUME)
    for job in data["work"]:
        while bullets and len(job["highlights"]) > 1:
            job["highlights"].pop()
            bullets -= 1
    return data


# --- paper sizes ---------------------------------------------------------------------------


@pytest.mark.parametrize("template", [*RESUMES, "cover-letter"])
async def test_each_paper_size_is_the_page_size(service: RenderService, template: str) -> None:
    sample = service.catalogue.get_template(template).sample
    assert media_box(await render(service, template, sample)) == A4  # a Polish sender
    assert media_box(await render(service, template, sample, "letter")) == LETTER
    assert media_box(await render(service, template, sample, "a4")) == A4


async def test_letter_is_the_default_in_canada_on_both_paths(service: RenderService) -> None:
    assert media_box(await render(service, "resume-classic", LONG_RESUME)) == LETTER
    arabic = json.loads((TESTS_DIR / "corpus" / "arabic.json").read_text("utf-8"))
    arabic["meta"] = {**arabic.get("meta", {}), "language": "en-US"}
    pdf = await render(service, "resume-modern", arabic)  # XeLaTeX, no format
    assert media_box(pdf) == LETTER


async def test_the_paper_is_part_of_the_render_key(work_dir: Path) -> None:
    config = RenderConfig(template_dirs=(TEMPLATES,), work_dir=work_dir, formats_enabled=False)
    service = await build_service(config)  # with its cache
    sample = service.catalogue.get_template("cover-letter").sample
    pipeline = service.pipeline
    a4 = await pipeline.render(RenderOrder("cover-letter", lambda: sample, identity=b"x"))
    letter = await pipeline.render(
        RenderOrder("cover-letter", lambda: sample, identity=b"x", paper="letter")
    )
    assert letter.etag != a4.etag
    assert not letter.cached  # never the A4 PDF from the cache
    assert media_box(letter.body) == LETTER
    again = await pipeline.render(
        RenderOrder("cover-letter", lambda: sample, identity=b"x", paper="letter")
    )
    assert again.cached
    assert again.etag == letter.etag
    # Asking for the usual size by name is the same document as asking for none.
    named = await pipeline.render(RenderOrder.for_data("cover-letter", sample, paper="a4"))
    assert named.etag == a4.etag
    assert named.cached


async def test_a_size_the_template_is_not_made_for_is_refused(service: RenderService) -> None:
    with pytest.raises(UnsupportedPaper):
        await render(service, "resume-classic", {"basics": {"name": "A"}}, "a5")


# --- page breaks ---------------------------------------------------------------------------


@pytest.mark.parametrize("template", RESUMES)
@pytest.mark.parametrize("bullets", [0, 5, 9, 15, 20, 21, 26])
async def test_a_heading_is_never_the_last_line_of_a_page(
    service: RenderService, template: str, bullets: int
) -> None:
    # 20 and 21 left resume-classic's "Publications" at the foot of page 2, its rule and
    # first entry on page 3.
    pages = pages_of(await render(service, template, shortened(bullets), "letter"))
    assert len(pages) >= 2
    for number, lines in enumerate(pages[:-1], 1):
        assert lines[-1] not in HEADINGS, f"page {number} ends with {lines[-1]!r}"


# --- inline lists and separators -----------------------------------------------------------


@pytest.mark.parametrize("template", RESUMES)
async def test_name_only_skills_and_interests_are_one_paragraph(
    service: RenderService, template: str
) -> None:
    skills = [s["name"] for s in LONG_RESUME["skills"]]
    data = {"basics": {"name": "A"}, "skills": LONG_RESUME["skills"], "interests": [
        {"name": "Birding"}, {"name": ""}, {"name": "Canoe tripping"}
    ]}  # fmt: skip
    lines = [line for page in pages_of(await render(service, template, data)) for line in page]
    holding = [line for line in lines if any(skill in line for skill in skills)]
    assert 1 <= len(holding) <= 3, holding  # 15 names, not 15 lines
    for skill in skills:  # whole, between separators or at a line's start or end
        pattern = rf"(^|[•·] ){re.escape(skill)}( [•·]|$)"
        assert any(re.search(pattern, line) for line in holding), skill
    assert any(re.fullmatch(r"Birding [•·] Canoe tripping", line) for line in lines), lines


@pytest.mark.parametrize("template", [*RESUMES, "cover-letter"])
async def test_no_line_starts_or_ends_with_a_separator(
    service: RenderService, template: str
) -> None:
    names = [f"Skill{n} number {n}" for n in range(60)]
    data: dict[str, Any]
    if template == "cover-letter":
        data = {
            "sender": {
                "name": "A",
                "email": "a.very.long.address.of.someone@example.org",
                "phone": "+48 512 555 018",
                "url": "https://a-rather-long-domain-name.example.net/with/a/path",
            },
            "paragraphs": ["Hello."],
        }
    else:
        data = {
            "basics": {
                "name": "A",
                "email": "a.very.long.address.of.someone@example.org",
                "phone": "+48 512 555 018",
                "url": "https://a-rather-long-domain-name.example.net/with/a/path",
                "profiles": [
                    {"network": f"Network{n}", "url": f"https://n{n}.example.com/someone"}
                    for n in range(4)
                ],
            },
            "skills": [{"name": name} for name in names]
            + [{"name": "Tools", "keywords": names[:30]}],
            "languages": [{"language": f"Language{n}", "fluency": "Fluent"} for n in range(12)],
        }
    lines = [line for page in pages_of(await render(service, template, data)) for line in page]
    dangling = [line for line in lines if line.startswith(SEPARATORS) or line.endswith(SEPARATORS)]
    assert dangling == []
    assert sum(line.count("•") + line.count("·") for line in lines) > (
        1 if template == "cover-letter" else 50
    )


async def test_modern_tags_have_a_separator_in_the_text(service: RenderService) -> None:
    data = {
        "basics": {"name": "A"},
        "skills": [{"name": "Go", "keywords": ["Kubernetes", "Linux"]}],
    }
    lines = [
        line for page in pages_of(await render(service, "resume-modern", data)) for line in page
    ]
    assert any(re.search(r"Kubernetes\s*·\s*Linux", line) for line in lines), lines


# --- the letter's addresses ----------------------------------------------------------------


async def test_the_letter_prints_region_and_country_on_address_lines(
    service: RenderService,
) -> None:
    letter: dict[str, Any] = {
        "sender": {"name": "Zoë", "location": {
            "address": "ul. Długa 17/3", "postalCode": "80-831", "city": "Gdańsk",
            "region": "Pomorskie", "countryCode": "PL",
        }},
        "recipient": {"name": "Amara Okafor", "location": {
            "address": "Havnegata 9", "postalCode": "9008", "city": "Tromsø",
            "region": "Troms", "countryCode": "NO",
        }},
        "paragraphs": ["Hello."],
    }  # fmt: skip
    lines = pages_of(await render(service, "cover-letter", letter))[0]
    assert "ul. Długa 17/3, 80-831 Gdańsk, Pomorskie, PL" in lines
    assert "9008 Tromsø, Troms, NO" in lines
    assert "NO" not in lines  # never a line of its own
    # Within one country the recipient's country is left out.
    letter["recipient"]["location"]["countryCode"] = "pl"
    lines = pages_of(await render(service, "cover-letter", letter))[0]
    assert "9008 Tromsø, Troms" in lines


# --- shrink to fit -------------------------------------------------------------------------


async def test_a_last_page_of_a_few_lines_is_fitted_onto_the_page_before(
    service: RenderService,
) -> None:
    # Bullets are added to the first job until the plain render (no fit) leaves a few lines on
    # a last page; the render then holds one page less.
    template = service.catalogue.get_template("resume-modern")
    engine = service.pipeline.engine
    for extra in range(30, 70, 2):
        data = copy.deepcopy(LONG_RESUME)
        data["work"][0]["highlights"] += [
            f"Extra bullet number {n} about signalling work that goes on for a while"
            for n in range(extra)
        ]
        plain = await engine.compile(template.to_tex(data, paper="a4"), timeout_s=30)
        report = layout_report(plain.log)
        if report.last_page_fill is not None and report.last_page_fill < 0.07:
            break
    else:
        pytest.fail("no shape of the long résumé leaves a few lines on its last page")
    assert report.pages is not None
    fitted = await render(service, "resume-modern", data, "a4")
    assert len(pages_of(fitted)) == report.pages - 1
    assert b"%PDF" in fitted[:8]
