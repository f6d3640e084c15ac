"""Start-up's objects frozen out of the collector's full collections once a server has started."""

from __future__ import annotations

import gc

from server.serving.heap import freeze_start_up_heap
from tests.conftest import StartServer


def test_what_exists_when_frozen_is_never_collected_again_what_comes_after_is() -> None:
    gc.unfreeze()
    kept: list[object] = [[]]
    kept.append(kept)  # a cycle: only a collection could free it
    freeze_start_up_heap()
    assert gc.get_freeze_count() > 0
    assert not any(obj is kept for obj in gc.get_objects())
    later: list[object] = [[]]
    later.append(later)
    assert any(obj is later for obj in gc.get_objects())
    gc.unfreeze()


async def test_a_started_server_has_frozen_its_start_up_heap(start_server: StartServer) -> None:
    gc.unfreeze()
    server = await start_server()
    assert (await server.client.get("/healthz")).status_code == 200
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
