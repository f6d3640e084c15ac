"""Auth off (``make run``'s default) says what it means: a warning at start-up, a
``Texrender-Warning`` header when a request sent a key that was ignored, and the documents it
stored as ``local`` handed to a key's owner once auth is on. Live servers, a real store."""

from __future__ import annotations

from pathlib import Path

from server.http.auth import IGNORED_KEY, WARNING_HEADER
from server.store.sqlite import SqliteStore
from tests.conftest import StartServer, server_settings
from tests.server.conftest import add_key, run_cli, running_server


def test_start_up_warns_that_auth_is_off() -> None:
    with running_server("--log-format", "text") as server:
        said = "".join(server.lines)
    assert "auth is off: every request acts as owner 'local'" in said
    assert "an Authorization header is ignored" in said
    assert "documents stored now belong to 'local'" in said


def test_auth_on_says_nothing_of_the_kind() -> None:
    with running_server("--auth", "on", "--log-format", "text") as server:
        said = "".join(server.lines)
    assert "auth is off" not in said


async def test_a_key_sent_with_auth_off_is_ignored_out_loud_and_its_documents_can_be_moved(
    start_server: StartServer, work_dir: Path
) -> None:
    settings = server_settings(work_dir)  # auth off, as make run
    assert settings.data_dir is not None
    key = await add_key(settings.data_dir, "laptop", "alice")
    store = await SqliteStore.open(settings.data_dir)
    await store.revoke_key("laptop")
    await store.aclose()

    off = await start_server(settings)
    revoked = off.new_client(headers={"Authorization": f"Bearer {key}"})
    created = await revoked.post("/v1/documents", json={"template": "echo", "data": {"text": "x"}})
    assert created.status_code == 201, created.text
    assert created.headers[WARNING_HEADER] == IGNORED_KEY
    assert IGNORED_KEY.isascii()
    listed = await revoked.get("/v1/documents")
    assert listed.headers[WARNING_HEADER] == IGNORED_KEY
    nonsense = off.new_client(headers={"Authorization": "Basic bm8="})
    assert (await nonsense.get("/v1/templates")).headers[WARNING_HEADER] == IGNORED_KEY
    quiet = await off.client.get("/v1/documents")  # no key sent: nothing to warn of
    assert WARNING_HEADER not in quiet.headers
    assert [item["id"] for item in quiet.json()["items"]] == [created.json()["id"]]

    live = await add_key(settings.data_dir, "desktop", "alice")
    on = await start_server(settings, auth="on")
    alice = on.new_client(headers={"Authorization": f"Bearer {live}"})
    before = await alice.get("/v1/documents")
    assert before.status_code == 200
    assert WARNING_HEADER not in before.headers
    assert before.json()["items"] == []  # stored as local: no key reaches it

    moved = run_cli("--data-dir", str(settings.data_dir), "documents", "move", "local", "alice")
    assert moved.returncode == 0, moved.stderr
    after = await alice.get(f"/v1/documents/{created.json()['id']}")
    assert after.status_code == 200, after.text
    assert after.json()["data"] == {"text": "x"}
    assert after.headers["etag"] == created.headers["etag"]  # revisions kept
