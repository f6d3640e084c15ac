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

from ..errors import json_pointer

_LOOK_AHEAD = 4


@dataclass(frozen=True)
class FilledSource:
    """TeX source and, for each of its lines, the template file and line that produced it
    (line 0: not known)."""

    text: str
    origins: tuple[tuple[str, int], ...]

    def template_line(self, source_line: int) -> int | None:
        """The template line behind line ``source_line`` (1-based) of the source."""
        if 1 <= source_line <= len(self.origins):
            return self.origins[source_line - 1][1] or None
        return None

    def template_file(self, source_line: int) -> str | None:
        """The template file (its name in the loader) behind line ``source_line``."""
        if 1 <= source_line <= len(self.origins):
            return self.origins[source_line - 1][0] or None
        return None

    def line(self, source_line: int) -> str:
        lines = self.text.splitlines()
        return lines[source_line - 1] if 1 <= source_line <= len(lines) else ""


@dataclass(frozen=True)
class _Origin:
    """One template file as the tracer needs it: its name, code-to-template line table and
    its text."""

    name: str
    code_lines: list[int]
    template_lines: list[int]
    source: Sequence[str]

    def line_at(self, code_line: int) -> int:
        index = bisect.bisect_right(self.code_lines, code_line) - 1
        return self.template_lines[index] if index >= 0 else 0


def fill_traced(
    template: jinja2.Template,
    variables: Mapping[str, Any],
    sources: Mapping[str, Sequence[str]],
) -> FilledSource:
    """Render ``template`` with ``variables``, keeping each output line's template file and
    line. A chunk made inside an included template is traced into that file (Jinja renders an
    include as a loop over the included template's generator, kept in the local ``gen``).

    ``sources`` holds the text of every template file by its name (to place static text);
    the catalogue reads them when it loads the template, so tracing reads no file.
    """
    files = _Files(template, sources)
    generator = cast(
        "types.GeneratorType[str, None, None]",
        template.root_render_func(template.new_context(dict(variables))),
    )
    chunks: list[str] = []
    origins: list[tuple[str, int]] = []
    at_line_start = True
    for chunk in generator:
        chunks.append(chunk)
        if not chunk:
            continue
        origin, line = files.origin_of(generator.gi_frame)
        pieces = chunk.split("\n")
        if chunk.endswith("\n"):
            pieces.pop()  # the next line starts with the next chunk
        placed = [(origin.name, n) for n in _placed(pieces, line, origin.source)]
        if at_line_start:
            origins.extend(placed)
        else:
            origins.extend(placed[1:])  # the first piece ends a line already counted
        at_line_start = chunk.endswith("\n")
    return FilledSource("".join(chunks), tuple(origins))


class _Files:
    """The template files a render went through, found by the file name of their code."""

    def __init__(self, template: jinja2.Template, sources: Mapping[str, Sequence[str]]) -> None:
        self._environment = template.environment
        self._sources = sources
        self._root = _origin_of(template, sources.get(template.name or "", ()))
        self._by_file: dict[str | None, _Origin] = {template.filename: self._root}

    def origin_of(self, frame: types.FrameType | None) -> tuple[_Origin, int]:
        if frame is None:
            return self._root, 0
        while True:  # down into included templates, to the one that yielded
            inner = frame.f_locals.get("gen")
            if not isinstance(inner, types.GeneratorType) or inner.gi_frame is None:
                break
            frame = inner.gi_frame
        origin = self._lookup(frame.f_code.co_filename)
        return origin, origin.line_at(frame.f_lineno)

    def _lookup(self, filename: str) -> _Origin:
        found = self._by_file.get(filename)
        if found is not None:
            return found
        for name, source in self._sources.items():
            # Compiled (and cached) when the catalogue loaded: no file is read here.
            candidate = self._environment.get_template(name)
            if candidate.filename == filename:
                self._by_file[filename] = found = _origin_of(candidate, source)
                return found
        return self._root


def _origin_of(template: jinja2.Template, source: Sequence[str]) -> _Origin:
    pairs = sorted((code, line) for line, code in template.debug_info)
    return _Origin(
        template.name or "", [code for code, _ in pairs], [line for _, line in pairs], source
    )


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
