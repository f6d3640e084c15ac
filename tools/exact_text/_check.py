"""One corpus file through one template: render it and look for every string it holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from rendering import Pipeline, RenderError, RenderOrder

from ._corpus import Document, for_template
from ._match import PdfText, found, found_as_words
from ._shown import Expected, expected_strings


@dataclass
class Checked:
    """What came out: strings found, strings missing (with the line not found), values of
    places the template does not show (and those of them in the PDF all the same, as whole
    words: a value too short to tell is not looked for), or the render's error."""

    template: str
    document: Document
    engine: str = ""
    found: list[Expected] = field(default_factory=list)
    missing: list[tuple[Expected, str]] = field(default_factory=list)
    not_shown: list[Expected] = field(default_factory=list)
    leaked: list[Expected] = field(default_factory=list)
    error: str | None = None
    text: PdfText | None = None  # the PDF's text, to look for more in it

    @property
    def total(self) -> int:
        return len(self.found) + len(self.missing)

    def report(self) -> str:
        """The misses, one a line (for an assertion message)."""
        lines = [f"{self.document.name} through {self.template}: {self.error or ''}"]
        lines += [f"  missing {e.pointer}: {line!r}" for e, line in self.missing]
        lines += [f"  not shown, yet in the PDF {e.pointer}: {e.value!r}" for e in self.leaked]
        return "\n".join(lines)


async def check_document(pipeline: Pipeline, template: str, document: Document) -> Checked:
    """Render ``document`` through ``template`` and look for each of its strings."""
    data = for_template(document, template)
    order = RenderOrder.for_data(template, data)
    checked = Checked(template, document)
    try:
        read = pipeline.check(order).reading.data
        rendered = await pipeline.render(order)
    except RenderError as exc:
        checked.error = f"{type(exc).__name__}: {exc}"
        checked.missing = [(e, e.lines[0]) for e in expected_strings(template, data) if e.shown]
        return checked
    checked.engine = rendered.engine or "pdflatex"
    text = checked.text = PdfText.of(rendered.body)
    for expected in expected_strings(template, read):
        if not expected.shown:
            checked.not_shown.append(expected)
            if found_as_words(expected.value, text):
                checked.leaked.append(expected)
            continue
        lost = next((line for line in expected.lines if not found(line, text)), None)
        if lost is None:
            checked.found.append(expected)
        else:
            checked.missing.append((expected, lost))
    return checked
