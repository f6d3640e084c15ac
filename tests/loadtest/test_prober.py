"""The health probe's client: real servers on loopback, the probe in a process of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

import trio

from loadtest.drive import probe_in_process
from loadtest.drive._prober import ProbeClient
from tests.conftest import StartServer

Handler = Callable[[trio.SocketStream], Awaitable[None]]


async def listen(nursery: trio.Nursery, handler: Handler) -> str:
    """A bare TCP server on a loopback port that runs ``handler`` for each connection."""
    listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
    return f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}"


async def get(client: ProbeClient, path: str = "/healthz") -> str:
    return await trio.to_thread.run_sync(client.get, path)


async def test_the_probe_gets_its_answers_on_one_connection(start_server: StartServer) -> None:
    server = await start_server()
    client = ProbeClient(server.url, timeout_s=5)
    assert [await get(client) for _ in range(3)] == ["200", "200", "200"]
    assert await get(client, "/no-such-page") == "404"
    client.close()


async def test_a_connection_the_server_closed_meanwhile_is_opened_again(
    nursery: trio.Nursery,
) -> None:
    """Each connection answers one request and is then closed without a word (as a server
    whose keep-alive timer ran out): the probe sees every answer, none of the closings."""

    async def one_answer(stream: trio.SocketStream) -> None:
        await stream.receive_some()
        await stream.send_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await trio.sleep(0.05)
        await stream.aclose()

    client = ProbeClient(await listen(nursery, one_answer), timeout_s=5)
    for _ in range(3):
        assert await get(client) == "200"
        await trio.sleep(0.1)  # the server has closed it by now
    client.close()


async def test_a_failure_is_named_as_the_load_names_it(nursery: trio.Nursery) -> None:
    async def silent(stream: trio.SocketStream) -> None:
        await trio.sleep_forever()

    async def garbage(stream: trio.SocketStream) -> None:
        await stream.receive_some()
        await stream.send_all(b"this is not HTTP\r\n\r\n")
        await stream.aclose()

    assert await get(ProbeClient(await listen(nursery, silent), timeout_s=0.2)) == "timeout"
    assert await get(ProbeClient(await listen(nursery, garbage), timeout_s=5)) == ("protocol-error")
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # bound once, nobody listens there now
    assert await get(ProbeClient(f"http://127.0.0.1:{port}", timeout_s=5)) == "connect-error"


async def test_the_probe_process_sends_back_its_samples(start_server: StartServer) -> None:
    server = await start_server()
    samples: list[tuple[float, float, str]] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(
            partial(
                probe_in_process,
                server.url,
                "/healthz",
                0.02,
                5.0,
                lambda at, latency, status: samples.append((at, latency, status)),
            )
        )
        with trio.fail_after(20):
            while len(samples) < 5:
                await trio.sleep(0.05)
        nursery.cancel_scope.cancel()
    assert {status for _, _, status in samples} == {"200"}
    assert all(latency >= 0 for _, latency, _ in samples)
