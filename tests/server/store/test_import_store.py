"""An import as the store does it: one transaction, never a move between owners; and the rules
an imported line is held to (issue 20)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from server.store import (
    DocumentInput,
    DocumentOwnerConflict,
    ExportedDocument,
    Store,
    StoredDocument,
)
from server.store.backup import backup_line, backup_lines
from server.store.keys import InvalidKeyName, check_name, make_key
from server.store.rules import document_id_problem, new_document_id, title_problem

WHEN = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def exported(owner: str, text: str, document_id: str | None = None) -> ExportedDocument:
    document = StoredDocument(
        id=document_id or new_document_id(),
        template="echo",
        title=None,
        revision=1,
        created=WHEN,
        updated=WHEN,
        data={"text": text},
    )
    return ExportedDocument(owner, document)


async def test_an_id_held_by_another_owner_stops_the_whole_import(store: Store) -> None:
    alices = await store.create("alice", DocumentInput("echo", {"text": "mine"}), quota=10)
    batch = [exported("bob", f"new {n}") for n in range(300)]
    batch.append(exported("bob", "taken", alices.id))
    for replace in (True, False):
        with pytest.raises(DocumentOwnerConflict) as caught:
            await store.import_documents(batch, replace=replace)
        assert caught.value.document_id == alices.id
        assert (await store.list_documents("bob", limit=10)).items == []
    assert (await store.get("alice", alices.id)).data == {"text": "mine"}


async def test_replace_overwrites_only_its_owners_document(store: Store) -> None:
    first = exported("alice", "first")
    assert await store.import_documents([first]) == (1, 0)
    again = exported("alice", "second", first.document.id)
    assert await store.import_documents([again]) == (0, 1)
    assert await store.import_documents([again], replace=True) == (1, 0)
    assert (await store.get("alice", first.document.id)).data == {"text": "second"}


def test_only_ids_the_api_could_make_are_ids() -> None:
    for _ in range(100):
        assert document_id_problem(new_document_id()) is None
    for bad in ["../../etc/passwd", "A" * 5000, "", "A" * 21, "A" * 23, "a" * 21 + "\n", None, 7]:
        assert document_id_problem(bad) is not None, bad


def test_owners_and_titles_follow_the_apis_rules() -> None:
    for bad in [" ", "alice\n", "", "-alice", "a" * 65, "al ice"]:
        with pytest.raises(InvalidKeyName):
            check_name(bad, "owner")
    with pytest.raises(InvalidKeyName):
        make_key("laptop", "alice\n")
    assert check_name("alice@example.org", "owner") == "alice@example.org"
    assert title_problem(None) is None
    assert title_problem("x" * 200) is None
    assert title_problem("x" * 201) is not None
    assert title_problem(3) is not None


def test_a_backup_line_is_one_line_for_every_reader_of_lines() -> None:
    text = "a\u2028b\u2029c\x85d\r\ne\x1cf\x0bg\x0ch\ud800i é ß"
    item = exported("alice", text)
    line = backup_line(item)
    assert line.splitlines() == [line]
    line.encode("utf-8")  # even the lone surrogate is written as an escape
    assert "é ß" in line  # other text stays readable
    assert json.loads(line)["data"] == {"text": text}
    assert [number for number, _ in backup_lines(f"{line}\n\n \r\n{line}\r\n".encode())] == [1, 4]
