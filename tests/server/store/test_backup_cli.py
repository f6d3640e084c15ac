"""``texrender documents export`` and ``import`` with data that used to break them (issue 20):
line separators, lone surrogates, a bad line after many good ones, ids and owners the API would
never make, and ``--replace`` across owners. Run as a user runs them, on real database files."""

from __future__ import annotations

import json
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.store import DocumentInput
from server.store.sqlite import FILE_NAME, SqliteStore
from tests.server.conftest import run_cli, running_server

pytestmark = pytest.mark.tex

SEPARATORS = "\u2028\u2029\x85"


def backup_line(**changes: Any) -> dict[str, Any]:
    """One line of an export, valid as it stands: an echo document of alice."""
    line = {
        "id": secrets.token_urlsafe(16),
        "owner": "alice",
        "template": "echo",
        "title": "a note",
        "revision": 1,
        "created": "2026-01-02T03:04:05.123456+00:00",
        "updated": "2026-01-02T03:04:05.123456+00:00",
        "data": {"text": "hello"},
    }
    line.update(changes)
    return line


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def stored_count(data_dir: Path) -> int:
    if not (data_dir / FILE_NAME).exists():
        return 0
    with sqlite3.connect(data_dir / FILE_NAME) as db:
        count: int = db.execute("SELECT count(*) FROM documents").fetchone()[0]
    return count


def one_line_error(stderr: str) -> str:
    """The single line a failed command prints (no traceback)."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("texrender: "), stderr
    return lines[0]


def test_line_separators_survive_export_and_import_byte_equal(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    texts = [f"before{sep}after" for sep in SEPARATORS] + [f"all{SEPARATORS}\r\x1c\x0b"]
    with (
        running_server("--data-dir", str(source)) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        made = []
        for n, text in enumerate(texts):
            separator = SEPARATORS[n % 3]
            data = {"text": text, f"key{separator}": [text]}
            body = {"template": "echo", "title": f"t{separator}", "data": data}
            answer = client.post(
                "/v1/documents",
                content=json.dumps(body),
                headers={"content-type": "application/json"},
            )
            assert answer.status_code == 201, answer.text
            made.append(answer.json())
    first = tmp_path / "first.jsonl"
    exported = run_cli("--data-dir", str(source), "documents", "export", "-o", str(first))
    assert exported.returncode == 0, exported.stderr
    raw = first.read_bytes()
    text = raw.decode("utf-8")
    # One line a document for every reader of lines, whatever it takes as a line end.
    assert len(text.splitlines()) == len(raw.split(b"\n")) - 1 == len(texts)
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(line["data"], line["title"]) for line in lines] == [
        (doc["data"], doc["title"]) for doc in made
    ]

    imported = run_cli("--data-dir", str(target), "documents", "import", str(first))
    assert imported.returncode == 0, imported.stderr
    assert f"imported {len(texts)} document(s)" in imported.stderr
    second = tmp_path / "second.jsonl"
    again = run_cli("--data-dir", str(target), "documents", "export", "-o", str(second))
    assert again.returncode == 0, again.stderr
    assert second.read_bytes() == raw


def test_a_backup_written_with_raw_line_separators_still_imports(tmp_path: Path) -> None:
    """Backups made before the separators were escaped hold them raw: still one line each."""
    data = {"text": f"raw{SEPARATORS}text"}
    backup = tmp_path / "old.jsonl"
    backup.write_text(json.dumps(backup_line(data=data), ensure_ascii=False) + "\n", "utf-8")
    imported = run_cli("--data-dir", str(tmp_path / "d"), "documents", "import", str(backup))
    assert imported.returncode == 0, imported.stderr
    out = tmp_path / "out.jsonl"
    assert run_cli("--data-dir", str(tmp_path / "d"), "documents", "export", "-o", str(out))
    assert json.loads(out.read_text("utf-8"))["data"] == data


def test_a_line_that_fails_late_leaves_nothing_written(tmp_path: Path) -> None:
    """250 good lines, then one whose title cannot be stored: not one document is written."""
    good = [backup_line(title=f"doc {n}") for n in range(250)]
    backup = write_lines(tmp_path / "backup.jsonl", [*good, backup_line(title="bad \ud800")])
    target = tmp_path / "target"
    refused = run_cli("--data-dir", str(target), "documents", "import", str(backup))
    assert refused.returncode == 1
    message = one_line_error(refused.stderr)
    assert "line 251" in message
    assert "/title" in message
    assert "nothing was imported" in message
    assert stored_count(target) == 0


BAD_LINES = {
    "unknown-template": (backup_line(template="no-such-template"), "no-such-template"),
    "owner-blank": (backup_line(owner=" "), "owner"),
    "owner-newline": (backup_line(owner="alice\n"), "owner"),
    "owner-surrogate": (backup_line(owner="al\ud800ce"), "/owner"),
    "id-path": (backup_line(id="../../etc/passwd"), "id"),
    "id-long": (backup_line(id="A" * 5000), "id"),
    "id-empty": (backup_line(id=""), "id"),
    "data-key-surrogate": (backup_line(data={"text": "x", "meta": {"\udc00": 1}}), "/data/meta/"),
    "data-invalid": (backup_line(data={"text": 3}), "/data/text"),
    "data-not-object": (backup_line(data=["not", "an", "object"]), "data"),
    "title-long": (backup_line(title="x" * 201), "title"),
    "revision-zero": (backup_line(revision=0), "revision"),
    "time-naive": (backup_line(created="2026-01-02T03:04:05"), "created"),
    "member-unknown": (backup_line(extra=1), "extra"),
}


@pytest.mark.parametrize(("bad", "says"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_bad_line_is_one_line_naming_it_and_nothing_is_written(
    tmp_path: Path, bad: dict[str, Any], says: str
) -> None:
    backup = write_lines(tmp_path / "backup.jsonl", [backup_line(), bad, backup_line()])
    target = tmp_path / "target"
    refused = run_cli("--data-dir", str(target), "documents", "import", str(backup))
    assert refused.returncode == 1
    message = one_line_error(refused.stderr)
    assert "line 2" in message
    assert says in message
    assert "nothing was imported" in message
    assert len(message) < 400
    assert stored_count(target) == 0


def test_lines_that_are_not_one_json_object_each_are_named(tmp_path: Path) -> None:
    target = tmp_path / "target"
    first = json.dumps(backup_line()).encode()
    for content, says in [
        (first + b"\n" + first + b"\n", "line 2"),  # the same id twice
        (first + b"\n{not json\n", "line 2"),
        (first + b"\n\xff\xfe\n", "line 2"),
        (first + b"\n\n  \n" + first[:-1] + b"\r\n", "line 4"),
    ]:
        backup = tmp_path / "backup.jsonl"
        backup.write_bytes(content)
        refused = run_cli("--data-dir", str(target), "documents", "import", str(backup))
        assert refused.returncode == 1, content
        assert says in one_line_error(refused.stderr)
        assert stored_count(target) == 0


def test_an_import_never_moves_a_document_to_another_owner(tmp_path: Path) -> None:
    target = tmp_path / "target"
    alices = backup_line(data={"text": "alice's"})
    first = write_lines(tmp_path / "first.jsonl", [alices])
    assert run_cli("--data-dir", str(target), "documents", "import", str(first)).returncode == 0
    other = backup_line()
    bobs = dict(alices, owner="bob", data={"text": "bob's"})
    second = write_lines(tmp_path / "second.jsonl", [other, bobs])
    for replace in (["--replace"], []):
        refused = run_cli("--data-dir", str(target), "documents", "import", str(second), *replace)
        assert refused.returncode == 1
        message = one_line_error(refused.stderr)
        assert "line 2" in message
        assert "owner" in message
        assert stored_count(target) == 1  # the other line was not written either
    with sqlite3.connect(target / FILE_NAME) as db:
        row = db.execute("SELECT owner, data FROM documents WHERE id = ?", (alices["id"],))
        assert row.fetchone() == ("alice", '{"text":"alice\'s"}')


async def test_a_stored_lone_surrogate_does_not_stop_an_export(tmp_path: Path) -> None:
    """A row stored before surrogates were refused: exported as valid JSON (its surrogate as
    the escape it came in as), named in a warning; every other document is exported too."""
    data = tmp_path / "data"
    store = await SqliteStore.open(data)
    await store.create("alice", DocumentInput("echo", {"text": "before"}), quota=10)
    legacy = await store.create(
        "bob", DocumentInput("echo", {"text": "x\ud800", "k\udc00": 1}), quota=10
    )
    await store.create("alice", DocumentInput("echo", {"text": "after"}), quota=10)
    await store.aclose()
    backup = tmp_path / "backup.jsonl"
    exported = run_cli("--data-dir", str(data), "documents", "export", "-o", str(backup))
    assert exported.returncode == 0, exported.stderr
    assert legacy.id in exported.stderr
    assert "exported 3 document(s)" in exported.stderr
    lines = backup.read_text("utf-8").splitlines()
    assert [json.loads(line)["data"]["text"] for line in lines] == ["before", "x\ud800", "after"]
    refused = run_cli("--data-dir", str(tmp_path / "t"), "documents", "import", str(backup))
    assert refused.returncode == 1
    assert "line 2" in one_line_error(refused.stderr)


def test_a_failed_export_leaves_no_file_behind(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "backup.jsonl"
    failed = run_cli("--data-dir", str(tmp_path / "d"), "documents", "export", "-o", str(missing))
    assert failed.returncode == 1
    one_line_error(failed.stderr)
    assert not missing.parent.exists()


def test_an_export_to_standard_output_is_the_same_lines(tmp_path: Path) -> None:
    backup = write_lines(tmp_path / "in.jsonl", [backup_line(data={"text": f"a{SEPARATORS}"})])
    data = ["--data-dir", str(tmp_path / "d")]
    assert run_cli(*data, "documents", "import", str(backup)).returncode == 0
    to_file = tmp_path / "out.jsonl"
    assert run_cli(*data, "documents", "export", "-o", str(to_file)).returncode == 0
    to_stdout = run_cli(*data, "documents", "export", "-o", "-")
    assert to_stdout.returncode == 0
    assert to_stdout.stdout == to_file.read_text("utf-8")
    assert to_file.stat().st_mode & 0o077 == 0  # a backup holds every owner's documents
