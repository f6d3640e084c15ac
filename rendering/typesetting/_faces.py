"""Which file holds each face of the Unicode path's fonts, and the check that the machine has
those very files.

XeLaTeX loads the faces by file name (``[NotoSerif-Bold.ttf]``), found by kpathsea in the
system's font folders, instead of by family name: a name is a fontconfig lookup on every render
and, with fontspec, every face of every family is opened when it is declared. By file, the font
declarations are plain NFSS (lazy: a face is opened the first time the document uses it) and
can be kept in the Unicode path's format. At start-up :func:`check_face_files` makes sure that
each file is the one fontconfig names for its family and style (so the faces are the ones a
lookup by name would have given) and that kpathsea finds that same file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

import trio

REGULAR, BOLD, ITALIC, BOLD_ITALIC = "Regular", "Bold", "Italic", "Bold Italic"


@dataclass(frozen=True)
class Face:
    """One face: its file, and its index when the file is a collection (``.ttc``)."""

    file: str
    index: int = 0

    @property
    def tex(self) -> str:
        """The face as XeTeX names a font file: ``[file]`` or ``[file:index]``."""
        return f"[{self.file}:{self.index}]" if self.index else f"[{self.file}]"


def _latin(stem: str) -> dict[str, Face]:
    return {
        style: Face(f"{stem}-{style.replace(' ', '')}.ttf")
        for style in (REGULAR, BOLD, ITALIC, BOLD_ITALIC)
    }


def _upright(stem: str, *, bold: bool = True) -> dict[str, Face]:
    faces = {REGULAR: Face(f"{stem}-Regular.ttf")}
    if bold:
        faces[BOLD] = Face(f"{stem}-Bold.ttf")
    return faces


# The order of the faces in Noto CJK's collections (the same in every weight).
_CJK_INDEX = {"JP": 0, "KR": 1, "SC": 2, "TC": 3, "HK": 4}


def _cjk(style: str, variant: str) -> dict[str, Face]:
    index = _CJK_INDEX[variant]
    return {
        REGULAR: Face(f"Noto{style}CJK-Regular.ttc", index),
        BOLD: Face(f"Noto{style}CJK-Bold.ttc", index),
    }


# Family -> style -> face: every family the Unicode path sets text in, with the styles it has.
FACES: dict[str, dict[str, Face]] = {
    "Noto Serif": _latin("NotoSerif"),
    "Noto Sans": _latin("NotoSans"),
    "Noto Naskh Arabic": _upright("NotoNaskhArabic"),
    "Noto Serif Hebrew": _upright("NotoSerifHebrew"),
    "Noto Sans Math": _upright("NotoSansMath", bold=False),
    **{
        f"Noto {style} CJK {variant}": _cjk(style, variant)
        for style in ("Serif", "Sans")
        for variant in _CJK_INDEX
    },
}


async def check_face_files() -> str | None:
    """None when every face of :data:`FACES` is where fontconfig and kpathsea both find it;
    otherwise what is wrong (the Unicode path is then off)."""
    if shutil.which("fc-list") is None or shutil.which("kpsewhich") is None:
        return "fc-list or kpsewhich is missing"
    listed = await _output(["fc-list", "-f", "%{file}\t%{index}\t%{family}\t%{style}\n"])
    known: dict[tuple[str, int], tuple[str, set[str], set[str]]] = {}
    for line in listed.splitlines():
        path, index, families, styles = [*line.split("\t"), "", "", ""][:4]
        if index.isdigit():
            key = (os.path.basename(path), int(index))
            known[key] = (path, set(families.split(",")), set(styles.split(",")))
    paths: dict[str, str] = {}
    for family, faces in FACES.items():
        for style, face in faces.items():
            entry = known.get((face.file, face.index))
            if entry is None or family not in entry[1] or style not in entry[2]:
                return f"fontconfig has no {family} {style} in {face.file}"
            paths[face.file] = entry[0]
    names = sorted(paths)
    found = (await _output(["kpsewhich", *names])).splitlines()
    wrong = [name for name in names if paths[name] not in found]
    if wrong:
        return f"kpathsea does not find {', '.join(wrong)} where fontconfig has it"
    return None


async def _output(argv: list[str]) -> str:
    result = await trio.run_process(
        argv, capture_stdout=True, stderr=subprocess.DEVNULL, check=False
    )
    return result.stdout.decode(errors="replace")
