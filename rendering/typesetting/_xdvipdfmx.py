"""xdvipdfmx's own search configuration, beside the formats: its start-up read only what it
needs.

XeTeX hands the document to xdvipdfmx, a process of its own started afresh by every render (no
zygote holds it). With TeX Live's configuration, xdvipdfmx's start alone was about 15 ms of CPU:
it read three texmf.cnf files and the ls-R databases (half a megabyte, a character at a
time), then dvipdfmx.cfg, which loads the font maps of TFM fonts (pdftex.map, kanjix.map,
ckx.map: 150 KB), then the Adobe glyph lists (90 KB); and each file it looked for and missed
(the ToUnicode CMaps it tries under each font's name) was a search of TeX's trees. The Unicode
path sets only OpenType faces, which the XDV file names by their full path: none of that is
used.

:func:`write_driver_config` writes a folder in the formats' folder with a texmf.cnf whose every
tree is that folder (its ls-R lists its own two files) and a dvipdfmx.cfg with TeX Live's
settings and no font maps. :func:`driver_env` names the folder as ``TEXMFCNF_dvipdfmx``:
kpathsea reads ``VAR_progname`` before ``VAR`` and xdvipdfmx's program name is ``dvipdfmx``, so
XeTeX itself (``xelatex``) keeps the system's configuration. A folder that is missing (not
written yet, or not writable) only makes kpathsea warn on xdvipdfmx's standard error (which the
box discards) and use its built-in paths: the same PDF at the former cost. A document that set
a TFM font would fail here (no map, no TFM found); the Unicode path sets none.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ._files import write_if_changed

log = logging.getLogger("texrender.fonts")

DRIVER_SUBDIR = "xdvipdfmx"
# The variable kpathsea reads for xdvipdfmx alone (its program name is dvipdfmx).
DRIVER_CNF_VARIABLE = "TEXMFCNF_dvipdfmx"
# Characters that mean something in a texmf.cnf value or a kpathsea path list.
_UNSAFE = re.compile(r"[\s$%{}!,;:\\'\"]")

# TeX Live 2022's dvipdfmx.cfg, without its font maps (f lines) and its paper include (the
# templates set their own page size; a4 is what the include says on this image), and without
# the Ghostscript command (for PostScript figures, which the templates have none of).
_DVIPDFMX_CFG = """\
% texrender: dvipdfmx.cfg of the Unicode path (rendering/typesetting/_xdvipdfmx.py)
V  5
p  a4
O  0
K  40
P  0x003C
"""


def driver_dir(format_dir: Path) -> Path:
    """The folder of xdvipdfmx's configuration for the formats of ``format_dir``."""
    return format_dir / DRIVER_SUBDIR


def usable(format_dir: Path) -> bool:
    """Whether ``format_dir``'s path can be written into a texmf.cnf and a path list as it is."""
    return not _UNSAFE.search(str(driver_dir(format_dir)))


def driver_env(format_dir: Path | None) -> dict[str, str]:
    """What XeTeX's environment adds so that xdvipdfmx reads its own configuration (nothing
    when there is no formats' folder or its path cannot be named in one)."""
    if format_dir is None or not usable(format_dir):
        return {}
    return {DRIVER_CNF_VARIABLE: str(driver_dir(format_dir))}


def _texmf_cnf(folder: Path) -> str:
    # Every tree, database, configuration and font folder is this one (kpathsea's built-in
    # paths are made of these variables); "." stays first where TeX Live has it. No retry of
    # a missed name in other cases: it lists each folder searched.
    return (
        "% texrender: xdvipdfmx's whole kpathsea configuration"
        " (rendering/typesetting/_xdvipdfmx.py)\n"
        + "".join(
            f"{name} = {folder}\n"
            for name in ("TEXMFCNF", "TEXMF", "TEXMFDBS", "OSFONTDIR", "VARTEXFONTS")
        )
        + "TEXMFDOTDIR = .\n"
        + f"DVIPDFMXINPUTS = {folder}\n"
        + "texmf_casefold_search = 0\n"
    )


_LS_R = "% ls-R -- filename database for kpathsea; do not change this line.\n./:\n"
_FILES = ("dvipdfmx.cfg", "texmf.cnf")


def _contents(folder: Path) -> dict[str, str]:
    return {
        "texmf.cnf": _texmf_cnf(folder),
        "dvipdfmx.cfg": _DVIPDFMX_CFG,
        "ls-R": _LS_R + "".join(f"{name}\n" for name in _FILES),
    }


def write_driver_config(format_dir: Path) -> Path | None:
    """Write (or keep, when it is the same) xdvipdfmx's configuration for ``format_dir``; its
    folder, or None when it cannot be had (logged; xdvipdfmx then reads TeX Live's). Blocking:
    call from a thread."""
    if not usable(format_dir):
        log.warning("xdvipdfmx keeps TeX Live's configuration: %s is not a plain path", format_dir)
        return None
    folder = driver_dir(format_dir)
    try:
        folder.mkdir(mode=0o755, exist_ok=True)
        for name, text in _contents(folder).items():
            write_if_changed(folder / name, text.encode())
        return folder
    except OSError as exc:
        log.warning("xdvipdfmx keeps TeX Live's configuration: %s", exc)
        return None
