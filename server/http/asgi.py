"""A fix for quart-trio's HTTP connection: do not cancel a response that is being sent.

quart-trio cancels the request's nursery when Hypercorn reports ``http.disconnect``. Hypercorn
also sends that event right after a *completed* response, and the cancellation then lands inside
Hypercorn's ``send`` of the last body chunk, before it re-arms the keep-alive timer: idle
keep-alive connections never time out and graceful shutdown waits out its whole grace period.
Here a disconnect cancels the handler only while the response is still being produced (which is
what makes a vanished client stop its render).
"""

from __future__ import annotations

from dataclasses import dataclass

import trio
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable
from quart import Quart
from quart.asgi import ASGIHTTPConnection
from quart.wrappers import Request
from quart_trio.asgi import TrioASGIHTTPConnection

_COUNTER_KEY = "texrender.requests_in_flight"


@dataclass
class RequestCounter:
    """HTTP requests between the start of their view and their last byte sent."""

    value: int = 0


def requests_counter(app: Quart) -> RequestCounter:
    """The app's counter (made on first use)."""
    counter: RequestCounter = app.extensions.setdefault(_COUNTER_KEY, RequestCounter())
    return counter


class ResponseSafeHTTPConnection(TrioASGIHTTPConnection):
    _responding = False

    async def handle_messages(  # type: ignore[override]
        self, nursery: trio.Nursery, request: Request, receive: ASGIReceiveCallable
    ) -> None:
        await ASGIHTTPConnection.handle_messages(self, request, receive)
        if not self._responding:
            nursery.cancel_scope.cancel()

    async def handle_request(  # type: ignore[override]
        self, nursery: trio.Nursery, request: Request, send: ASGISendCallable
    ) -> None:
        # Counted from the start of the view to the last byte sent: a draining server waits
        # for this to be zero (see server.serving.drain.end_when_idle).
        counter = requests_counter(self.app)
        counter.value += 1
        try:
            response = await self.app.handle_request(request)
            self._responding = True
            timeout = self.app.config["RESPONSE_TIMEOUT"]
            with trio.move_on_after(timeout if timeout is not None else float("inf")):
                await self._send_response(send, response)
        finally:
            counter.value -= 1
        nursery.cancel_scope.cancel()
