"""The fonts that let the fast path (pdfLaTeX) set Cyrillic and Greek, and the start-up step
that makes them ready.

Cyrillic is set in the T2A encoding with the LH fonts (their outlines are CM-Super's Type 1
fonts), Greek in LGR with the CB fonts. Debian ships the CB fonts whole, but of the LH fonts
only their METAFONT sources: their ``.tfm`` files must be made with ``mktextfm``. That happens
here, once, at start-up (before the formats are built), into a folder texrender owns (``tfm/``
in the formats' folder: :func:`tfm_dir`), which TeX is then told of; a render never runs
METAFONT (its environment forbids it: :func:`~._sandbox.tex_process_env`).
When a package or a font is missing, :func:`prepare_cyrillic_greek` says why, and Cyrillic
and Greek take the Unicode path as they did before.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import trio

from ._files import write_atomically

log = logging.getLogger("texrender.fonts")

# encoding/family/series/shape -> font: the faces the templates' fast path declares (one
# design size each, scaled), in the serif (lmr) and sans (lmss) families of Latin Modern.
CYRILLIC_GREEK_FACES: dict[str, str] = {
    "T2A/lmr/m/n": "larm1000",
    "T2A/lmr/bx/n": "labx1000",
    "T2A/lmr/m/it": "lati1000",
    "T2A/lmr/bx/it": "labi1000",
    "T2A/lmr/m/sc": "lacc1000",
    "T2A/lmss/m/n": "lass1000",
    "T2A/lmss/bx/n": "lasx1000",
    "T2A/lmss/m/sl": "lasi1000",
    "LGR/lmr/m/n": "grmn1000",
    "LGR/lmr/bx/n": "grxn1000",
    "LGR/lmr/m/it": "grmi1000",
    "LGR/lmr/bx/it": "grxi1000",
    "LGR/lmr/m/sc": "grmc1000",
    "LGR/lmss/m/n": "gsmn1000",
    "LGR/lmss/bx/n": "gsxn1000",
    "LGR/lmss/m/sl": "gsmo1000",
}

# The LH fonts' outlines (cm-super-minimal; pdftex.map names them), by LH font.
_LH_OUTLINES = {
    "larm1000": "sfrm1000",
    "labx1000": "sfbx1000",
    "lati1000": "sfti1000",
    "labi1000": "sfbi1000",
    "lacc1000": "sfcc1000",
    "lass1000": "sfss1000",
    "lasx1000": "sfsx1000",
    "lasi1000": "sfsi1000",
}
LH_FONTS = tuple(_LH_OUTLINES)
"""The fonts whose ``.tfm`` files texrender makes (Debian ships only their METAFONT sources)."""

# What must be installed: the encodings' definitions (texlive-lang-cyrillic, -greek), the CB
# fonts' metrics and outlines (texlive-lang-greek), the LH fonts' outlines (cm-super-minimal).
REQUIRED_FILES: tuple[str, ...] = (
    "t2aenc.def",
    "lgrenc.def",
    *(f"{font}.{ext}" for font in CYRILLIC_GREEK_FACES.values() if font not in _LH_OUTLINES
      for ext in ("tfm", "pfb")),
    *(f"{outline}.pfb" for outline in _LH_OUTLINES.values()),
)  # fmt: skip

MKTEXTFM_TIMEOUT_S = 60.0


# Files kpathsea found, by the tuple asked for: the packages do not come and go while a
# process runs, and servers built by the same process (the tests') ask again and again.
_found: dict[tuple[str, ...], set[str]] = {}


def tfm_dir(folder: Path) -> Path:
    """Where the made ``.tfm`` files are kept in texrender's own ``folder`` (the formats')."""
    return folder / "tfm"


async def prepare_cyrillic_greek(
    folder: Path, required: tuple[str, ...] = REQUIRED_FILES
) -> str | None:
    """None when the fast path can set Cyrillic and Greek: every file of ``required`` is
    installed, and every LH font's ``.tfm`` is in :func:`tfm_dir` of ``folder`` (made now if it
    was not). Otherwise why not (they then take the Unicode path). Blocks on METAFONT for a
    few seconds when it makes them: at start-up only."""
    if shutil.which("kpsewhich") is None:
        return "kpsewhich is missing"
    if required not in _found:
        _found[required] = await _kpsewhich(required)
    found = _found[required]
    missing = [name for name in required if name not in found]
    if missing:
        return (
            f"{', '.join(missing[:4])}{' and more' if len(missing) > 4 else ''} not installed "
            "(Debian: texlive-lang-cyrillic, texlive-lang-greek, cm-super-minimal)"
        )
    folder = tfm_dir(folder)
    absent = await trio.to_thread.run_sync(_absent, folder)
    if not absent:
        return None
    if shutil.which("mktextfm") is None:
        return "mktextfm (METAFONT) is missing: the LH fonts' .tfm files cannot be made"
    try:
        await trio.to_thread.run_sync(lambda: folder.mkdir(mode=0o755, exist_ok=True))
        for font in absent:
            await _make_tfm(font, folder)
    except (OSError, subprocess.SubprocessError, trio.TooSlowError) as exc:
        return f"the LH fonts' .tfm files could not be made in {folder}: {exc}"
    log.info("made %d LH font metrics in %s", len(absent), folder)
    return None


def _absent(folder: Path) -> list[str]:
    """The LH fonts whose ``.tfm`` is not in ``folder`` yet. Blocking."""
    return [font for font in LH_FONTS if not (folder / f"{font}.tfm").is_file()]


async def _kpsewhich(names: tuple[str, ...]) -> set[str]:
    """The names of ``names`` that kpathsea finds."""
    result = await trio.run_process(
        ["kpsewhich", *names], capture_stdout=True, stderr=subprocess.DEVNULL, check=False
    )
    return {os.path.basename(line) for line in result.stdout.decode().splitlines()}


async def _make_tfm(font: str, folder: Path) -> None:
    """``mktextfm`` in a scratch folder that is also its TEXMFVAR (the LH fonts' drivers are
    generated there too), then the ``.tfm`` copied into ``folder`` atomically.

    Raises:
        OSError, subprocess.SubprocessError: METAFONT failed.
        trio.TooSlowError: it ran longer than :data:`MKTEXTFM_TIMEOUT_S`.
    """
    with tempfile.TemporaryDirectory(prefix="texrender-mktextfm-") as scratch:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": scratch,
            "TEXMFVAR": scratch,
            "LC_ALL": "C.UTF-8",
        }
        with trio.fail_after(MKTEXTFM_TIMEOUT_S):
            await trio.run_process(
                ["mktextfm", "--destdir", scratch, font],
                cwd=scratch,
                env=env,
                capture_stdout=True,
                capture_stderr=True,
            )
        made = Path(scratch) / f"{font}.tfm"
        data = await trio.Path(made).read_bytes()
        await trio.to_thread.run_sync(
            write_atomically, folder / f"{font}.tfm", lambda out: out.write(data)
        )
