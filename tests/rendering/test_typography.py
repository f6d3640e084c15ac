"""Typed characters come back as typed, on either path: a real minus sign is set (it used to be
a 422), ASCII quotes and a lone backtick stay straight (the Unicode path's TeX ligatures
curled ``"``), typographic quotes and the ellipsis stay what they are."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from rendering import RenderConfig, RenderOrder, build_service
from server.settings import DEFAULT_TEMPLATES_DIR
from tests.conftest import pdf_text

pytestmark = pytest.mark.tex

TYPED = "−40 °C, \"straight\" 'single' `tick “curly” ‘curly’ … −2.5 K"  # noqa: RUF001
# Cyrillic is set on the fast path (T2A); Chinese still takes the Unicode path.
PATHS = {"fast": ("Ada", ""), "fast-cyrillic": ("Ада", ""), "unicode": ("李雷", "xelatex")}


def _data(template: str, name: str) -> dict[str, object]:
    if template == "cover-letter":
        return {"sender": {"name": name, "label": TYPED}, "paragraphs": [TYPED]}
    return {"basics": {"name": name, "label": TYPED}, "work": [{"name": "Acme", "summary": TYPED}]}


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("template", ["resume-classic", "resume-modern", "cover-letter"])
async def test_typed_characters_come_back_as_typed(
    template: str, path: str, work_dir: Path
) -> None:
    name, engine = PATHS[path]
    config = RenderConfig(
        template_dirs=(DEFAULT_TEMPLATES_DIR,), work_dir=work_dir, formats_enabled=False
    )
    service = await build_service(config)
    rendered = await service.pipeline.render(RenderOrder.for_data(template, _data(template, name)))
    assert rendered.engine == engine
    text = " ".join(unicodedata.normalize("NFC", pdf_text(rendered.body)).split())
    assert text.count(TYPED) == 2, text


COMPOUNDS = "customer-centric Kubernetes infrastructure, well-monitored Redis; "


@pytest.mark.parametrize("template", ["resume-classic", "resume-modern", "cover-letter"])
async def test_no_word_and_no_typed_hyphen_is_broken_at_a_line_end(
    template: str, work_dir: Path
) -> None:
    """Sixty lines' worth of words that hyphenate and compounds with a typed hyphen: each comes
    back whole (pdftotext drops a hyphen that ends a line, so a break there would show)."""
    text = COMPOUNDS * 60
    data: dict[str, object] = (
        {"paragraphs": [text]}
        if template == "cover-letter"
        else {"basics": {"name": "Ada", "summary": text}}
    )
    config = RenderConfig(
        template_dirs=(DEFAULT_TEMPLATES_DIR,), work_dir=work_dir, formats_enabled=False
    )
    service = await build_service(config)
    rendered = await service.pipeline.render(RenderOrder.for_data(template, data))
    extracted = pdf_text(rendered.body)
    assert extracted.count("customer-centric") == 60
    assert extracted.count("well-monitored") == 60
    if template != "cover-letter":  # the letter's prose may hyphenate; pdftotext rejoins it
        assert "Kuber-" not in extracted
        assert extracted.count("Kubernetes") == 60
