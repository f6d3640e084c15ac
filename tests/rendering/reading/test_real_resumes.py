"""Files people already have: each class of deviation seen in published resume.json files, and
whole resumes that combine them, through the real server and real TeX.

The fixtures in ``tests/fixtures/resumes/`` are written for texrender (no one's personal data).
Each must render (or, for scripts the template cannot set yet, fail with one 422 naming every
character), show every employer and school, print no markup literally, and report what reading
it changed.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TESTS_DIR, json_values, pdf_text, squash

pytestmark = pytest.mark.tex

FIXTURES = TESTS_DIR / "fixtures" / "resumes"
RENDER = "/v1/render/resume-classic"
VALIDATE = "/v1/validate/resume-classic"
DASH = "\u2013"  # en dash, as date ranges are printed
RAW_MARKUP = ("<b>", "</", "<br", "<em>", "<a ", "**", "](", "<li>", "<p>", "&amp;")

# Per fixture: pointers that must be among the warnings, and text that must be in the PDF.
EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    "empty-values.json": (
        ["/basics/image", "/work/0/endDate", "/work/0/highlights/1", "/basics/profiles/1/url"],
        ["Cut nightly batch time", "Pune"],
    ),
    "dates-as-written.json": (
        ["/work/0/startDate", "/work/0/endDate", "/work/4/startDate", "/work/4/endDate"],
        [
            f"Sep 2022 {DASH} Present",
            f"Jul 2019 {DASH} Aug 2022",
            f"Mar 2017 {DASH} Jun 2019",
            f"Jan 2016 {DASH} Present",
        ],
    ),
    "legacy-keys.json": (
        ["/work/0/company", "/work/0/website", "/education/0/gpa", "/languages/0/name"],
        ["Grade: 1.3", "German", "Native", "fjordfable.example"],
    ),
    "other-shapes.json": (
        ["/skills", "/interests/0", "/basics/location", "/education/0/courses"],
        ["Kubernetes", "Chess", "Toronto, Canada", "Compilers", "Mandarin"],
    ),
    "inline-markup.json": (
        [],
        ["platform", "Example Org", "reliability", "Hiring loop", "unsafe link", "40%"],
    ),
    "emoji.json": (
        ["/basics/name", "/basics/label", "/basics/summary", "/work/0/name"],
        ["Lena Fischer", "Full-stack Developer", "Launched the new checkout"],
    ),
    "german-engineer-long-career.json": (
        ["/work/0/company", "/work/0/endDate", "/work/0/startDate", "/skills", "/education/0/gpa"],
        ["Jürgen Weißmüller", f"Jan 2022 {DASH} Present", "verteilten Systemen", "ruhigste"],
    ),
    "french-designer.json": (
        ["/work/0/company", "/work/0/startDate", "/work/0/endDate", "/languages/1/name"],
        [f"Jan 2019 {DASH} Present", f"Sep 2014 {DASH} Dec 2018", "sur demande", "typographies"],
    ),
    "us-developer-markdown.json": (
        ["/basics/email", "/basics/phone", "/basics/url", "/skills", "/work/0/endDate"],
        ["C# and C++", "design system", "an internal guide", "jordanoneil.example", "2019"],
    ),
    "spanish-teacher.json": (
        ["/work/0/company", "/work/0/startDate", "/work/0/endDate", "/certificates/0/date"],
        [
            f"Sep 2018 {DASH} Present",
            f"Sep 2009 {DASH} Jul 2018",
            "Jun 2016",
            "Docente con 15 años",
        ],
    ),
}
# Scripts T1 cannot set, and the fields that hold them: Cyrillic the fast path sets itself
# (T2A, the machine having its fonts), Japanese takes the Unicode path.
UNSUPPORTED: dict[str, list[str]] = {
    "cyrillic-name.json": ["/basics/name", "/education/0/institution", "/work/0/location"],
    "japanese-resume.json": [
        "/basics/label",
        "/basics/name",
        "/basics/summary",
        "/education/0/area",
        "/education/0/institution",
        "/education/0/studyType",
        "/work/0/name",
        "/work/0/position",
    ],
}
ON_THE_FAST_PATH = {"cyrillic-name.json"}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def organisations(data: Any) -> list[str]:
    """Every employer and school a fixture names, whichever key it uses."""
    names = []
    for job in data.get("work", []):
        names.append(job.get("name") or job.get("company"))
    for school in data.get("education", []):
        names.append(school["institution"])
    return [n for n in names if n]


def without_pictographs(text: str) -> str:
    return "".join(c for c in text if ord(c) < 0x2000 or 0x2010 <= ord(c) <= 0x2027)


def test_every_fixture_has_expectations() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted({*EXPECTED, *UNSUPPORTED})


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_an_existing_resume_renders_whole(client: httpx.AsyncClient, name: str) -> None:
    data = load(name)
    warned, shown = EXPECTED[name]
    response = await client.post(RENDER, json=data)
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    flat = squash(text)
    for organisation in organisations(data):
        assert squash(without_pictographs(organisation)) in flat, organisation
    for phrase in shown:
        assert squash(phrase) in flat, phrase
    for raw in RAW_MARKUP:
        assert raw not in text, raw
    # The dry run gives every warning; the header the count and the first few.
    dry = await client.post(VALIDATE, json=data)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    pointers = {w["pointer"] for w in report["warnings"]}
    assert set(warned) <= pointers, sorted(pointers)
    if report["warnings"]:
        header = json.loads(response.headers["x-render-warnings"])
        assert header["count"] == len(report["warnings"])
    else:
        assert "x-render-warnings" not in response.headers


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
async def test_another_script_renders_whole_on_the_path_that_sets_it(
    client: httpx.AsyncClient, name: str
) -> None:
    data = load(name)
    response = await client.post(RENDER, json=data)
    assert response.status_code == 200, response.text
    unicode_path = 'engine;desc="xelatex"' in response.headers["server-timing"]
    assert unicode_path == (name not in ON_THE_FAST_PATH)
    text = " ".join(unicodedata.normalize("NFKC", pdf_text(response.content)).split())
    for pointer in UNSUPPORTED[name]:  # every value pdfLaTeX could not set is on the page
        value = resolve(data, pointer)
        for word in str(value).split()[:6]:
            assert unicodedata.normalize("NFKC", word) in text, (pointer, word)


def resolve(data: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


async def test_strict_mode_refuses_what_lenient_reading_repairs(client: httpx.AsyncClient) -> None:
    data = load("legacy-keys.json")
    data["work"][0]["endDate"] = "Present"
    strict = await client.post(f"{RENDER}?strict=true", json=data)
    assert strict.status_code == 422
    assert "/work/0/endDate" in {e["pointer"] for e in strict.json()["errors"]}
    prefer = await client.post(RENDER, json=data, headers={"Prefer": "handling=strict"})
    assert prefer.status_code == 422
    lenient = await client.post(RENDER, json=data)
    assert lenient.status_code == 200


async def test_an_unreadable_date_names_the_accepted_forms(client: httpx.AsyncClient) -> None:
    data = {"work": [{"name": "Acme", "startDate": "03/04/2022"}]}
    response = await client.post(VALIDATE, json=data)
    assert response.status_code == 422
    body = response.json()
    (error,) = body["errors"]
    assert error["pointer"] == "/work/0/startDate"
    assert "2023-09" in error["message"]
    assert "^" not in error["message"]  # not the schema's regular expression
    assert body["data"] == data


async def test_a_date_in_words_is_valid_with_a_warning(client: httpx.AsyncClient) -> None:
    data = {"work": [{"name": "Acme", "startDate": "Summer 2019", "endDate": "2019 \u2013 heute"}]}
    response = await client.post(VALIDATE, json=data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == data
    assert {w["pointer"] for w in body["warnings"]} == {"/work/0/startDate", "/work/0/endDate"}
    strict = await client.post(VALIDATE + "?strict=true", json=data)
    assert strict.status_code == 422


# --- any JSON value in any string field: 200 or a documented 4xx, never a 500 -----------------

SAMPLE = load("legacy-keys.json")
STRING_FIELDS = [
    ("basics", "name"),
    ("basics", "label"),
    ("basics", "email"),
    ("basics", "website"),
    ("work", 0, "company"),
    ("work", 0, "summary"),
    ("work", 0, "startDate"),
    ("education", 0, "gpa"),
    ("languages", 1, "level"),
]
JSON_VALUES = json_values(max_text=80, max_members=4, max_leaves=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(STRING_FIELDS), value=JSON_VALUES)
def test_any_json_value_in_any_string_field(
    live_server: str, field: tuple[Any, ...], value: Any
) -> None:
    data = copy.deepcopy(SAMPLE)
    target: Any = data
    for step in field[:-1]:
        target = target[step]
    target[field[-1]] = value
    response = httpx.post(live_server + RENDER, json=data, timeout=60)
    assert response.status_code in {200, 422}, response.text
    if response.status_code == 422:
        assert response.json()["type"] in {
            "/problems/invalid-data",
            "/problems/unsupported-character",
            "/problems/tex-error",
        }
