"""The Noto CJK collections with their glyph substitutions cut to the script XeTeX shapes CJK
with, made once into the formats' folder, where XeTeX and xdvipdfmx find them first.

xdvipdfmx builds each embedded font's ToUnicode map from the font's ``cmap`` and then from the
lookups of *every* script, language and feature of its ``GSUB`` (so that glyphs reached only by
substitution still extract as text). Noto CJK's ``GSUB`` holds seven scripts (with Chinese,
Japanese and Korean languages under ``hani``): reading it byte by byte is about 20 ms of CPU per
CJK face per render, half of xdvipdfmx's work on a Chinese document. The path shapes CJK with
one script (``script=latn`` in :data:`rendering.typesetting._fonts.SCRIPTS`; HarfBuzz falls back
to ``DFLT``), so every lookup of the other scripts is dead weight to XeTeX and only slows
xdvipdfmx.

:func:`cut_cjk_collections` writes each collection again with its ``GSUB`` cut to those two
scripts (with the features and lookups they reach); every other table is copied as it is. The
copies keep the original's file name, in :func:`fonts_dir`, which XeTeX's font path puts before
the system's (:func:`rendering.typesetting._sandbox.tex_process_env`), so a face is found by the
same name either way: without a copy (fontTools missing, a read-only folder, a render before the
copy is made) it is the system's file, and the PDF is the same byte for byte. Each copy has a
stamp naming the file it was made from (size, modification time, recipe), so a font upgrade
makes a new copy at the next start. Never at render time: at format-build time, in a thread.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from ._faces import FACES
from ._files import write_atomically
from ._fonts import SCRIPTS

log = logging.getLogger("texrender.fonts")

FONTS_SUBDIR = "fonts"
# The fallback HarfBuzz takes when a font has no record for the script asked for.
_FALLBACK_SCRIPT = "DFLT"
_RECIPE = "gsub-scripts-1"  # changes when the cut does: every stamp is then stale


def fonts_dir(format_dir: Path) -> Path:
    """Where the cut collections of the formats in ``format_dir`` are kept."""
    return format_dir / FONTS_SUBDIR


def cjk_scripts() -> list[str]:
    """The OpenType scripts the CJK faces are shaped with (from their features), and the
    fallback."""
    features = next(features for name, _, features, _ in SCRIPTS if name == "CJK")
    tags = dict(part.split("=", 1) for part in features.split(";") if "=" in part)
    return sorted({tags.get("script", _FALLBACK_SCRIPT), _FALLBACK_SCRIPT})


def collection_files() -> list[str]:
    """The collection (``.ttc``) files of the Unicode path's faces."""
    files = {face.file for faces in FACES.values() for face in faces.values()}
    return sorted(name for name in files if name.endswith(".ttc"))


def cut_cjk_collections(format_dir: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Make (or keep, when up to date) the cut copy of each CJK collection (``names``: these
    files only) in :func:`fonts_dir`; the copies made now. Never raises: a copy that cannot be
    made is logged and the system's file is used. Blocking (seconds, the first time): call
    from a thread."""
    try:
        target = fonts_dir(format_dir)
        target.mkdir(mode=0o755, exist_ok=True)
        sources = _system_paths(collection_files() if names is None else list(names))
        made = []
        for name, source in sources.items():
            if _cut_if_stale(source, target / name):
                made.append(target / name)
        return made
    except Exception as exc:  # any failure: the system's fonts stay in use
        log.warning("CJK fonts not cut (the system's are used): %s", exc)
        return []


def _system_paths(names: list[str]) -> dict[str, Path]:
    """Where kpathsea finds each of ``names`` on the system (the copies are not on its path
    here)."""
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None or not names:
        return {}
    found = subprocess.run(
        [kpsewhich, *names], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    by_name = {os.path.basename(path): Path(path) for path in found}
    return {name: by_name[name] for name in names if name in by_name}


def _stamp(source: Path) -> str:
    info = source.stat()
    return f"{source}\t{info.st_size}\t{info.st_mtime_ns}\t{_RECIPE}\n"


def _cut_if_stale(source: Path, copy: Path) -> bool:
    """Cut ``source`` into ``copy`` unless the copy's stamp says it was made from this very
    file; True when it was cut now."""
    stamp_file = copy.with_name(copy.name + ".source")
    stamp = _stamp(source)
    try:
        if copy.is_file() and stamp_file.read_text(encoding="utf-8") == stamp:
            return False
    except FileNotFoundError:
        pass
    _cut(source, copy)
    write_atomically(stamp_file, lambda out: out.write(stamp.encode()))
    return True


def _cut(source: Path, copy: Path) -> None:
    # Imported here: fontTools is needed only the first time, and its subsetter module is what
    # gives the layout tables their pruning methods.
    import fontTools.subset  # type: ignore[import-untyped]  # noqa: F401
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

    with TTCollection(str(source), lazy=True) as collection:
        for font in collection.fonts:
            if "GSUB" in font:
                gsub = font["GSUB"]
                gsub.subset_script_tags(cjk_scripts())
                gsub.prune_features()
                gsub.prune_lookups(remap=True)
        write_atomically(copy, lambda out: collection.save(out, shareTables=True))
    log.info("cut %s to scripts %s into %s", source.name, ", ".join(cjk_scripts()), copy)
