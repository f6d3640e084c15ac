"""Idle keep-alive connections are closed (quart-trio's defect, fixed in server/http/asgi.py)."""

from __future__ import annotations

import trio

from tests.conftest import StartServer

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n"


async def test_idle_keep_alive_connection_is_closed(start_server: StartServer) -> None:
    server = await start_server(keep_alive_timeout_s=0.3)
    stream = await trio.open_tcp_stream("127.0.0.1", server.port)
    async with stream:
        await stream.send_all(REQUEST)
        received = b""
        with trio.fail_after(5):
            while b'"ok"' not in received:
                received += await stream.receive_some()
        assert received.startswith(b"HTTP/1.1 200")
        # The server must hang up on its own once the connection has been idle long enough,
        # and not before (a server that closes after every response is no keep-alive).
        answered = trio.current_time()
        with trio.fail_after(5):
            while await stream.receive_some():
                pass
        assert trio.current_time() - answered >= 0.25
