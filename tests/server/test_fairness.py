"""Fair shares between owners, end to end: a real server with auth on, two keys, real TeX."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import trio

from tests.conftest import StartServer, server_settings
from tests.server.conftest import add_key

pytestmark = pytest.mark.tex


def body(owner: str, n: int) -> dict[str, object]:
    return {"text": f"{owner} {n}", "count": 300_000}


async def wait_until_waiting(client: httpx.AsyncClient, waiting: int) -> None:
    with trio.fail_after(10):
        while (await client.get("/readyz")).json()["queue_depth"] < waiting:
            await trio.sleep(0.01)


async def test_one_keys_flood_costs_another_key_one_turn_not_the_whole_queue(
    start_server: StartServer, work_dir: Path
) -> None:
    """Twelve renders of one key are queued before a single render of another key: with one
    slot, the other key's render is the third to finish (after the one running and one turn
    of the flood), not the thirteenth, and it is never refused."""
    settings = server_settings(
        work_dir, auth="on", render_slots=1, queue_max=16, owner_queue_max=16
    )
    assert settings.data_dir is not None
    flood_key = await add_key(settings.data_dir, "flood", "flood")
    probe_key = await add_key(settings.data_dir, "probe", "probe")
    server = await start_server(settings)
    flood = server.new_client(headers={"authorization": f"Bearer {flood_key}"})
    probe = server.new_client(headers={"authorization": f"Bearer {probe_key}"})
    finished: list[tuple[str, int]] = []

    async def render(client: httpx.AsyncClient, owner: str, n: int) -> None:
        answer = await client.post("/v1/render/slow", json=body(owner, n))
        finished.append((owner, answer.status_code))

    async with trio.open_nursery() as nursery:
        for n in range(12):
            nursery.start_soon(render, flood, "flood", n)
        await wait_until_waiting(flood, 11)
        nursery.start_soon(render, probe, "probe", 0)
    assert ("probe", 200) in finished
    assert finished.index(("probe", 200)) <= 2, finished
    assert [status for _, status in finished] == [200] * 13


async def test_past_its_share_a_key_is_told_its_own_queue_is_full(
    start_server: StartServer, work_dir: Path
) -> None:
    settings = server_settings(work_dir, auth="on", render_slots=1, owner_queue_max=2)
    assert settings.data_dir is not None
    flood_key = await add_key(settings.data_dir, "flood", "flood")
    probe_key = await add_key(settings.data_dir, "probe", "probe")
    server = await start_server(settings)
    flood = server.new_client(headers={"authorization": f"Bearer {flood_key}"})
    probe = server.new_client(headers={"authorization": f"Bearer {probe_key}"})
    answers: list[httpx.Response] = []

    async def render(client: httpx.AsyncClient, owner: str, n: int) -> None:
        answers.append(await client.post("/v1/render/slow", json=body(owner, n)))

    async with trio.open_nursery() as nursery:
        for n in range(3):  # one running, two waiting: the flood's share
            nursery.start_soon(render, flood, "flood", n)
        await wait_until_waiting(flood, 2)
        nursery.start_soon(render, probe, "probe", 0)
        await wait_until_waiting(flood, 3)
        refused = await flood.post("/v1/render/slow", json=body("flood", 99))
    assert refused.status_code == 429
    problem = refused.json()
    assert problem["type"] == "/problems/owner-queue-full"
    assert "'flood'" in problem["detail"]
    assert int(refused.headers["retry-after"]) >= 1
    assert sorted(a.status_code for a in answers) == [200] * 4
