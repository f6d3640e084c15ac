"""``texrender keys ...`` and ``texrender documents ...``: the store, looked after from a shell.

They open the store the server uses, through the same :func:`~server.startup.open_store`: the
SQLite file (a server may be running: SQLite's locking makes that safe) or the PostgreSQL
database of ``--database-url``; they print plain lines, and a failure is one line on stderr
and exit status 1.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import trio

from rendering import surrogate_errors

from .settings import Settings
from .startup import open_store
from .store import (
    DocumentOwnerConflict,
    ExportedDocument,
    KeyNotFound,
    NameTaken,
    Store,
    StoreError,
)
from .store.backup import BadLine, DataCheck, backup_line, backup_lines, read_backup_line
from .store.keys import InvalidKeyName, check_name, make_key

EXPORT_BATCH = 200


async def create_key(settings: Settings, name: str, owner: str | None) -> int:
    try:
        new = make_key(name, owner)
    except InvalidKeyName as exc:
        return _fail(str(exc))
    store = await open_store(settings)
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
    store = await open_store(settings)
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
    store = await open_store(settings)
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
    store = await open_store(settings)
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
    store = await open_store(settings)
    try:
        moved = await store.move_documents(owner, new_owner)
    finally:
        await store.aclose()
    print(f"texrender: moved {moved} document(s) from {owner!r} to {new_owner!r}", file=sys.stderr)
    return 0


async def export_documents(settings: Settings, output: str) -> int:
    """Every document of every owner, oldest first, one JSON object a line (``-``: stdout).

    A file is written under a temporary name beside ``output`` and renamed to it once whole,
    so a failed export leaves no partial or empty backup (and an older one in place); like the
    database it is readable by this user only. A document no import would take back (a lone
    surrogate stored before they were refused) is exported as it is, with a warning.
    """
    store = await open_store(settings)
    try:
        if output == "-":
            async with await trio.open_file(sys.stdout.fileno(), "wb", closefd=False) as out:
                count = await _export(store, out.write)
        else:
            count = await _write_atomically(Path(output), lambda out: _export(store, out))
    except (OSError, StoreError) as exc:
        return _fail(f"cannot export to {output}: {exc}")
    finally:
        await store.aclose()
    print(f"texrender: exported {count} document(s)", file=sys.stderr)
    return 0


async def _export(store: Store, write: Callable[[bytes], Awaitable[object]]) -> int:
    count = position = 0
    while True:
        batch, position = await store.export(position, EXPORT_BATCH)
        if batch:
            await write("".join(backup_line(item) + "\n" for item in batch).encode("utf-8"))
        for number, item in enumerate(batch, count + 1):
            _warn_unimportable(number, item)
        count += len(batch)
        if len(batch) < EXPORT_BATCH:
            return count


def _warn_unimportable(number: int, item: ExportedDocument) -> None:
    broken = surrogate_errors(item.document.data)
    if broken:
        where = ", ".join(repr("/data" + e.pointer) for e in broken[:3])
        print(
            f"texrender: warning: line {number} (document {item.document.id} of "
            f"{item.owner}) holds a lone surrogate at {where}, which is not text: an import "
            "refuses that line until it is fixed",
            file=sys.stderr,
        )


async def _write_atomically(
    path: Path, fill: Callable[[Callable[[bytes], Awaitable[object]]], Awaitable[int]]
) -> int:
    """``fill(write)`` into a new private file that becomes ``path`` only once it is whole
    (and on disk: a backup must survive the crash it is for)."""
    descriptor, temporary = await trio.to_thread.run_sync(
        lambda: tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    )
    try:
        async with await trio.open_file(descriptor, "wb") as out:
            count = await fill(out.write)
            await out.flush()
            await trio.to_thread.run_sync(os.fsync, descriptor)
        await trio.Path(temporary).replace(path)
    except BaseException:
        with trio.CancelScope(shield=True):
            await trio.Path(temporary).unlink(missing_ok=True)
        raise
    await trio.to_thread.run_sync(_sync_directory, path.parent)
    return count


def _sync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


async def data_check(settings: Settings) -> DataCheck:
    """The API's checks of templates and data, with this installation's templates and fonts."""
    from rendering import Catalogue, measure_coverage

    catalogue = await trio.to_thread.run_sync(Catalogue.load, settings.template_dirs)
    return DataCheck(catalogue, await measure_coverage(), settings.document_max_bytes)


async def import_documents(
    settings: Settings, source: str, *, replace: bool, check: DataCheck | None = None
) -> int:
    """Documents from an export, all of them or none. Every line is checked first, as the API
    checks a document (id, owner, title, template, data), then all are written in one
    transaction. An id its owner holds already is kept unless ``replace``; an id another owner
    holds is refused (an import never moves a document between owners). A failure is one line
    naming the line of the file."""
    try:
        if source == "-":
            content = await trio.to_thread.run_sync(sys.stdin.buffer.read)
        else:
            content = await trio.Path(source).read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {source}: {exc}")
    check = check or await data_check(settings)
    documents: list[ExportedDocument] = []
    line_of: dict[str, int] = {}
    for number, line in backup_lines(content):
        try:
            item = read_backup_line(line, check)
            first = line_of.setdefault(item.document.id, number)
            if first != number:
                raise BadLine(f"document {item.document.id} is on line {first} already")
        except BadLine as exc:
            return _fail(f"{source}: line {number}: {exc}; nothing was imported")
        documents.append(item)
    store = await open_store(settings)
    try:
        written, skipped = await store.import_documents(documents, replace=replace)
    except DocumentOwnerConflict as exc:
        return _fail(
            f"{source}: line {line_of[exc.document_id]}: document {exc.document_id} has "
            "another owner here, and an import never moves a document between owners; "
            "nothing was imported"
        )
    except StoreError as exc:
        return _fail(f"{source}: {exc}; nothing was imported")
    finally:
        await store.aclose()
    print(
        f"texrender: imported {written} document(s); {skipped} already there and kept"
        + ("" if replace or not skipped else " (--replace overwrites them)"),
        file=sys.stderr,
    )
    return 0


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"


def _fail(message: str) -> int:
    print(f"texrender: {' '.join(message.splitlines())}", file=sys.stderr)
    return 1
