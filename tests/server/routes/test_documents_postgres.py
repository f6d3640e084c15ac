"""The documents API end to end on PostgreSQL: a real server with ``database_url`` set, real
keys, a real PostgreSQL that is stopped mid-test (``/readyz`` fails, writes are 503) and started
again (both come back), and the store's metrics."""

from __future__ import annotations

import re

import httpx
import pytest
import trio

from server.store.keys import make_key
from server.store.postgres import PostgresStore
from tests.conftest import StartServer
from tests.postgres_server import PASSWORD, running_postgres

pytestmark = pytest.mark.tex

READY_S = 60.0


async def add_key(url: str, name: str, owner: str) -> dict[str, str]:
    store = await PostgresStore.open(url)
    new = make_key(name, owner)
    await store.add_key(new.record)
    await store.aclose()
    return {"authorization": f"Bearer {new.token}"}


async def wait_ready(client: httpx.AsyncClient, ready: bool) -> httpx.Response:
    with trio.fail_after(READY_S):
        while True:
            answer = await client.get("/readyz")
            if answer.json()["checks"]["database"] is ready:
                assert (answer.status_code == 200) is answer.json()["ready"]
                return answer
            await trio.sleep(0.1)


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match is not None, f"{name} not in the metrics"
    return float(match.group(1))


async def test_documents_over_http_on_postgres(start_server: StartServer) -> None:
    with running_postgres() as postgres:
        url = await trio.to_thread.run_sync(postgres.new_database)
        alice_key = await add_key(url, "alice-laptop", "alice")
        bob_key = await add_key(url, "bob-ci", "bob")
        server = await start_server(database_url=url, auth="on", formats_enabled=False)
        alice = server.new_client(headers=alice_key)
        bob = server.new_client(headers=bob_key)

        made = []
        for n in range(3):
            body = {"template": "echo", "data": {"text": f"note {n}"}, "title": f"n{n}"}
            created = await alice.post("/v1/documents", json=body)
            assert created.status_code == 201, created.text
            assert created.headers["etag"] == '"r1"'
            made.append(created.json()["id"])
        location = f"/v1/documents/{made[0]}"
        got = await alice.get(location)
        assert got.status_code == 200
        assert got.json()["data"] == {"text": "note 0"}
        assert (await bob.get(location)).status_code == 404  # another owner's
        replaced = await alice.put(
            location,
            json={"template": "echo", "data": {"text": "again"}},
            headers={"if-match": '"r1"'},
        )
        assert replaced.status_code == 200
        assert replaced.headers["etag"] == '"r2"'
        stale = await alice.put(
            location, json={"template": "echo", "data": {"text": "x"}}, headers={"if-match": '"r1"'}
        )
        assert stale.status_code == 412

        first = (await alice.get("/v1/documents", params={"limit": 2})).json()
        assert [item["id"] for item in first["items"]] == made[:0:-1]
        rest = await alice.get(first["next"])  # a link: /v1/documents?limit=2&cursor=...
        assert [item["id"] for item in rest.json()["items"]] == [made[0]]
        assert (await bob.get("/v1/documents")).json()["items"] == []

        ready = await wait_ready(server.client, True)
        assert ready.status_code == 200
        metrics = (await server.client.get("/metrics")).text
        assert metric(metrics, 'texrender_store_query_seconds_count{operation="create"}') == 3
        assert metric(metrics, "texrender_store_pool_size") == 4
        assert metric(metrics, "texrender_store_connections_open") >= 1
        assert metric(metrics, "texrender_store_calls_waiting") == 0

        await trio.to_thread.run_sync(postgres.stop)
        down = await wait_ready(server.client, False)
        assert down.status_code == 503
        assert PASSWORD not in down.text
        refused = await alice.get(location)
        assert refused.status_code == 503
        assert refused.json()["type"] == "/problems/store-unavailable"
        assert "retry-after" in refused.headers
        assert PASSWORD not in refused.text
        metrics = (await server.client.get("/metrics")).text
        assert metric(metrics, 'texrender_store_errors_total{operation="get"}') >= 1

        await trio.to_thread.run_sync(postgres.start)
        assert (await wait_ready(server.client, True)).status_code == 200
        with trio.fail_after(READY_S):
            while (again := await alice.get(location)).status_code == 503:
                await trio.sleep(0.1)
        assert again.status_code == 200
        assert again.json()["data"] == {"text": "again"}
