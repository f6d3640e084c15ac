"""Who is asking: the API key a request sends as ``Authorization: Bearer``, checked before
every view except the open ones (health, readiness, metrics, the API description).

With auth off (allowed on loopback only, see :mod:`server.settings`) every request belongs to
one local owner, whatever key it sends: start-up says so, and so does a ``Texrender-Warning``
header on the answer to a request that sent one, since a client that thinks its key is checked
would otherwise learn it only when the documents it stored vanish under auth on.

A key that checked out is remembered for a few seconds by the digest of the whole key
(:class:`server.store.keys.KeyMemory`), so a client sending one key per request costs one
database read every few seconds; a revoked key therefore stops working within that time. Keys
are never logged: only the owner is, on the access line.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from quart import Response, after_this_request, current_app, request
from quart_trio import QuartTrio
from werkzeug.wrappers import Response as WerkzeugResponse

from ..settings import Settings
from ..state import app_state
from ..store import KeyStore
from ..store.keys import KeyRefusal, KeyRefused
from ..store.sqlite import now
from .problems import RequestError
from .record import current_record

AnyResponse = Response | WerkzeugResponse
LOCAL_OWNER = "local"
WARNING_HEADER = "Texrender-Warning"
IGNORED_KEY = (
    "auth is off; the Authorization header was ignored and this request acted as owner "
    f'"{LOCAL_OWNER}"'
)
REALM = "texrender"
# Blueprint endpoints anyone may reach: probes, scrapers, the API description and the
# playground's page (whose own requests are authorized like any other client's).
OPEN_ENDPOINTS = frozenset(
    {
        "ops.healthz",
        "ops.readyz",
        "ops.metrics",
        "docs.openapi",
        "docs.page",
        "docs.asset",
        "playground.page",
        "playground.asset",
    }
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
        if "Authorization" in request.headers:
            after_this_request(_warn_key_ignored)
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


async def _warn_key_ignored(response: AnyResponse) -> AnyResponse:
    response.headers[WARNING_HEADER] = IGNORED_KEY
    return response


def announce_auth(settings: Settings) -> None:
    """At start-up, with auth off: say what that means for keys and for stored documents."""
    if settings.auth == "off":
        log.warning(
            "auth is off: every request acts as owner %r and an Authorization header is "
            "ignored (answered with a %s header); documents stored now belong to %r, and "
            "with auth on they are reached only after they are moved to a key's owner (see "
            "the README: 'Moving documents to an owner')",
            LOCAL_OWNER,
            WARNING_HEADER,
            LOCAL_OWNER,
        )


async def _touch(keys: KeyStore, key_id: str, moment: datetime) -> None:
    try:
        await keys.touch_key(key_id, moment)
    except Exception:
        log.warning("could not note the last use of key %s", key_id, exc_info=True)
