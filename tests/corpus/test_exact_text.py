"""Every string of every corpus file comes out of every template's PDF exactly as
``pdftotext`` reads it (NFC, white space normalised, hyphenation joined): what an applicant
tracking system sees. The places a template does not show are listed
(``tools.exact_text.NOT_SHOWN``) and their values must then be absent, not passed over.

A file and template that do not pass yet are marked ``xfail(strict=True)`` with the reason, so
a fix that makes one pass fails the suite until its mark is taken away.
``python -m tools.exact_text`` counts the same per template and script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rendering import Catalogue, RenderConfig, build_service
from server.settings import DEFAULT_TEMPLATES_DIR
from tools.exact_text import NOT_SHOWN, Document, corpus
from tools.exact_text._check import check_document

pytestmark = pytest.mark.tex

TEMPLATES = ("resume-classic", "resume-modern", "cover-letter")
DOCUMENTS = corpus()

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
    assert checked.missing == [], checked.report()
    # What the template does not show (NOT_SHOWN) is not in the PDF after all.
    assert checked.leaked == [], checked.report()


@pytest.mark.parametrize("template", TEMPLATES)
def test_what_is_not_shown_is_what_the_template_says(template: str) -> None:
    """The corpus test's list of places not shown is the template's own (template.toml)."""
    shown = Catalogue.load([DEFAULT_TEMPLATES_DIR]).get_template(template).shown
    said = shown.not_printed | {f"{place}.*" for place in shown.metadata if place != "$schema"}
    assert NOT_SHOWN[template] == said | ({"$schema"} & shown.metadata)
