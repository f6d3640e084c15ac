"""Who is asking: the API key a request sends as ``Authorization: Bearer``, checked before
every view except the open ones (health, readiness, metrics, the API description).

With auth off (allowed on loopback only, see :mod:`server.settings`) every request belongs to
one local owner. A key that checked out is remembered for a few seconds by the digest of the
whole key (:class:`server.store.keys.KeyMemory`), so a client sending one key per request costs one
database read every few seconds; a revoked key therefore stops working within that time. Keys
are never logged: only the owner is, on the access line.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from quart import current_app, request
from quart_trio import QuartTrio

from ..state import app_state
from ..store import KeyStore
from ..store.keys import KeyRefusal, KeyRefused
from ..store.sqlite import now
from .problems import RequestError
from .record import current_record

LOCAL_OWNER = "local"
REALM = "texrender"
# Blueprint endpoints anyone may reach: probes, scrapers and the API description.
OPEN_ENDPOINTS = frozenset(
    {"ops.healthz", "ops.readyz", "ops.metrics", "docs.openapi", "docs.page", "docs.asset"}
)
log = logging.getLogger("texrender.auth")


class Unauthorized(RequestError):
    status = 401
    type = "unauthorized"
    title = "A valid API key is needed"

    def __init__(self, detail: str, reason: KeyRefusal) -> None:
        super().__init__(detail)
        self.reason = reason

    def headers(self) -> dict[str, str]:
        # RFC 6750 3: no error code when no credentials came at all.
        if self.reason is KeyRefusal.MISSING:
            return {"WWW-Authenticate": f'Bearer realm="{REALM}"'}
        return {"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'}


_DETAILS = {
    KeyRefusal.MISSING: "send an API key as 'Authorization: Bearer <key>' (texrender keys create)",
    KeyRefusal.MALFORMED: "the Authorization header does not hold a texrender API key",
    KeyRefusal.UNKNOWN: "the API key is not known",
    KeyRefusal.REVOKED: "the API key has been revoked",
}


def bearer_token(header: str | None) -> str:
    """The credentials of ``Authorization: Bearer <token>`` (the scheme is case-insensitive).

    Raises:
        KeyRefused: no header, or not a Bearer one.
    """
    if header is None or not header.strip():
        raise KeyRefused(KeyRefusal.MISSING)
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise KeyRefused(KeyRefusal.MALFORMED)
    return token.strip()


async def authenticate() -> None:
    """Before each request: settle whose it is, or refuse it with 401.

    Raises:
        Unauthorized: auth is on and the request has no live key.
    """
    if request.url_rule is None or request.endpoint in OPEN_ENDPOINTS:
        return  # no route (a 404 or 405 follows), or a route open to all
    state = app_state()
    record = current_record()
    if state.settings.auth == "off":
        record.owner = LOCAL_OWNER
        return
    try:
        token = bearer_token(request.headers.get("Authorization"))
        key = await state.keys.owner_key(state.store, token)
    except KeyRefused as refused:
        state.metrics.auth_failures.labels(refused.reason.value).inc()
        raise Unauthorized(_DETAILS[refused.reason], refused.reason) from None
    record.owner = key.owner
    moment = now()
    if state.keys.due_for_touch(key, moment):
        cast(QuartTrio, current_app).nursery.start_soon(_touch, state.store, key.key_id, moment)


async def _touch(keys: KeyStore, key_id: str, moment: datetime) -> None:
    try:
        await keys.touch_key(key_id, moment)
    except Exception:
        log.warning("could not note the last use of key %s", key_id, exc_info=True)
