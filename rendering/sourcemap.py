"""The filled TeX source, with the template line each of its lines came from.

Jinja's compiled template is a generator of output chunks; when it yields one, its frame sits
on a line of the generated Python code, which Jinja maps back to the template
(``get_corresponding_lineno``). Output made by a macro is yielded at the line that calls the
macro, so that is the line it is traced to. Static text is found in the template itself, line
by line, near where it was yielded (Jinja yields a run of static lines as one chunk). Tracing
costs a few milliseconds a document, so it is done only when there is something to report (a
TeX error, a warning about the layout).
"""

from __future__ import annotations

import bisect
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import jinja2

from .text import json_pointer

_LOOK_AHEAD = 4


@dataclass(frozen=True)
class FilledSource:
    """TeX source and, for each of its lines, the template line that produced it (0: none)."""

    text: str
    template_lines: tuple[int, ...]

    def template_line(self, source_line: int) -> int | None:
        """The template line behind line ``source_line`` (1-based) of the source."""
        if 1 <= source_line <= len(self.template_lines):
            return self.template_lines[source_line - 1] or None
        return None

    def line(self, source_line: int) -> str:
        lines = self.text.splitlines()
        return lines[source_line - 1] if 1 <= source_line <= len(lines) else ""


def fill_traced(
    template: jinja2.Template, variables: Mapping[str, Any], template_source: Sequence[str]
) -> FilledSource:
    """Render ``template`` with ``variables``, keeping each output line's template line.

    ``template_source`` is the template's text, a line per item (to place static text).
    """
    code_lines, template_lines = _line_table(template)
    generator = cast(
        "types.GeneratorType[str, None, None]",
        template.root_render_func(template.new_context(dict(variables))),
    )
    chunks: list[str] = []
    lines: list[int] = []
    at_line_start = True
    for chunk in generator:
        chunks.append(chunk)
        if not chunk:
            continue
        frame = generator.gi_frame
        origin = 0
        if frame is not None:
            index = bisect.bisect_right(code_lines, frame.f_lineno) - 1
            origin = template_lines[index] if index >= 0 else 0
        pieces = chunk.split("\n")
        if chunk.endswith("\n"):
            pieces.pop()  # the next line starts with the next chunk
        placed = _placed(pieces, origin, template_source)
        if at_line_start:
            lines.extend(placed)
        else:
            lines.extend(placed[1:])  # the first piece ends a line already counted
        at_line_start = chunk.endswith("\n")
    return FilledSource("".join(chunks), tuple(lines))


_TABLES: dict[int, tuple[list[int], list[int]]] = {}


def _line_table(template: jinja2.Template) -> tuple[list[int], list[int]]:
    """Code lines (sorted) and their template lines, read once per compiled template (Jinja
    parses its debug string on every ``get_corresponding_lineno``)."""
    table = _TABLES.get(id(template))
    if table is None:
        pairs = sorted((code, source) for source, code in template.debug_info)
        table = ([code for code, _ in pairs], [source for _, source in pairs])
        _TABLES[id(template)] = table
    return table


def _placed(pieces: list[str], origin: int, source: Sequence[str]) -> list[int]:
    """The template line of each line piece of one chunk: static text is found in the
    template near where the chunk was yielded (and each line after the one before); text made
    from data is not there, and keeps the line it was yielded at."""
    placed = []
    cursor = max(origin, 1)
    for piece in pieces:
        text = piece.strip()
        found = 0
        if len(text) >= 2:
            # Near the yield first; the first chunk (the preamble) is yielded before any line
            # is known, so it is looked for from the cursor to the end.
            last = len(source) if origin == 0 else min(cursor + _LOOK_AHEAD, len(source))
            for candidate in range(cursor, last + 1):
                if text in source[candidate - 1]:
                    found = candidate
                    break
        if found:
            cursor = found
        placed.append(found or origin or cursor)
        if found:
            cursor = found + 1 if len(pieces) > 1 else found
    return placed


def pointer_in(data: Any, text: str, escape: Callable[[str], str]) -> str | None:
    """The JSON Pointer of the longest string in ``data`` that appears in ``text`` (a line of
    the source) as it was set there (``escape``d) or as it is; None when none does."""
    best: tuple[int, str] | None = None
    stack: list[tuple[Any, tuple[object, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            stack.extend((member, (*path, key)) for key, member in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, str):
            shown = value.strip().split("\n", 1)[0].strip()
            if len(shown) < 3 or (best is not None and len(shown) <= best[0]):
                continue
            if shown in text or escape(shown) in text:
                best = (len(shown), json_pointer(path))
    return best[1] if best is not None else None
