"""TeX source -> PDF, in a sandbox: the engine run as a bounded, cancellable process group in
a private work directory, the preamble formats it starts from, TeX's log read, and the fonts of
the Unicode path with the characters they can set.

Knows nothing of templates or data: it is given TeX source.
"""

from __future__ import annotations

from ._boxed import BoxKilled, BoxStartFailed, BoxTimeout, run_boxed, work_directory
from ._cjkfonts import cut_cjk_collections
from ._engine import (
    PICTURE_FILE,
    CompileResult,
    EngineInfo,
    PdfLatexEngine,
    TexEngine,
    probe_engine,
)
from ._faces import BOLD, BOLD_ITALIC, FACES, ITALIC, REGULAR, Face, check_face_files
from ._files import write_atomically
from ._fonts import (
    CJK_VARIANTS,
    ENGINE,
    MAIN_FONT,
    SCRIPTS,
    UnicodeCoverage,
    cjk_face,
    measure_coverage,
)
from ._formats import FormatStore, ensure_private_dir
from ._sandbox import SandboxLimits, resolve_user
from ._texlog import LayoutReport, layout_report, unsupported_character

__all__ = [
    "BOLD",
    "BOLD_ITALIC",
    "CJK_VARIANTS",
    "ENGINE",
    "FACES",
    "ITALIC",
    "MAIN_FONT",
    "PICTURE_FILE",
    "REGULAR",
    "SCRIPTS",
    "BoxKilled",
    "BoxStartFailed",
    "BoxTimeout",
    "CompileResult",
    "EngineInfo",
    "Face",
    "FormatStore",
    "LayoutReport",
    "PdfLatexEngine",
    "SandboxLimits",
    "TexEngine",
    "UnicodeCoverage",
    "check_face_files",
    "cjk_face",
    "cut_cjk_collections",
    "ensure_private_dir",
    "layout_report",
    "measure_coverage",
    "probe_engine",
    "resolve_user",
    "run_boxed",
    "unsupported_character",
    "work_directory",
    "write_atomically",
]
