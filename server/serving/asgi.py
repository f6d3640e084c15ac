"""Where :class:`ResponseSafeHTTPConnection` was: it is the app's HTTP connection, now in
:mod:`server.http.asgi`. Kept only until ``server/app.py`` imports it from there; the app
importing anything from ``server.serving`` makes an import circle (serving runs the app).
"""

from __future__ import annotations

from ..http.asgi import ResponseSafeHTTPConnection

__all__ = ["ResponseSafeHTTPConnection"]
