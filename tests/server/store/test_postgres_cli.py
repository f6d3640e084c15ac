"""From SQLite to PostgreSQL, the documented way, as a user runs it: ``texrender documents
export`` from the SQLite store, ``texrender --database-url URL documents import`` into
PostgreSQL; and the other commands on PostgreSQL, with its password never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.store import DocumentInput
from server.store.postgres import PostgresStore
from server.store.sqlite import SqliteStore
from tests.postgres_server import PASSWORD
from tests.server.conftest import run_cli

pytestmark = pytest.mark.tex  # an import checks every document as the API does (fonts too)


async def test_an_export_from_sqlite_imports_into_postgres_whole(
    tmp_path: Path, postgres_url: str
) -> None:
    data = tmp_path / "data"
    sqlite = await SqliteStore.open(data)
    texts = ["plain", "ünïcödé ß œ", "separators \u2028\u2029\x85", 'quote " and \\', ""]
    for n, text in enumerate(texts):
        owner = ("alice", "bob", "local")[n % 3]
        first = DocumentInput("echo", {"text": text, "count": n}, f"t{n}" if n else None)
        made = await sqlite.create(owner, first, quota=10)
        for revision in range(n):
            await sqlite.replace(
                owner, made.id, DocumentInput("echo", {"text": f"{text} {revision}"})
            )
    gone = await sqlite.create("alice", DocumentInput("echo", {"text": "deleted"}), quota=10)
    await sqlite.delete("alice", gone.id)
    everything, _ = await sqlite.export(limit=100)
    await sqlite.aclose()

    backup = tmp_path / "backup.jsonl"
    exported = run_cli("--data-dir", str(data), "documents", "export", "-o", str(backup))
    assert exported.returncode == 0, exported.stderr
    imported = run_cli("--database-url", postgres_url, "documents", "import", str(backup))
    assert imported.returncode == 0, imported.stderr
    assert f"imported {len(texts)} document(s)" in imported.stderr

    postgres = await PostgresStore.open(postgres_url)
    try:
        again, _ = await postgres.export(limit=100)
        # Ids, owners, revisions, both dates (to the microsecond) and data, in the same order.
        assert again == everything
        for item in everything:
            assert await postgres.get(item.owner, item.document.id) == item.document
    finally:
        await postgres.aclose()
    round_trip = tmp_path / "from-postgres.jsonl"
    exported_again = run_cli(
        "--database-url", postgres_url, "documents", "export", "-o", str(round_trip)
    )
    assert exported_again.returncode == 0, exported_again.stderr
    assert round_trip.read_bytes() == backup.read_bytes()

    twice = run_cli("--database-url", postgres_url, "documents", "import", str(backup))
    assert twice.returncode == 0, twice.stderr
    assert f"imported 0 document(s); {len(texts)} already there and kept" in twice.stderr
    for result in (imported, exported_again, twice):
        assert PASSWORD not in result.stderr + result.stdout


def test_keys_and_moves_on_postgres_from_the_command_line(postgres_url: str) -> None:
    db = ["--database-url", postgres_url]
    created = run_cli(*db, "keys", "create", "laptop", "--owner", "alice")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("trk_")
    taken = run_cli(*db, "keys", "create", "laptop")
    assert taken.returncode == 1
    assert "exists already" in taken.stderr
    (row,) = run_cli(*db, "keys", "list").stdout.splitlines()[1:]
    assert row.split()[:2] == ["laptop", "alice"]
    assert run_cli(*db, "keys", "delete", "laptop").returncode == 0
    moved = run_cli(*db, "documents", "move", "local", "alice")
    assert moved.returncode == 0, moved.stderr
    assert "moved 0 document(s)" in moved.stderr


def test_a_database_that_refuses_is_one_line_without_the_password(postgres_url: str) -> None:
    wrong = postgres_url.replace(PASSWORD, "wrong-password-9f2")
    refused = run_cli("--database-url", wrong, "keys", "list")
    assert refused.returncode == 1
    (line,) = refused.stderr.splitlines()
    assert line.startswith("texrender: cannot use the database postgresql://texrender:***@")
    assert "password authentication failed" in line
    assert "wrong-password-9f2" not in line
