"""The backup format of ``texrender documents export`` and ``import``: JSON Lines, one document
an object, one object a line, whatever the data holds.

A line is UTF-8 JSON and ends at ``\\n`` only. The characters other readers also end a line at
(U+2028 and U+2029 in JavaScript, U+0085 in Python's ``str.splitlines``) are written as ``\\u``
escapes, so every reader of lines sees the same lines; JSON escapes every other control
character already. A line read back is held to the rules the API holds a document to (its id
one the API could have made, its owner an API key's owner, its title, its template and its data
as the API checks them, no lone surrogate anywhere), so an import stores nothing the API could
not have stored. A line is read back exactly as it was written: export, import and export again
gives the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rendering import Catalogue, InvalidData, RenderError, surrogate_errors

from .keys import InvalidKeyName, check_name
from .model import ExportedDocument, StoredDocument, document_json
from .rules import document_id_problem, title_problem

MEMBERS = ("id", "owner", "template", "title", "revision", "created", "updated", "data")
SHOWN_CHARS = 60  # of a value quoted in a message
SHOWN_ERRORS = 3
# Written as \u escapes: line ends to some readers, and a lone surrogate (a row stored before
# they were refused: not UTF-8, but JSON can carry it as the escape it came in as).
_ESCAPED = re.compile("[\u2028\u2029\x85\ud800-\udfff]")


class BadLine(ValueError):
    """A line that cannot be imported; the message says why, in one line (not which line)."""


def backup_line(item: ExportedDocument) -> str:
    """``item`` as one line of JSON (without the ``\\n`` that ends it)."""
    doc = item.document
    record = {
        "id": doc.id,
        "owner": item.owner,
        "template": doc.template,
        "title": doc.title,
        "revision": doc.revision,
        "created": doc.created.isoformat(),
        "updated": doc.updated.isoformat(),
        "data": doc.data,
    }
    text = json.dumps(record, ensure_ascii=False)
    return _ESCAPED.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def backup_lines(content: bytes) -> Iterator[tuple[int, bytes]]:
    """Each line of a backup that holds anything, with its number (from 1). Lines end at
    ``\\n`` (a ``\\r`` before it is dropped), never at a character inside a JSON string: a
    backup written before those were escaped reads the same."""
    for number, line in enumerate(content.split(b"\n"), 1):
        line = line.removesuffix(b"\r")
        if line.strip(b" \t"):
            yield number, line


@dataclass(frozen=True)
class DataCheck:
    """The API's checks of a document's template and data, for documents read from a file."""

    catalogue: Catalogue
    unicode: Any  # what rendering.measure_coverage found (None: no Unicode path)
    max_bytes: int  # Settings.document_max_bytes

    def problem(self, template_name: str, data: Any) -> str | None:
        """Why the API would not store ``data`` for ``template_name`` (None: it would)."""
        try:
            template = self.catalogue.get_template(template_name)
            _, invalid = template.check(data, strict=True, unicode=self.unicode)
            if invalid is not None:
                raise invalid
        except InvalidData as exc:
            where = "; ".join(
                f"{_clip('/data' + e.pointer)}: {_clip(e.message, 100)}"
                for e in exc.errors[:SHOWN_ERRORS]
            )
            more = len(exc.errors) - SHOWN_ERRORS
            return f"the data is not valid ({where}{f'; and {more} more' if more > 0 else ''})"
        except RenderError as exc:  # an unknown template
            return f"{_clip(exc.detail, 100)} (templates here: {', '.join(self.catalogue)})"
        size = len(document_json(data))
        if size > self.max_bytes:
            return (
                f"the data takes {size:,} bytes as JSON; at most {self.max_bytes:,} "
                "(TEXRENDER_DOCUMENT_MAX_BYTES)"
            )
        return None


def read_backup_line(line: bytes, check: DataCheck) -> ExportedDocument:
    """The document a line holds, checked as the API checks a document.

    Raises:
        BadLine: the line is not one document the API could have stored.
    """
    try:
        item = json.loads(line.decode("utf-8"), parse_constant=_not_json)
    except UnicodeDecodeError as exc:
        raise BadLine(f"not UTF-8 (byte {exc.start + 1})") from None
    except (ValueError, RecursionError) as exc:
        raise BadLine(f"not JSON: {_clip(str(exc), 100)}") from None
    if not isinstance(item, dict) or sorted(item) != sorted(MEMBERS):
        found = ", ".join(_clip(str(name), 20) for name in item) if isinstance(item, dict) else ""
        raise BadLine(f"an object with exactly {', '.join(MEMBERS)} is needed (got: {found})")
    broken = surrogate_errors(item)
    if broken:
        where = ", ".join(_clip(e.pointer) for e in broken[:SHOWN_ERRORS])
        raise BadLine(f"{where}: {broken[0].message}")
    problem = _envelope_problem(item) or check.problem(item["template"], item["data"])
    if problem is not None:
        raise BadLine(problem)
    document = StoredDocument(
        id=item["id"],
        template=item["template"],
        title=item["title"],
        revision=item["revision"],
        created=_moment(item["created"]),
        updated=_moment(item["updated"]),
        data=item["data"],
    )
    return ExportedDocument(item["owner"], document)


def _envelope_problem(item: dict[str, Any]) -> str | None:
    """What is wrong with a line's members other than its data (None: nothing)."""
    if (problem := document_id_problem(item["id"])) is not None:
        return f"id {_shown(item['id'])}: {problem}"
    owner = item["owner"]
    try:
        check_name(owner if isinstance(owner, str) else "", "owner")
    except InvalidKeyName:
        return (
            f"owner {_shown(owner)}: an owner is 1 to 64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit (as API keys' owners are)"
        )
    if not isinstance(item["template"], str) or not item["template"]:
        return "template: the name of a template is needed"
    if (problem := title_problem(item["title"])) is not None:
        return f"title: {problem}"
    revision = item["revision"]
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        return f"revision {_shown(revision)}: a whole number from 1 is needed"
    for name in ("created", "updated"):
        try:
            _moment(item[name])
        except ValueError:
            return f"{name} {_shown(item[name])}: an ISO 8601 time with its UTC offset is needed"
    if not isinstance(item["data"], dict):
        return "data: a JSON object is needed"
    return None


def _moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a string")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("no UTC offset")
    return moment


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value from the file, quoted for a one-line message (see :func:`_clip`)."""
    text = repr(value) if isinstance(value, str) else json.dumps(value)[: limit + 1]
    return _cut(text, limit)


def _clip(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` for a one-line message: line breaks, controls and lone surrogates escaped as
    ``repr`` escapes them, cut to about ``limit`` characters."""
    return _cut(repr(text)[1:-1], limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"
