"""Regenerate the table of characters pdfLaTeX can set (``MEASURED_RANGES`` in the reading
stage's character check).

    .venv/bin/python -m tools.charset_table probe > /tmp/probe.tex
    (cd /tmp && pdflatex -interaction=batchmode probe.tex)
    .venv/bin/python -m tools.charset_table table < /tmp/probe.log

A maintainer's tool, kept out of the runtime package: it loads the catalogue to get a
template's preamble, which the character check itself must never do.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence

from rendering import DEFAULT_TEMPLATES_DIR, Catalogue

Ranges = tuple[tuple[int, int], ...]


def to_ranges(code_points: Iterable[int]) -> Ranges:
    """Sorted, merged inclusive ranges of ``code_points``."""
    ranges: list[tuple[int, int]] = []
    for point in sorted(set(code_points)):
        if ranges and point == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return tuple(ranges)


PROBE_MARK = "CHARSET-DEFINED"
DEFAULT_CANDIDATES: Ranges = ((0x00A0, 0x33FF), (0xFB00, 0xFB4F), (0xFE00, 0xFFFF))
"""The code points worth probing: every definition LaTeX 2022 has lies in them (a probe of all
of U+00A0..U+10FFFF found none outside). Surrogates are skipped."""


def probe_source(preamble: str, candidates: Iterable[tuple[int, int]] = DEFAULT_CANDIDATES) -> str:
    """A TeX document that logs ``CHARSET-DEFINED <hex>`` for each candidate code point that
    the 2022 kernel's utf8 support defines after ``preamble`` (the template up to, not
    including, ``\\endofdump``).

    The kernel stores the definition of a character as the macro ``u8:`` followed by the
    character's UTF-8 bytes; ``\\detokenize`` turns the (active) bytes as written in the file
    into those of the macro name without expanding them.
    """
    lines = [
        preamble.rstrip("\n"),
        r"\def\charsetProbe#1#2{\ifcsname u8:\detokenize{#1}\endcsname",
        rf"  \typeout{{{PROBE_MARK} #2}}\fi}}",
        r"\begin{document}",
    ]
    for first, last in candidates:
        lines.extend(
            rf"\charsetProbe{{{chr(cp)}}}{{{cp:04X}}}"
            for cp in range(first, last + 1)
            if not 0xD800 <= cp <= 0xDFFF
        )
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def parse_probe_log(log: str) -> Ranges:
    """The code points a log of :func:`probe_source` reports as defined, as merged ranges."""
    marks = re.findall(rf"^{PROBE_MARK} ([0-9A-F]{{4,6}})$", log, re.MULTILINE)
    return to_ranges(int(mark, 16) for mark in marks)


def format_ranges(ranges: Ranges, per_line: int = 5) -> str:
    """``ranges`` as the Python literal this module's tables are written in."""
    cells = [f"(0x{first:04X}, 0x{last:04X})," for first, last in ranges]
    rows = [" ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    return "(\n" + "".join(f"    {row}\n" for row in rows) + ")"


def main(argv: Sequence[str] | None = None) -> None:
    """Regenerate the table: ``python -m tools.charset_table probe [TEMPLATE] > probe.tex``
    writes the probe for a template's preamble (resume-classic by default); after
    ``pdflatex -interaction=batchmode probe.tex``, ``python -m tools.charset_table table <
    probe.log`` prints its ranges in the form of :data:`MEASURED_RANGES`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["probe"] and len(args) <= 2:
        name = args[1] if len(args) == 2 else "resume-classic"
        tex = Catalogue.load([DEFAULT_TEMPLATES_DIR])[name].to_tex({})
        sys.stdout.write(probe_source(tex.split("\n\\endofdump\n", 1)[0]))
    elif args == ["table"]:
        log = sys.stdin.buffer.read().decode("utf-8", errors="replace")
        sys.stdout.write(format_ranges(parse_probe_log(log)) + "\n")
    else:
        raise SystemExit("usage: python -m tools.charset_table probe [TEMPLATE] | table < LOG")


if __name__ == "__main__":
    main()
