# ruff: noqa: RUF001 - words in Cyrillic and Greek, whose letters look like Latin ones
"""Documents in their own language, rendered for real (pdfLaTeX or XeLaTeX, then pdftotext):
the headings, month names, "Present", the letter's date and "Enclosed" in the language of
``meta.language`` (or of the data's letters), the PDF's ``/Lang``, and dates in words printed
as written with a warning."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import zlib
from pathlib import Path
from typing import Any

import pytest

from rendering import RenderConfig, RenderOrder, RenderService, build_service
from tests.conftest import TESTS_DIR, pdf_text
from tools.exact_text import PdfText, found

TEMPLATES = TESTS_DIR.parent / "templates"

pytestmark = [
    pytest.mark.tex,
    pytest.mark.skipif(
        any(shutil.which(tool) is None for tool in ("pdflatex", "xelatex", "pdftotext")),
        reason="pdflatex, xelatex and pdftotext are needed",
    ),
]


@pytest.fixture
async def service(work_dir: Path) -> RenderService:
    config = RenderConfig(template_dirs=(TEMPLATES,), work_dir=work_dir, formats_enabled=False)
    return await build_service(config)


def resume(language: str | None, **more: Any) -> dict[str, Any]:
    """A résumé in ASCII: whatever its language, only the words texrender prints are not."""
    data: dict[str, Any] = {
        "basics": {"name": "Ada Example", "summary": "Builds payment systems."},
        "work": [
            {"name": "Acme", "position": "Engineer", "startDate": "2021-09"},
            {"name": "Initech", "position": "Intern", "startDate": "2019-03", "endDate": "2021-08"},
        ],
        "education": [{"institution": "Tech", "score": "3.9", "courses": ["Algebra"]}],
        **more,
    }
    if language is not None:
        data["meta"] = {"language": language}
    return data


def letter(language: str) -> dict[str, Any]:
    return {
        "meta": {"language": language},
        "sender": {"name": "Ada Example"},
        "date": "2026-12-05",
        "paragraphs": ["I am writing to apply."],
        "enclosures": ["CV"],
    }


def folded(text: str) -> str:
    """Text without case or accents: headings in small capitals read back in capitals, Greek
    capitals without accents."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def missing(words: list[str], pdf: bytes) -> list[str]:
    """The words not in the PDF's text as the corpus check reads it (tools.exact_text: white
    space and bidi marks normalised), in any case."""
    text = PdfText.of(pdf)
    return [w for w in words if not found(w, text) and folded(w) not in folded(text.text)]


def pdf_lang(pdf: bytes) -> list[str]:
    """The /Lang entries of a PDF, in its objects or its compressed streams."""
    found = re.findall(rb"/Lang\s*\(([^)]*)\)", pdf)
    for stream in re.finditer(rb"stream\r?\n", pdf):
        try:
            inflated = zlib.decompressobj().decompress(pdf[stream.end() :])
        except zlib.error:
            continue
        found += re.findall(rb"/Lang\s*\(([^)]*)\)", inflated)
    return [entry.decode("ascii") for entry in found]


async def render(service: RenderService, template: str, data: dict[str, Any]) -> Any:
    return await service.pipeline.render(RenderOrder.for_data(template, data))


RESUMES = [
    # language, engine, the words texrender prints
    ("en", "", ["Summary", "Experience", "Sep 2021 – Present", "Mar 2019 – Aug 2021",
                "Education", "Grade: 3.9", "Courses"]),
    ("fr", "", ["Profil", "Expérience professionnelle", "sept. 2021 – aujourd’hui",
                "mars 2019 – août 2021", "Formation", "Note : 3.9", "Cours"]),
    ("de", "", ["Profil", "Berufserfahrung", "Sept. 2021 – heute", "März 2019 – Aug. 2021",
                "Ausbildung", "Note: 3.9", "Kurse"]),
    ("ru", "", ["О себе", "Опыт работы", "сент. 2021 – настоящее время",
                "март 2019 – авг. 2021", "Образование", "Средний балл: 3.9", "Курсы"]),
    ("el", "", ["Προφίλ", "Επαγγελματική εμπειρία", "Σεπ 2021 – σήμερα",
                "Μαρ 2019 – Αυγ 2021", "Εκπαίδευση", "Βαθμός: 3.9"]),
    ("zh-Hans", "xelatex", ["个人简介", "工作经历", "2021年9月 – 至今", "2019年3月 – 2021年8月",
                            "教育背景", "成绩：3.9", "课程"]),
    ("ja", "xelatex", ["概要", "職歴", "2021年9月 – 現在", "学歴", "成績：3.9", "履修科目"]),
]  # fmt: skip


@pytest.mark.parametrize(("language", "engine", "words"), RESUMES, ids=[r[0] for r in RESUMES])
@pytest.mark.parametrize("template", ["resume-classic", "resume-modern"])
async def test_a_resume_prints_its_own_words_in_its_language(
    service: RenderService, template: str, language: str, engine: str, words: list[str]
) -> None:
    rendered = await render(service, template, resume(language))
    # ASCII data in a language written in a script the fast path cannot set (CJK) takes the
    # Unicode path for its words; Russian and Greek words the fast path sets (T2A, LGR).
    assert rendered.engine == engine
    assert missing(words, rendered.body) == []
    if language != "en":
        text = pdf_text(rendered.body)
        assert [w for w in ("Experience", "EXPERIENCE", "Present") if w in text] == []
    assert pdf_lang(rendered.body) == [language]


async def test_an_arabic_resume_has_arabic_headings_on_its_right(service: RenderService) -> None:
    """An Arabic document is mirrored (rendering.filling._mirror): its headings, Arabic now,
    read in their order and stand on the right of the page."""
    data = resume("ar", basics={"name": "ليلى حداد", "summary": "مهندسة بيانات"})
    data["work"][0] |= {"name": "شركة النور", "position": "مهندسة"}
    data["work"][1] |= {"name": "شركة الفجر", "position": "متدربة"}
    rendered = await render(service, "resume-classic", data)
    assert rendered.engine == "xelatex"
    words = ["نبذة مختصرة", "الخبرة العملية", "التعليم", "سبتمبر 2021 – حتى الآن"]
    assert missing([*words, "مارس 2019 – أغسطس 2021"], rendered.body) == []
    assert "Experience" not in pdf_text(rendered.body)
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"],
        input=rendered.body,
        capture_output=True,
        check=True,
    ).stdout.decode()
    page_width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))  # type: ignore[union-attr]
    # -bbox lists a word's letters as they stand on the page, left to right.
    x_min = {
        word[::-1]: float(x)
        for x, word in re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', boxes)
    }
    first, second = x_min["الخبرة"], x_min["العملية"]
    assert first > second, "the heading's first word is on the right of its second"
    assert second > page_width / 2, "the heading stands on the right of the page"
    assert pdf_lang(rendered.body) == ["ar"]


LETTERS = [
    ("en", "5 December 2026", "Enclosed: CV"),
    ("fr", "5 décembre 2026", "Pièces jointes : CV"),
    ("de", "5. Dezember 2026", "Anlagen: CV"),
    ("ru", "5 декабря 2026 г.", "Приложения: CV"),
    ("el", "5 Δεκεμβρίου 2026", "Συνημμένα: CV"),
    ("zh", "2026年12月5日", "附件： CV"),
    ("ja", "2026年12月5日", "同封書類： CV"),
    ("ar", "عمّان، 5 ديسمبر 2026", "المرفقات: السيرة الذاتية"),
]


@pytest.mark.parametrize(("language", "date", "enclosed"), LETTERS, ids=[x[0] for x in LETTERS])
async def test_a_letter_is_dated_in_its_language(
    service: RenderService, language: str, date: str, enclosed: str
) -> None:
    data = letter(language)
    if language == "ar":  # an Arabic letter, in Arabic (a Latin run beside a date reorders it)
        data |= {"place": "عمّان", "paragraphs": ["أتقدم بطلبي."], "enclosures": ["السيرة الذاتية"]}
    rendered = await render(service, "cover-letter", data)
    assert missing([date, enclosed], rendered.body) == []
    assert pdf_lang(rendered.body) == [language]


async def test_a_letter_is_hyphenated_with_its_languages_patterns_or_none(
    service: RenderService,
) -> None:
    """The letter's body selects its language's patterns when the format has them; without
    them, no patterns at all rather than English ones."""
    source, _ = service.pipeline.tex_source(RenderOrder.for_data("cover-letter", letter("fr")))
    assert r"\ifcsname l@french\endcsname" in source
    assert r"\language=\l@nohyphenation" in source
    source, _ = service.pipeline.tex_source(RenderOrder.for_data("cover-letter", letter("sv")))
    assert r"\ifcsname l@\endcsname" in source  # never defined: no patterns


def _patterns_loaded() -> set[str]:
    """The languages TeX's formats load patterns for: the names language.dat lists (a line
    ``french loadhyph-fr.tex``; comments start with ``%``)."""
    found = subprocess.run(["kpsewhich", "language.dat"], capture_output=True, check=False)
    path = Path(found.stdout.decode().strip())
    if found.returncode != 0 or not path.is_file():
        return set()
    lines = path.read_text(errors="replace").splitlines()
    return {line.split()[0].lstrip("=") for line in lines if line.strip() and line[0] != "%"}


async def test_a_letter_without_its_languages_patterns_is_not_hyphenated(
    service: RenderService,
) -> None:
    """English patterns are there and break long English words; French ones are not (Debian's
    TeX Live without texlive-lang-french), so a French letter keeps its words whole rather than
    break them at English places."""
    if "french" in _patterns_loaded():
        pytest.skip("French patterns are installed here")
    words = "Internationalization responsibilities characteristically incomprehensibilities"
    hyphens = {}
    for language in ("en", "fr"):
        data = {"meta": {"language": language}, "paragraphs": [" ".join([words] * 20)]}
        rendered = await render(service, "cover-letter", data)
        layout = subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
            input=rendered.body,
            capture_output=True,
            check=True,
        ).stdout.decode()
        hyphens[language] = sum(line.rstrip().endswith("-") for line in layout.splitlines())
    assert hyphens["en"] > 0
    assert hyphens["fr"] == 0


async def test_the_language_can_be_told_by_the_letters(service: RenderService) -> None:
    data = resume(None, basics={"name": "Γιώργος Παπαδόπουλος", "summary": "Μηχανικός λογισμικού"})
    rendered = await render(service, "resume-classic", data)
    assert missing(["Επαγγελματική εμπειρία"], rendered.body) == []
    assert pdf_lang(rendered.body) == ["el"]


async def test_an_unknown_language_is_english_with_a_warning(service: RenderService) -> None:
    rendered = await render(service, "resume-classic", resume("sv-SE"))
    assert "Experience" in pdf_text(rendered.body)
    assert [w.pointer for w in rendered.warnings] == ["/meta/language"]
    assert pdf_lang(rendered.body) == ["sv-SE"]  # the data is Swedish all the same


async def test_dates_in_words_print_as_written_with_a_warning(service: RenderService) -> None:
    data = resume("fr")
    data["work"][0]["startDate"] = "Disponible à partir de septembre 2021"
    data["work"][1] |= {"startDate": "Summer 2019", "endDate": "2019 – heute"}
    rendered = await render(service, "resume-classic", data)
    text = pdf_text(rendered.body)
    assert "Disponible à partir de septembre 2021" in text
    assert "aujourd’hui" not in text  # the text says itself how long it lasts
    assert "Summer 2019 – 2019 – heute" in text
    assert {w.pointer for w in rendered.warnings} == {
        "/work/0/startDate",
        "/work/1/startDate",
        "/work/1/endDate",
    }
