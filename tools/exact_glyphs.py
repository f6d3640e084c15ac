"""Measure which characters pdfLaTeX sets with glyphs that read back as something else
(``COMPOSED_RANGES`` in the filling stage's ``_actualtext.py``).

    .venv/bin/python -m tools.exact_glyphs [TEMPLATE]

Every character the template's pdfLaTeX preamble has a utf8 definition for is set upright,
bold and italic, with the preamble less its exact-text part; ``pdftotext`` reads the PDF back,
and each character that does not come back as itself (after NFC) is listed, as ranges to paste.
A maintainer's tool: it runs pdflatex and pdftotext directly, outside the sandbox.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

from rendering import DEFAULT_TEMPLATES_DIR, Catalogue

from .charset_table import DEFAULT_CANDIDATES, to_ranges

BEGIN_MARK = "% texrender exact text: begin"
END_MARK = "% texrender exact text: end"
_LINE = re.compile(r"^Q([0-9A-F]{4,5})Q (.*) Z$")
_MARK = re.compile(r"Q([0-9A-F]{4,5})Q")
# Read back as a space; dropped by the escaper; break hints that set nothing (U+200B is where a
# template allows a line break, U+FEFF a stray byte-order mark that reading removes).
_SKIPPED = {0x00A0, 0x00AD, 0x200B, 0xFEFF}


def preamble(template: str) -> str:
    """The template's pdfLaTeX preamble up to ``\\endofdump``, without the exact-text part."""
    chosen = Catalogue.load([DEFAULT_TEMPLATES_DIR]).get_template(template)
    source = chosen.to_tex(chosen.sample)
    head = source[: source.index("\n\\endofdump\n") + 1]
    start, end = head.index(BEGIN_MARK), head.index(END_MARK) + len(END_MARK)
    return head[:start] + head[end:]


def probe_source(head: str) -> str:
    lines = [head, r"\begin{document}"]
    for first, last in DEFAULT_CANDIDATES:
        for point in range(first, last + 1):
            char = chr(point)
            if point in _SKIPPED or unicodedata.category(char) in ("Cs", "Cc", "Zs", "Mn"):
                continue
            if unicodedata.normalize("NFC", char) != char:  # never reaches TeX as itself
                continue
            lines.append(
                rf"\ifcsname u8:\detokenize{{{char}}}\endcsname Q{point:04X}Q {char} "
                rf"\textbf{{{char}}} \textit{{{char}}} Z\par\fi"
            )
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def misread(text: str) -> list[int]:
    """The probed code points whose line does not read back as the character three times
    (a line that an accent below broke in two does not either)."""
    probed = {int(found, 16) for found in _MARK.findall(text)}
    good = set()
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        point = int(match.group(1), 16)
        want = unicodedata.normalize("NFC", chr(point))
        if unicodedata.normalize("NFC", match.group(2)).split(" ") == [want] * 3:
            good.add(point)
    return sorted(probed - good)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    template = args[0] if args else "resume-classic"
    pdflatex, pdftotext = shutil.which("pdflatex"), shutil.which("pdftotext")
    if pdflatex is None or pdftotext is None:
        print("needs pdflatex and pdftotext", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "probe.tex").write_text(probe_source(preamble(template)), encoding="utf-8")
        subprocess.run(
            [pdflatex, "-interaction=batchmode", "probe.tex"], cwd=work, capture_output=True
        )
        text = subprocess.run(
            [pdftotext, "-enc", "UTF-8", "probe.pdf", "-"],
            cwd=work,
            capture_output=True,
            check=True,
        ).stdout.decode()
    ranges = to_ranges(misread(text))
    print("COMPOSED_RANGES: Ranges = (")
    items = [f"(0x{a:04X}, 0x{b:04X})," for a, b in ranges]
    for start in range(0, len(items), 5):
        print("    " + " ".join(items[start : start + 5]))
    print(")  # fmt: skip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
