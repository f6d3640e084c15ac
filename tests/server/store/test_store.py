"""The document and key store, each test on both backends (a real SQLite file, a real
PostgreSQL database) unless it is about SQLite's file itself."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import trio

from server.store import (
    DocumentInput,
    DocumentNotFound,
    DocumentQuotaExceeded,
    InvalidCursor,
    KeyNotFound,
    NameTaken,
    RevisionMismatch,
    Store,
    StoreUnavailable,
)
from server.store.keys import KeyRefusal, KeyRefused, make_key, parse_key, verify_key
from server.store.migrations import LATEST, MIGRATIONS, SchemaTooNew, migrate, schema_version
from server.store.sqlite import FILE_NAME, SqliteStore
from tests.server.store.conftest import NewStore, database_text

RESUME = {"basics": {"name": "Ada Lovelace"}}


def doc(name: str = "Ada", template: str = "resume-classic") -> DocumentInput:
    return DocumentInput(template, {"basics": {"name": name}}, title=f"{name}'s CV")


async def test_a_document_round_trips_and_each_write_is_a_revision(store: Store) -> None:
    created = await store.create("alice", doc(), quota=10)
    assert created.revision == 1
    assert created.created == created.updated
    assert len(created.id) == 22
    assert created.id.replace("-", "").replace("_", "").isalnum()
    fetched = await store.get("alice", created.id)
    assert fetched == created
    assert fetched.data == {"basics": {"name": "Ada"}}
    assert fetched.title == "Ada's CV"

    replaced = await store.replace("alice", created.id, doc("Ada King"), expected_revision=1)
    assert replaced.revision == 2
    assert replaced.created == created.created
    assert replaced.updated >= created.updated
    assert (await store.get("alice", created.id)).data == {"basics": {"name": "Ada King"}}

    await store.delete("alice", created.id, expected_revision=2)
    with pytest.raises(DocumentNotFound):
        await store.get("alice", created.id)


async def test_a_stale_revision_changes_nothing(store: Store) -> None:
    created = await store.create("alice", doc(), quota=10)
    await store.replace("alice", created.id, doc("Second"))
    with pytest.raises(RevisionMismatch) as caught:
        await store.replace("alice", created.id, doc("Lost update"), expected_revision=1)
    assert caught.value.current == 2
    with pytest.raises(RevisionMismatch):
        await store.delete("alice", created.id, expected_revision=1)
    assert (await store.get("alice", created.id)).data == {"basics": {"name": "Second"}}


async def test_another_owner_sees_nothing(store: Store) -> None:
    created = await store.create("alice", doc(), quota=10)
    with pytest.raises(DocumentNotFound):
        await store.get("bob", created.id)
    with pytest.raises(DocumentNotFound):
        await store.replace("bob", created.id, doc("Mallory"))
    with pytest.raises(DocumentNotFound):
        await store.delete("bob", created.id)
    assert (await store.list_documents("bob", limit=10)).items == []
    assert (await store.get("alice", created.id)).data == {"basics": {"name": "Ada"}}


async def test_the_quota_counts_the_owners_documents_only(store: Store) -> None:
    for n in range(3):
        await store.create("alice", doc(f"A{n}"), quota=3)
    with pytest.raises(DocumentQuotaExceeded) as caught:
        await store.create("alice", doc("one too many"), quota=3)
    assert caught.value.limit == 3
    await store.create("bob", doc(), quota=3)
    first = (await store.list_documents("alice", limit=1)).items[0]
    await store.delete("alice", first.id)
    await store.create("alice", doc("room again"), quota=3)


async def test_pages_neither_repeat_nor_skip_while_documents_are_added(
    store: Store,
) -> None:
    originals = [(await store.create("alice", doc(f"D{n}"), quota=100)).id for n in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await store.list_documents("alice", limit=3, cursor=cursor)
        seen += [item.id for item in page.items]
        pages += 1
        # A newer document arrives between pages: it belongs before the first page.
        await store.create("alice", doc(f"new {pages}"), quota=100)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(originals))
    assert pages == 3


async def test_concurrent_writers_lose_nothing(store: Store) -> None:
    async def add(n: int) -> None:
        await store.create("alice", doc(f"C{n}"), quota=1000)

    async with trio.open_nursery() as nursery:
        for n in range(40):
            nursery.start_soon(add, n)
    page = await store.list_documents("alice", limit=100)
    assert sorted(item.title or "" for item in page.items) == sorted(
        f"C{n}'s CV" for n in range(40)
    )


async def test_listing_filters_by_template_and_refuses_strange_cursors(
    store: Store,
) -> None:
    await store.create("alice", doc("A", "resume-classic"), quota=10)
    letter = await store.create("alice", doc("B", "cover-letter"), quota=10)
    page = await store.list_documents("alice", limit=10, template="cover-letter")
    assert [item.id for item in page.items] == [letter.id]
    for cursor in ("", "not base64 !", "czE6", "eDox", "czE6LTE"):
        with pytest.raises(InvalidCursor):
            await store.list_documents("alice", limit=10, cursor=cursor)


async def test_export_then_import_moves_every_document(new_store: NewStore) -> None:
    source = await new_store()
    made = [await source.create(owner, doc(owner), quota=10) for owner in ("alice", "bob")]
    await source.replace("bob", made[1].id, doc("Bob v2"))
    exported, position = await source.export(limit=1)
    rest, end = await source.export(after=position, limit=10)
    more, _ = await source.export(after=end, limit=10)
    assert more == []
    everything = exported + rest
    assert [(e.owner, e.document.id) for e in everything] == [
        ("alice", made[0].id),
        ("bob", made[1].id),
    ]

    target = await new_store()
    assert await target.import_documents(everything) == (2, 0)
    assert await target.import_documents(everything) == (0, 2)
    moved = await target.get("bob", made[1].id)
    assert moved.revision == 2
    assert moved.data == {"basics": {"name": "Bob v2"}}
    assert moved.created == made[1].created
    assert await target.import_documents(everything, replace=True) == (2, 0)


async def test_a_new_directory_gets_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    await SqliteStore.open(tmp_path / "fresh" / "nested")
    with sqlite3.connect(tmp_path / "fresh" / "nested" / FILE_NAME) as db:
        assert schema_version(db) == LATEST
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_the_previous_schema_is_migrated_with_its_documents(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, MIGRATIONS[: LATEST - 1])
    assert schema_version(db) == LATEST - 1
    stamp = datetime(2026, 1, 2, tzinfo=UTC).isoformat()
    db.execute(
        "INSERT INTO documents (id, owner, template, title, data, revision, created, updated)"
        " VALUES ('old-id', 'alice', 'resume-classic', NULL, '{\"a\":1}', 4, ?, ?)",
        (stamp, stamp),
    )
    db.close()

    store = await SqliteStore.open(tmp_path)
    old = await store.get("alice", "old-id")
    assert old.revision == 4
    assert old.data == {"a": 1}
    assert old.title is None
    key = make_key("ci")
    await store.add_key(key.record)
    await store.touch_key(key.record.key_id, datetime(2026, 2, 1, tzinfo=UTC))
    (listed,) = await store.list_keys()
    assert listed.last_used == datetime(2026, 2, 1, tzinfo=UTC)


async def test_a_schema_from_a_newer_texrender_is_left_alone(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        db.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(SchemaTooNew):
        await SqliteStore.open(tmp_path)


async def test_keys_are_kept_hashed_and_checked(store: Store) -> None:
    new = make_key("laptop", owner="alice")
    await store.add_key(new.record)
    assert new.token.startswith("trk_")
    assert parse_key(new.token) is not None
    parsed = parse_key(new.token)
    assert parsed is not None
    secret = parsed[1]  # not the text after the last "_": the secret may hold "_" itself
    assert len(secret) == 43
    assert secret.encode() not in new.record.secret_hash
    assert secret not in database_text(store)

    found = await verify_key(store, new.token)
    assert found is not None
    assert found.owner == "alice"
    assert found.name == "laptop"
    wrong_secret = new.token[:-4] + ("AAAA" if not new.token.endswith("AAAA") else "BBBB")
    refusals = {
        wrong_secret: KeyRefusal.UNKNOWN,
        "trk_" + "0" * 16 + "_" + "A" * 43: KeyRefusal.UNKNOWN,
        "Bearer nonsense": KeyRefusal.MALFORMED,
        new.token + "x": KeyRefusal.MALFORMED,
    }
    for token, reason in refusals.items():
        with pytest.raises(KeyRefused) as refused:
            await verify_key(store, token)
        assert refused.value.reason is reason

    with pytest.raises(NameTaken):
        await store.add_key(make_key("laptop").record)
    revoked = await store.revoke_key("laptop")
    assert revoked.revoked is not None
    with pytest.raises(KeyRefused) as refused:
        await verify_key(store, new.token)
    assert refused.value.reason is KeyRefusal.REVOKED
    with pytest.raises(KeyNotFound):
        await store.revoke_key("nobody")


async def test_a_database_locked_too_long_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path, busy_timeout_s=0.2)
    created = await store.create("alice", doc(), quota=10)
    holder = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    try:
        with pytest.raises(StoreUnavailable, match="cannot answer now"):
            await store.replace("alice", created.id, doc("blocked"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    replaced = await store.replace("alice", created.id, doc("later"))
    assert replaced.revision == 2


async def test_the_database_files_are_readable_by_this_user_only(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "new")
    await store.create("alice", doc(), quota=10)  # the write-ahead log exists once written
    files = sorted((tmp_path / "new").iterdir())
    assert [f.name for f in files][:1] == [FILE_NAME]
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}
    await store.aclose()


async def test_a_database_left_readable_by_others_is_made_private(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / FILE_NAME).touch(mode=0o644)
    (folder / FILE_NAME).chmod(0o644)
    store = await SqliteStore.open(folder)
    assert (folder / FILE_NAME).stat().st_mode & 0o777 == 0o600
    await store.aclose()


async def test_any_string_json_can_hold_is_kept_as_it_came(store: Store) -> None:
    """A lone surrogate and U+0000 are valid in JSON strings and member names: the store keeps
    them (PostgreSQL's jsonb and text refuse both; the data is stored as escaped JSON text)."""
    strange = 'nul\x00 lone\ud800 low\udfff pair\U0001f600 seps\u2028\u2029\x85 quote"\\'
    data = {"text": strange, "nul\x00key": [strange, {"\ud800": None}], "n": 1.5e300}
    title = "title\x00with nul"
    created = await store.create("alice", DocumentInput("echo", data, title), quota=10)
    for stored in (created, await store.get("alice", created.id)):
        assert (stored.data, stored.title) == (data, title)
    (listed,) = (await store.list_documents("alice", limit=10)).items
    assert listed.title == title
    replaced = await store.replace("alice", created.id, DocumentInput("echo", {"x": strange}))
    assert replaced.data == {"x": strange}
    assert replaced.title is None
    ((exported,), _) = await store.export()
    assert exported.document == await store.get("alice", created.id)


async def test_ids_and_names_no_database_can_hold_name_nothing(store: Store) -> None:
    """U+0000 in an id or a name from outside (a URL, the command line) finds nothing, as an
    unknown id does; it is no error of the database's."""
    await store.create("alice", doc(), quota=10)
    with pytest.raises(DocumentNotFound):
        await store.get("alice", "a\x00b")
    with pytest.raises(DocumentNotFound):
        await store.replace("alice", "a\x00b", doc())
    with pytest.raises(DocumentNotFound):
        await store.delete("alice", "a\x00b")
    assert (await store.list_documents("alice", limit=10, template="echo\x00")).items == []
    assert await store.find_key("\x00") is None
    with pytest.raises(KeyNotFound):
        await store.revoke_key("a\x00")
    with pytest.raises(KeyNotFound):
        await store.delete_key("a\x00")
    assert await store.move_documents("alice\x00", "bob") == 0


async def test_dates_come_back_in_utc_to_the_microsecond(store: Store) -> None:
    created = await store.create("alice", doc(), quota=10)
    assert created.created.utcoffset() == timedelta(0)
    assert created.created.isoformat().endswith("+00:00")
    key = make_key("ci")
    await store.add_key(key.record)
    moment = datetime(2026, 2, 1, 12, 30, 45, 123456, tzinfo=timezone(timedelta(hours=2)))
    await store.touch_key(key.record.key_id, moment)
    (listed,) = await store.list_keys()
    assert listed.last_used == moment
    assert listed.last_used is not None
    assert listed.last_used.isoformat() == "2026-02-01T10:30:45.123456+00:00"
    assert listed.created == key.record.created
