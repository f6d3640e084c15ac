"""What a TeX run said, told in the terms of the template and the data.

A TeX error names a line of the generated source; a layout warning names a range of them. Here
they are traced (by :meth:`~rendering.catalogue.Template.traced_tex`, a second fill only when
there is something to tell) to the template line that made that source line and to the data
value set there, so a client learns "``/work/2/highlights/0`` is too wide at template line 227"
instead of "line 131 of a file you never saw".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from .catalogue import DEFAULT_PAPER, TEMPLATE_FILE, Template
from .errors import FieldError, ReadWarning, TexError, UnsupportedCharacter, json_pointer
from .filling import SHARED_DIR, FilledSource, escape_latex, pointer_in
from .typesetting import LayoutReport, layout_report, unsupported_character

# A line this much wider than the text shows in print; less is within what TeX lets pass.
OVERFULL_WARNING_PT = 2.0
MAX_LAYOUT_WARNINGS = 10


def file_label(template: Template, name: str | None) -> str:
    """How a client is told which file: ``resume-classic/template.tex.j2`` for the template's
    own, ``_shared/jsonresume.tex.j2`` for one it includes."""
    if name is None or name == TEMPLATE_FILE:
        return template.source_name
    return f"{SHARED_DIR}/{name}"


def explain_tex_error(
    error: TexError,
    template: Template,
    data: Mapping[str, Any],
    *,
    unicode: bool = False,
    paper: str = DEFAULT_PAPER,
    tagged: bool = False,
) -> TexError | UnsupportedCharacter:
    """Turn "Unicode character X not set up" into a 422 that names every field holding X; any
    other error is traced to its template line and data value (filled as it was: for the
    Unicode path with ``unicode``, on ``paper``, tagged or not)."""
    char = unsupported_character(error.tex)
    if char is None:
        return locate_error(template, data, error, unicode=unicode, paper=paper, tagged=tagged)
    pointers = list(find_character(data, char))
    message = f"character {char!r} (U+{ord(char):04X}) cannot be typeset by this template"
    errors = [FieldError(pointer, message) for pointer in pointers] or [FieldError("", message)]
    return UnsupportedCharacter(message, errors)


def find_character(data: Any, char: str, path: tuple[object, ...] = ()) -> Iterator[str]:
    """JSON Pointers of every string (key or value) in ``data`` that contains ``char``."""
    if isinstance(data, str):
        if char in data:
            yield json_pointer(path)
    elif isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and char in key:
                yield json_pointer((*path, key))
            yield from find_character(value, char, (*path, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from find_character(item, char, (*path, index))


def locate_error(
    template: Template,
    data: Mapping[str, Any],
    error: TexError,
    *,
    unicode: bool = False,
    paper: str = DEFAULT_PAPER,
    tagged: bool = False,
) -> TexError:
    """``error`` with the template line and the data pointer behind its source line."""
    line = error.tex.line
    if line is None:
        return error
    traced = template.traced_tex(data, unicode=unicode, paper=paper, tagged=tagged)
    source_line = traced.line(line)
    located = dataclasses.replace(
        error.tex,
        template=file_label(template, traced.template_file(line)),
        template_line=traced.template_line(line),
        pointer=pointer_in(data, source_line, escape_latex),
    )
    where = f" ({located.template} line {located.template_line})"
    detail = error.detail + (where if located.template_line else "")
    return TexError(detail, located)


def layout_warnings(
    template: Template,
    data: Mapping[str, Any],
    log: str,
    *,
    unicode: bool = False,
    paper: str = DEFAULT_PAPER,
    tagged: bool = False,
) -> tuple[ReadWarning, ...]:
    """Warnings worth a client's attention in TeX's ``log``: lines wider than the text by more
    than :data:`OVERFULL_WARNING_PT`, and more pages than the template is laid out for."""
    report = layout_report(log)
    return _layout_warnings(template, data, report, unicode=unicode, paper=paper, tagged=tagged)


def _layout_warnings(
    template: Template,
    data: Mapping[str, Any],
    report: LayoutReport,
    *,
    unicode: bool,
    paper: str,
    tagged: bool,
) -> tuple[ReadWarning, ...]:
    warnings: list[ReadWarning] = []
    wide = [box for box in report.overfull if box.points > OVERFULL_WARNING_PT]
    if wide:
        traced: FilledSource = template.traced_tex(
            data, unicode=unicode, paper=paper, tagged=tagged
        )
        for box in wide[:MAX_LAYOUT_WARNINGS]:
            text = "\n".join(traced.line(n) for n in range(box.first_line, box.last_line + 1))
            pointer = pointer_in(data, text, escape_latex) or ""
            origin = traced.template_line(box.first_line)
            label = file_label(template, traced.template_file(box.first_line))
            where = f" ({label} line {origin})" if origin else ""
            warnings.append(
                ReadWarning(
                    pointer, f"a line is {box.points:.1f}pt wider than the text column{where}"
                )
            )
    if template.pages is not None and report.pages is not None and report.pages > template.pages:
        warnings.append(
            ReadWarning(
                "",
                f"the document has {report.pages} pages; the template is laid out for at most "
                f"{template.pages}",
            )
        )
    return tuple(warnings)
