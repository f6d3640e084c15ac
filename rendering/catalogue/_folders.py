"""Template folders on disk: where they are and what their ``template.toml`` says.

This is the cheap half of loading the catalogue (a directory listing and small TOML files, no
Jinja, no JSON Schema), so ``texrender templates`` can answer without importing either.
Blocking file I/O: call from a worker thread, never on the event loop.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ._papers import DEFAULT_PAPER, PAPERS

TEMPLATE_FILE = "template.tex.j2"
META_FILE = "template.toml"
SCHEMA_FILE = "schema.json"
SAMPLE_FILE = "sample.json"
ENGINES = frozenset({"pdflatex"})
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class CatalogueError(Exception):
    """A template folder is malformed; raised at load time, never during a request."""


@dataclass(frozen=True)
class TemplateInfo:
    """What a template folder says about itself; ``meta`` is its ``template.toml`` as bytes
    (part of the template's version)."""

    name: str
    title: str
    description: str
    engine: str
    folder: Path
    meta: bytes
    reader: str = "schema"
    pages: int | None = None  # the most pages the layout is meant for (more is a warning)
    unicode_engine: str | None = None  # the engine for text the fast one cannot set
    # Places its schema describes that it does not print (see rendering.reading._shown).
    not_printed: tuple[str, ...] = ()
    metadata: tuple[str, ...] = ()
    # Top-level members its schema does not describe are printed, each as a section of its own.
    other_sections: bool = False
    # The paper sizes it is made for (rendering.catalogue._papers.PAPERS); A4 unless it says.
    papers: tuple[str, ...] = (DEFAULT_PAPER,)
    # It reports its last page's fill and can be set a notch tighter (texrender_fit).
    fit: bool = False


def find_templates(roots: Iterable[Path]) -> list[TemplateInfo]:
    """Every template folder under each root, in name order within a root.

    Raises:
        CatalogueError: a root is missing, a folder has a bad name or a bad ``template.toml``,
            or two folders share a name.
    """
    found: dict[str, TemplateInfo] = {}
    for root in roots:
        if not root.is_dir():
            raise CatalogueError(f"template directory {root} does not exist")
        for folder in sorted(p for p in root.iterdir() if (p / TEMPLATE_FILE).is_file()):
            info = read_info(folder)
            if info.name in found:
                raise CatalogueError(f"template {info.name!r} is defined twice")
            found[info.name] = info
    return list(found.values())


def read_info(folder: Path) -> TemplateInfo:
    """The metadata of one template folder.

    Raises:
        CatalogueError: the folder name is not a template name, or ``template.toml`` is
            missing, malformed or names an engine texrender does not have.
    """
    name = folder.name
    if not _NAME.match(name):
        raise CatalogueError(f"{folder}: template names are lowercase letters, digits and '-'")
    try:
        raw = (folder / META_FILE).read_bytes()
        meta = tomllib.loads(raw.decode())
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"{folder}: {exc}") from exc
    engine = meta.get("engine", "pdflatex")
    if engine not in ENGINES:
        raise CatalogueError(f"{folder}: engine {engine!r} is not one of {sorted(ENGINES)}")
    return TemplateInfo(
        name=name,
        title=str(meta.get("title", name)),
        description=str(meta.get("description", "")),
        engine=engine,
        folder=folder,
        meta=raw,
        reader=str(meta.get("reader", "schema")),
        pages=_pages(folder, meta.get("pages")),
        unicode_engine=_unicode_engine(folder, meta.get("unicode_engine")),
        not_printed=_places(folder, "not_printed", meta.get("not_printed")),
        metadata=_places(folder, "metadata", meta.get("metadata")),
        other_sections=_switch(folder, "other_sections", meta.get("other_sections")),
        papers=_papers(folder, meta.get("papers")),
        fit=_switch(folder, "fit", meta.get("fit")),
    )


def _papers(folder: Path, value: object) -> tuple[str, ...]:
    if value is None:
        return (DEFAULT_PAPER,)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v in PAPERS for v in value)
        or len(set(value)) != len(value)
    ):
        raise CatalogueError(
            f"{folder}/{META_FILE}: papers must be a list of paper sizes from {list(PAPERS)}"
        )
    return tuple(value)


def _switch(folder: Path, key: str, value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise CatalogueError(f"{folder}/{META_FILE}: {key} must be true or false")
    return value


def _places(folder: Path, key: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogueError(
            f"{folder}/{META_FILE}: {key} must be a list of places such as 'basics.image'"
        )
    return tuple(value)


UNICODE_ENGINES = frozenset({"xelatex"})


def _unicode_engine(folder: Path, value: object) -> str | None:
    if value is None:
        return None
    if value not in UNICODE_ENGINES:
        raise CatalogueError(
            f"{folder}/{META_FILE}: unicode_engine {value!r} is not one of "
            f"{sorted(UNICODE_ENGINES)}"
        )
    return str(value)


def _pages(folder: Path, value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CatalogueError(f"{folder}/{META_FILE}: pages must be a whole number from 1")
    return value
