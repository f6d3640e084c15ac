"""TeX source -> PDF, in a sandbox: the engine run as a bounded, cancellable process group in
a private work directory, the preamble formats it starts from, TeX's log read, the fonts that
let the fast path set Cyrillic and Greek, and the fonts of the Unicode path with the characters
they can set.

Knows nothing of templates or data: it is given TeX source.
"""

from __future__ import annotations

from ._boxed import BoxKilled, BoxStartFailed, BoxTimeout, run_boxed, work_directory
from ._cjkfonts import cut_cjk_collections
from ._cyrgreek import CYRILLIC_GREEK_FACES, prepare_cyrillic_greek, tfm_dir
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
from ._fontconfig import write_fontconfig
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
from ._xdvipdfmx import write_driver_config
from ._zygote import ZygotePool, ZygoteStatistics, open_zygote_pool
from ._zygote_shim import build_shim

__all__ = [
    "BOLD",
    "BOLD_ITALIC",
    "CJK_VARIANTS",
    "CYRILLIC_GREEK_FACES",
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
    "ZygotePool",
    "ZygoteStatistics",
    "build_shim",
    "check_face_files",
    "cjk_face",
    "cut_cjk_collections",
    "ensure_private_dir",
    "layout_report",
    "measure_coverage",
    "open_zygote_pool",
    "prepare_cyrillic_greek",
    "probe_engine",
    "resolve_user",
    "run_boxed",
    "tfm_dir",
    "unsupported_character",
    "work_directory",
    "write_atomically",
    "write_driver_config",
    "write_fontconfig",
]
