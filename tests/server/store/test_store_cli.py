"""The store from the outside: ``texrender keys`` and ``texrender documents`` as a user runs
them, and a server killed with SIGKILL in the middle of a stream of writes."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from server.store.keys import parse_key
from server.store.sqlite import FILE_NAME
from tests.server.conftest import run_cli, running_server

pytestmark = pytest.mark.tex


def test_keys_are_created_listed_and_revoked(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    created = run_cli(*data, "keys", "create", "laptop", "--owner", "alice")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("trk_")
    assert "shown only this once" in created.stderr
    again = run_cli(*data, "keys", "create", "laptop")
    assert again.returncode == 1
    assert "exists already" in again.stderr
    bad = run_cli(*data, "keys", "create", "no spaces please")
    assert bad.returncode == 1

    listed = run_cli(*data, "keys", "list")
    assert listed.returncode == 0
    (row,) = [line for line in listed.stdout.splitlines() if line.startswith("laptop")]
    assert row.split()[:2] == ["laptop", "alice"]
    assert row.endswith("active")
    assert token not in listed.stdout
    parsed = parse_key(token)
    assert parsed is not None
    # The secret may itself hold '_' (even start with one): take it as the parser does.
    assert parsed[1] not in (tmp_path / FILE_NAME).read_bytes().decode("latin-1")

    revoked = run_cli(*data, "keys", "revoke", "laptop")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in run_cli(*data, "keys", "list").stdout.splitlines()[1]
    assert run_cli(*data, "keys", "revoke", "nobody").returncode == 1


def test_documents_are_exported_and_imported_whole(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    with (
        running_server("--data-dir", str(source)) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        made = [
            client.post(
                "/v1/documents",
                json={"template": "echo", "data": {"text": f"Doc {n} ünïcödé"}, "title": f"t{n}"},
            ).json()
            for n in range(3)
        ]
        client.put(made[1]["links"]["self"], json={"template": "echo", "data": {"text": "v2"}})
    export = tmp_path / "backup.jsonl"
    exported = run_cli("--data-dir", str(source), "documents", "export", "-o", str(export))
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [doc["id"] for doc in made]
    assert lines[1]["revision"] == 2
    assert lines[0]["owner"] == "local"
    assert lines[0]["data"] == {"text": "Doc 0 ünïcödé"}

    imported = run_cli("--data-dir", str(target), "documents", "import", str(export))
    assert imported.returncode == 0, imported.stderr
    assert "imported 3 document(s)" in imported.stderr
    twice = run_cli("--data-dir", str(target), "documents", "import", str(export))
    assert "imported 0 document(s); 3 already there" in twice.stderr
    with (
        running_server("--data-dir", str(target)) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        moved = client.get(made[1]["links"]["self"]).json()
        assert moved["revision"] == 2
        assert moved["data"] == {"text": "v2"}
        pdf = client.get(made[0]["links"]["pdf"])
        assert pdf.status_code == 200

    broken = tmp_path / "broken.jsonl"
    changed = dict(lines[2], id="another-id", data={"count": "three"})
    broken.write_text(json.dumps(lines[0]) + "\n" + json.dumps(changed) + "\n", encoding="utf-8")
    refused = run_cli("--data-dir", str(tmp_path / "third"), "documents", "import", str(broken))
    assert refused.returncode == 1
    assert "line 2" in refused.stderr
    assert "nothing was imported" in refused.stderr


@dataclass
class Written:
    """What one writer sent for one document: the text of each revision, and how far the
    server acknowledged."""

    texts: list[str] = field(default_factory=list)
    acknowledged: int = 0


def write_until_refused(
    url: str, writer: int, log: dict[str, Written], stop: threading.Event
) -> None:
    with httpx.Client(base_url=url, timeout=5) as client:
        n = 0
        while not stop.is_set():
            n += 1
            text = f"writer {writer} document {n} revision 1"
            try:
                created = client.post(
                    "/v1/documents", json={"template": "echo", "data": {"text": text}}
                )
            except httpx.TransportError:
                return
            if created.status_code != 201:
                return
            doc_id = created.json()["id"]
            written = log[doc_id] = Written([text], 1)
            for revision in range(2, 6):
                text = f"writer {writer} document {n} revision {revision}"
                written.texts.append(text)
                try:
                    answer = client.put(
                        f"/v1/documents/{doc_id}", json={"template": "echo", "data": {"text": text}}
                    )
                except httpx.TransportError:
                    return
                if answer.status_code != 200:
                    return
                written.acknowledged = revision


def test_a_killed_server_keeps_every_acknowledged_write_and_tears_none(tmp_path: Path) -> None:
    data = tmp_path / "data"
    logs: list[dict[str, Written]] = [{} for _ in range(4)]
    stop = threading.Event()
    with running_server("--data-dir", str(data)) as server:
        writers = [
            threading.Thread(target=write_until_refused, args=(server.url, n, logs[n], stop))
            for n in range(4)
        ]
        for thread in writers:
            thread.start()
        time.sleep(2.0)
        server.process.kill()  # SIGKILL: no chance to finish anything
        server.process.wait()
        stop.set()
        for thread in writers:
            thread.join(timeout=10)
    written = {doc_id: w for log in logs for doc_id, w in log.items()}
    acknowledged = sum(w.acknowledged for w in written.values())
    assert acknowledged > 20, "too few writes before the kill to mean anything"

    with sqlite3.connect(data / FILE_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with (
        running_server("--data-dir", str(data)) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        for doc_id, w in written.items():
            stored = client.get(f"/v1/documents/{doc_id}")
            assert stored.status_code == 200, doc_id
            body = stored.json()
            # At least what was acknowledged; at most what was sent; exactly one whole version.
            assert w.acknowledged <= body["revision"] <= len(w.texts), (doc_id, body, w)
            assert body["data"] == {"text": w.texts[body["revision"] - 1]}


def test_a_key_never_reaches_the_log(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    token = run_cli(*data, "keys", "create", "logger").stdout.strip()
    wrong = token[:-6] + "ABCDEF"
    with running_server(*data, "--auth", "on", "--log-format", "json") as server:
        with httpx.Client(base_url=server.url) as client:
            ok = client.get("/v1/documents", headers={"authorization": f"Bearer {token}"})
            assert ok.status_code == 200
            refused = client.get("/v1/documents", headers={"authorization": f"Bearer {wrong}"})
            assert refused.status_code == 401
            for _ in range(20):  # the access lines are written by a thread: wait for them
                if sum('"route": "/v1/documents"' in line for line in server.lines) >= 2:
                    break
                time.sleep(0.1)
        log = "".join(server.lines)
    access = [json.loads(line) for line in server.lines if '"route": "/v1/documents"' in line]
    assert [line["status"] for line in access] == [200, 401]
    assert access[0]["owner"] == "logger"
    # The secret is everything after the key id: it may hold "_" itself (URL-safe base64).
    secret = token[len("trk_") + 17 :]
    assert len(secret) == 43
    assert secret not in log
    assert wrong[len("trk_") + 17 :] not in log
