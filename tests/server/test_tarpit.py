"""Refusals held for a moment before they are sent, and never too many held at once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import trio
import trio.testing

from server.tarpit import Tarpit
from tests.conftest import StartServer, server_settings


async def test_a_refusal_waits_the_pause(autojump_clock: trio.testing.MockClock) -> None:
    tarpit = Tarpit(0.5)
    started = trio.current_time()
    await tarpit.pause()
    assert trio.current_time() - started == pytest.approx(0.5)
    assert tarpit.held == 0


async def test_off_or_full_a_refusal_is_sent_at_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    off = Tarpit(0.0)
    started = trio.current_time()
    await off.pause()
    assert trio.current_time() == started
    full = Tarpit(10.0, max_held=2)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(full.pause)
        nursery.start_soon(full.pause)
        await trio.testing.wait_all_tasks_blocked()
        assert full.held == 2
        started = trio.current_time()
        await full.pause()  # the third is not held
        assert trio.current_time() == started
        nursery.cancel_scope.cancel()
    assert full.held == 0


def test_holding_counts_one_held_refusal_and_gives_its_pause_or_none_when_off_or_full() -> None:
    tarpit = Tarpit(0.5, max_held=1)
    with tarpit.holding() as first:
        assert (first, tarpit.held) == (0.5, 1)
        with tarpit.holding() as second:  # full: not held
            assert (second, tarpit.held) == (0.0, 1)
    assert tarpit.held == 0
    with Tarpit(0.0).holding() as off:
        assert off == 0.0


@pytest.mark.tex
async def test_a_429_is_held_before_it_is_sent_and_other_requests_go_on(
    start_server: StartServer, work_dir: Path
) -> None:
    settings = server_settings(work_dir, render_slots=1, queue_max=0, refusal_pause_s=30.0)
    server = await start_server(settings)
    client = server.client
    answers: list[httpx.Response] = []

    async def render(text: str) -> None:
        answers.append(
            await client.post("/v1/render/slow", json={"text": text, "count": 20_000_000})
        )

    async with trio.open_nursery() as nursery:
        nursery.start_soon(render, "holds the slot")
        with trio.fail_after(10):
            while (await client.get("/readyz")).json()["renders_in_flight"] < 1:
                await trio.sleep(0.01)
        nursery.start_soon(render, "refused")
        with trio.fail_after(10):
            while server.state.refusals.held < 1:
                await trio.sleep(0.01)
        # While the refusal is held, the server answers everything else.
        assert (await client.get("/healthz")).status_code == 200
        assert answers == []
        nursery.cancel_scope.cancel()
    # The client went away: the held refusal ends with its connection.
    with trio.fail_after(10):
        while server.state.refusals.held:
            await trio.sleep(0.01)
