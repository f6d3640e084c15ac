"""API keys after their first life: a revoked key's name taken by a new key, keys deleted, and
documents handed from one owner to another (what auth off stored, to a key's owner). On both
backends (a real SQLite file, a real PostgreSQL database), and through ``texrender keys`` and
``texrender documents`` as a user runs them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.store import DocumentInput, DocumentNotFound, KeyNotFound, NameTaken, Store
from server.store.keys import KeyRefusal, KeyRefused, make_key, verify_key
from server.store.migrations import LATEST, MIGRATIONS, migrate
from server.store.sqlite import FILE_NAME, SqliteStore
from tests.server.conftest import run_cli


async def test_a_revoked_keys_name_is_taken_by_a_new_key(store: Store) -> None:
    old = make_key("laptop", owner="alice")
    await store.add_key(old.record)
    with pytest.raises(NameTaken, match="revoke or delete it first"):
        await store.add_key(make_key("laptop").record)
    await store.revoke_key("laptop")
    new = make_key("laptop", owner="alice")
    await store.add_key(new.record)  # was NameTaken for ever

    assert (await verify_key(store, new.token)).key_id == new.record.key_id
    with pytest.raises(KeyRefused) as refused:
        await verify_key(store, old.token)
    assert refused.value.reason is KeyRefusal.REVOKED
    listed = await store.list_keys()
    assert [(k.name, k.revoked is None) for k in listed] == [("laptop", False), ("laptop", True)]
    with pytest.raises(NameTaken):
        await store.add_key(make_key("laptop").record)  # one live key a name

    revoked = await store.revoke_key("laptop")
    assert revoked.key_id == new.record.key_id
    again = await store.revoke_key("laptop")  # nothing live: the latest revoked is answered
    assert again.key_id == new.record.key_id


async def test_deleting_a_name_forgets_every_key_of_it(store: Store) -> None:
    first, second = make_key("ci"), make_key("ci")
    await store.add_key(first.record)
    await store.revoke_key("ci")
    await store.add_key(second.record)
    await store.add_key(make_key("other").record)
    assert await store.delete_key("ci") == 2
    assert [k.name for k in await store.list_keys()] == ["other"]
    for token in (first.token, second.token):
        with pytest.raises(KeyRefused) as refused:
            await verify_key(store, token)
        assert refused.value.reason is KeyRefusal.UNKNOWN
    with pytest.raises(KeyNotFound):
        await store.delete_key("ci")


async def test_the_migration_keeps_revoked_keys_and_frees_their_names(tmp_path: Path) -> None:
    """A file from before (names unique among all keys) keeps its keys, revoked ones too."""
    path = tmp_path / FILE_NAME
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, MIGRATIONS[:2])
    old = make_key("laptop", owner="alice")
    stamp = datetime(2026, 1, 2, tzinfo=UTC).isoformat()
    db.execute(
        "INSERT INTO api_keys (key_id, name, owner, secret_hash, created, revoked)"
        " VALUES (?, 'laptop', 'alice', ?, ?, ?)",
        (old.record.key_id, old.record.secret_hash, stamp, stamp),
    )
    db.close()
    assert LATEST >= 3

    store = await SqliteStore.open(tmp_path)
    (kept,) = await store.list_keys()
    assert kept.revoked == datetime(2026, 1, 2, tzinfo=UTC)
    new = make_key("laptop", owner="alice")
    await store.add_key(new.record)
    assert (await verify_key(store, new.token)).owner == "alice"


async def test_documents_move_from_one_owner_to_another_whole(store: Store) -> None:
    mine = await store.create("local", DocumentInput("echo", {"text": "a"}, "one"), quota=10)
    await store.replace("local", mine.id, DocumentInput("echo", {"text": "b"}, "one"))
    await store.create("bob", DocumentInput("echo", {"text": "bob's"}), quota=10)
    assert await store.move_documents("local", "alice") == 1
    moved = await store.get("alice", mine.id)
    assert (moved.revision, moved.created, moved.data) == (2, mine.created, {"text": "b"})
    with pytest.raises(DocumentNotFound):
        await store.get("local", mine.id)
    assert len((await store.list_documents("bob", limit=10)).items) == 1
    assert await store.move_documents("local", "alice") == 0


def test_keys_delete_and_a_name_used_again_from_the_command_line(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert run_cli(*data, "keys", "create", "laptop", "--owner", "alice").returncode == 0
    assert run_cli(*data, "keys", "revoke", "laptop").returncode == 0
    again = run_cli(*data, "keys", "create", "laptop", "--owner", "alice")
    assert again.returncode == 0, again.stderr
    rows = [line for line in run_cli(*data, "keys", "list").stdout.splitlines()[1:]]
    assert [row.split()[0] for row in rows] == ["laptop", "laptop"]
    assert rows[0].split()[-3] == "revoked"
    assert rows[1].endswith("active")
    deleted = run_cli(*data, "keys", "delete", "laptop")
    assert deleted.returncode == 0, deleted.stderr
    assert "deleted 2 key(s) named 'laptop'" in deleted.stderr
    assert run_cli(*data, "keys", "list").stdout.splitlines()[1:] == []
    missing = run_cli(*data, "keys", "delete", "laptop")
    assert missing.returncode == 1
    assert "no API key is named 'laptop'" in missing.stderr


def test_documents_move_names_a_valid_owner(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    moved = run_cli(*data, "documents", "move", "local", "alice")
    assert moved.returncode == 0, moved.stderr
    assert "moved 0 document(s) from 'local' to 'alice'" in moved.stderr
    bad = run_cli(*data, "documents", "move", "local", "not an owner")
    assert bad.returncode == 1
    assert "owner 'not an owner' must be" in bad.stderr
