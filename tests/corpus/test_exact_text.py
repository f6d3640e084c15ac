"""Every string of every corpus file comes out of every template's PDF exactly as
``pdftotext`` reads it (NFC, white space normalised, hyphenation joined): what an applicant
tracking system sees. The places a template does not show are listed
(``tools.exact_text.NOT_SHOWN``) and their values must then be absent, not passed over.

A file and template that do not pass yet are marked ``xfail(strict=True)`` with the reason, so
a fix that makes one pass fails the suite until its mark is taken away.
``python -m tools.exact_text`` counts the same per template and script.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest

from rendering import Catalogue, RenderConfig, build_service
from rendering.filling import language_of, words_for
from server.settings import DEFAULT_TEMPLATES_DIR
from tools.exact_text import NOT_SHOWN, Document, PdfText, corpus, found
from tools.exact_text._check import check_document

pytestmark = pytest.mark.tex

TEMPLATES = ("resume-classic", "resume-modern", "cover-letter")
DOCUMENTS = corpus()

# The files in a script T1 cannot set that the fast path sets all the same (T2A, LGR): their
# exact text is checked there, not on the Unicode path.
FAST_PATH_SCRIPTS = {"russian.json", "ukrainian.json", "greek.json"}

# Why a file does not come out exactly yet, by (file, template): none now.
KNOWN: dict[tuple[str, str], str] = {}


def cases() -> list[Any]:
    found: list[Any] = []
    for document in DOCUMENTS:
        for template in TEMPLATES:
            reason = KNOWN.get((document.name, template))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            found.append(
                pytest.param(document, template, marks=marks, id=f"{document.name}-{template}")
            )
    return found


@pytest.mark.parametrize(("document", "template"), cases())
async def test_every_string_comes_out_exactly(
    document: Document, template: str, work_dir: Path
) -> None:
    config = RenderConfig(
        template_dirs=(DEFAULT_TEMPLATES_DIR,),
        work_dir=work_dir,
        formats_enabled=False,
        cache_bytes=0,
    )
    service = await build_service(config)
    checked = await check_document(service.pipeline, template, document)
    assert checked.error is None, checked.report()
    if document.name in FAST_PATH_SCRIPTS:
        assert checked.engine == "pdflatex"
    assert checked.missing == [], checked.report()
    # What the template does not show (NOT_SHOWN) is not in the PDF after all.
    assert checked.leaked == [], checked.report()
    # The words the template prints itself are the document's language's.
    assert checked.text is not None
    missing = [w for w in own_words(template, document.data) if not found_word(w, checked.text)]
    assert missing == [], f"{document.name} through {template}: missing {missing}"


# Résumé sections by the key of their heading in texrender_words.
_SECTIONS = {
    "work": "experience", "projects": "projects", "education": "education", "skills": "skills",
    "publications": "publications", "awards": "awards", "certificates": "certificates",
    "volunteer": "volunteering", "languages": "languages", "interests": "interests",
    "references": "references",
}  # fmt: skip


def own_words(template: str, data: dict[str, Any]) -> list[str]:
    """What a résumé template prints itself for ``data``, in the data's language: the headings
    of the sections it has, "Present" for an entry still going on, a month name (the cover
    letter made from a corpus file has none of these)."""
    if template == "cover-letter":
        return []
    words = words_for(language_of(data).words)
    shown = [words.text[key] for section, key in _SECTIONS.items() if data.get(section)]
    if (data.get("basics") or {}).get("summary"):
        shown.append(words.text["summary"])
    for entry in data.get("work") or []:
        start = entry.get("startDate") or ""
        if len(start) >= 7 and start[:4].isdigit():  # an ISO month: its name is printed
            shown.append(words.short_date(start) or start)
            if not entry.get("endDate"):
                shown.append(words.text["present"])
    return shown


def _folded(text: str) -> str:
    """Without case or accents: headings in small capitals read back in capitals, and Greek
    capitals drop their accents."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def found_word(word: str, text: PdfText) -> bool:
    """Whether a word the template prints itself is in the PDF's text, in any case."""
    return found(word, text) or _folded(word) in _folded(text.text)


def test_own_words_can_fail() -> None:
    """The check above looks for the words, not for anything: English headings are not in a
    PDF whose text is Russian headings."""
    data = {"meta": {"language": "ru"}, "work": [{"startDate": "2021-09"}]}
    text = PdfText("Опыт работы\nсент. 2021 – настоящее время")  # noqa: RUF001
    assert all(found_word(word, text) for word in own_words("resume-classic", data))
    assert not found_word(words_for("en").text["experience"], text)
    assert found_word("ОПЫТ РАБОТЫ", text)


@pytest.mark.parametrize("template", TEMPLATES)
def test_what_is_not_shown_is_what_the_template_says(template: str) -> None:
    """The corpus test's list of places not shown is the template's own (template.toml)."""
    shown = Catalogue.load([DEFAULT_TEMPLATES_DIR]).get_template(template).shown
    said = shown.not_printed | {f"{place}.*" for place in shown.metadata if place != "$schema"}
    assert NOT_SHOWN[template] == said | ({"$schema"} & shown.metadata)
