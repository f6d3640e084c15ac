"""Shared by the engine's tests: template folders written on the fly, which the catalogue's
tests load and check and the filling tests fill."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rendering.catalogue import Catalogue, Template
from rendering.catalogue._folders import META_FILE, SAMPLE_FILE, SCHEMA_FILE, TEMPLATE_FILE

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string"}},
}
META = 'title = "Demo"\ndescription = "A demo template."\nengine = "pdflatex"\n'


def write_template(
    root: Path,
    name: str = "demo",
    *,
    source: str | None = "BEGIN ((( text ))) END\n",
    meta: str | None = META,
    schema: object = SCHEMA,
    sample: object = None,
) -> Path:
    """Write a template folder; ``None`` leaves a file out, a ``str`` schema/sample is raw."""
    folder = root / name
    folder.mkdir(parents=True)
    if sample is None:
        sample = {"text": "hello"}
    files: dict[str, object] = {
        TEMPLATE_FILE: source,
        META_FILE: meta,
        SCHEMA_FILE: schema,
        SAMPLE_FILE: sample,
    }
    for file_name, content in files.items():
        if content is None:
            continue
        text = content if isinstance(content, str) else json.dumps(content)
        (folder / file_name).write_text(text, encoding="utf-8")
    return folder


def load_one(root: Path, name: str = "demo", **files: Any) -> Template:
    write_template(root, name, **files)
    return Catalogue.load([root]).get_template(name)
