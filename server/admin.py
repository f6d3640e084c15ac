"""``texrender keys ...`` and ``texrender documents ...``: the store, looked after from a shell.

They open the same SQLite file the server uses (a server may be running: SQLite's locking
makes that safe) and print plain lines; a failure is one line on stderr and exit status 1.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import trio

from rendering import InvalidData

from .settings import Settings
from .store import ExportedDocument, KeyNotFound, NameTaken, StoredDocument
from .store.keys import InvalidKeyName, check_name, make_key
from .store.sqlite import SqliteStore

EXPORT_BATCH = 200
EXPORT_MEMBERS = ("id", "owner", "template", "title", "revision", "created", "updated", "data")


class ImportRefused(Exception):
    """A line of an import file that cannot be taken; the message names the line."""


async def create_key(settings: Settings, name: str, owner: str | None) -> int:
    try:
        new = make_key(name, owner)
    except InvalidKeyName as exc:
        return _fail(str(exc))
    store = await SqliteStore.open(settings.documents_dir())
    try:
        await store.add_key(new.record)
    except NameTaken as exc:
        return _fail(str(exc))
    finally:
        await store.aclose()
    print(new.token)
    print(
        f"texrender: key {name!r} for owner {new.record.owner!r} created; it is shown only "
        "this once (only its hash is stored)",
        file=sys.stderr,
    )
    return 0


async def list_keys(settings: Settings) -> int:
    store = await SqliteStore.open(settings.documents_dir())
    try:
        keys = await store.list_keys()
    finally:
        await store.aclose()
    print(f"{'NAME':20} {'OWNER':20} {'KEY ID':16} {'CREATED':20} {'LAST USED':20} STATE")
    for key in keys:
        state = f"revoked {_day(key.revoked)}" if key.revoked else "active"
        print(
            f"{key.name:20} {key.owner:20} {key.key_id:16} {_day(key.created):20} "
            f"{_day(key.last_used):20} {state}"
        )
    return 0


async def revoke_key(settings: Settings, name: str) -> int:
    store = await SqliteStore.open(settings.documents_dir())
    try:
        key = await store.revoke_key(name)
    except KeyNotFound as exc:
        return _fail(str(exc))
    finally:
        await store.aclose()
    print(f"texrender: key {name!r} revoked {_day(key.revoked)}", file=sys.stderr)
    return 0


async def delete_key(settings: Settings, name: str) -> int:
    """Forget every key of that name, live or revoked (a revoked one is kept until then, so
    ``keys list`` shows it and a request with it is told "revoked")."""
    store = await SqliteStore.open(settings.documents_dir())
    try:
        deleted = await store.delete_key(name)
    except KeyNotFound as exc:
        return _fail(str(exc))
    finally:
        await store.aclose()
    print(f"texrender: deleted {deleted} key(s) named {name!r}", file=sys.stderr)
    return 0


async def move_documents(settings: Settings, owner: str, new_owner: str) -> int:
    """Hand every document of ``owner`` to ``new_owner`` (a name as a key's owner is written)."""
    try:
        check_name(new_owner, "owner")
    except InvalidKeyName as exc:
        return _fail(str(exc))
    store = await SqliteStore.open(settings.documents_dir())
    try:
        moved = await store.move_documents(owner, new_owner)
    finally:
        await store.aclose()
    print(f"texrender: moved {moved} document(s) from {owner!r} to {new_owner!r}", file=sys.stderr)
    return 0


async def export_documents(settings: Settings, output: str) -> int:
    """Every document of every owner, oldest first, one JSON object a line (``-``: stdout)."""
    store = await SqliteStore.open(settings.documents_dir())
    count = 0
    try:
        out = await trio.open_file(
            output if output != "-" else sys.stdout.fileno(),
            "w",
            encoding="utf-8",
            closefd=output != "-",
        )
        async with out:
            position = 0
            while True:
                batch, position = await store.export(position, EXPORT_BATCH)
                lines = [json.dumps(_exported_json(item), ensure_ascii=False) for item in batch]
                if lines:
                    await out.write("\n".join(lines) + "\n")
                count += len(batch)
                if len(batch) < EXPORT_BATCH:
                    break
    except OSError as exc:
        return _fail(f"cannot write {output}: {exc}")
    finally:
        await store.aclose()
    print(f"texrender: exported {count} document(s)", file=sys.stderr)
    return 0


async def import_documents(settings: Settings, source: str, *, replace: bool) -> int:
    """Documents from an export: every line checked first (its template known, its data
    valid), then written in batches; an id already stored is kept unless ``replace``."""
    from rendering import Catalogue, measure_coverage

    catalogue = await trio.to_thread.run_sync(Catalogue.load, settings.template_dirs)
    coverage = await measure_coverage()
    try:
        if source == "-":
            text = await trio.to_thread.run_sync(sys.stdin.read)
        else:
            text = await trio.Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {source}: {exc}")
    try:
        documents = [
            _imported(number, line, catalogue, coverage)
            for number, line in enumerate(text.splitlines(), 1)
            if line.strip()
        ]
    except ImportRefused as exc:
        return _fail(f"{source}: {exc}; nothing was imported")
    store = await SqliteStore.open(settings.documents_dir())
    written = skipped = 0
    try:
        for start in range(0, len(documents), EXPORT_BATCH):
            batch = documents[start : start + EXPORT_BATCH]
            done, kept = await store.import_documents(batch, replace=replace)
            written, skipped = written + done, skipped + kept
    finally:
        await store.aclose()
    print(
        f"texrender: imported {written} document(s); {skipped} already there and kept"
        + ("" if replace or not skipped else " (--replace overwrites them)"),
        file=sys.stderr,
    )
    return 0


def _exported_json(item: ExportedDocument) -> dict[str, Any]:
    doc = item.document
    return {
        "id": doc.id,
        "owner": item.owner,
        "template": doc.template,
        "title": doc.title,
        "revision": doc.revision,
        "created": doc.created.isoformat(),
        "updated": doc.updated.isoformat(),
        "data": doc.data,
    }


def _imported(number: int, line: str, catalogue: Any, coverage: Any) -> ExportedDocument:
    try:
        item = json.loads(line)
    except ValueError as exc:
        raise ImportRefused(f"line {number} is not JSON: {exc}") from None
    if not isinstance(item, dict) or sorted(item) != sorted(EXPORT_MEMBERS):
        raise ImportRefused(f"line {number} must have exactly {', '.join(EXPORT_MEMBERS)}")
    try:
        template = catalogue.get_template(item["template"])
        reading, problem = template.check(item["data"], strict=True, unicode=coverage)
        if problem is not None:
            raise problem
        document = StoredDocument(
            id=_text(item["id"]),
            template=template.name,
            title=item["title"] if item["title"] is None else _text(item["title"]),
            revision=_whole(item["revision"]),
            created=datetime.fromisoformat(_text(item["created"])),
            updated=datetime.fromisoformat(_text(item["updated"])),
            data=reading.data,
        )
        return ExportedDocument(_text(item["owner"]), document)
    except InvalidData as exc:
        where = "; ".join(f"{e.pointer or '/'}: {e.message}" for e in exc.errors[:3])
        raise ImportRefused(f"line {number}: the data does not validate ({where})") from None
    except (ValueError, TypeError, LookupError) as exc:
        raise ImportRefused(f"line {number}: {exc}") from None


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _whole(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"expected a revision (a whole number from 1), got {value!r}")
    return value


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"


def _fail(message: str) -> int:
    print(f"texrender: {message}", file=sys.stderr)
    return 1
