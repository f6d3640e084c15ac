"""Headers that keep browsers from misreading what the server sends.

Every response says ``X-Content-Type-Options: nosniff`` (a JSON body or a PDF is never run as
a script or shown as a page). HTML pages carry a Content Security Policy that allows only this
server's own files, no inline script and no framing (``frame-ancestors 'none'``). A view may
set a stricter policy of its own (the playground does), which is then kept.
"""

from __future__ import annotations

from quart import Response

_SHARED = (
    "default-src 'none'",
    "script-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
# Swagger UI sets styles from script and shows a response's PNG through a blob: URL.
HTML_POLICY = "; ".join(
    (*_SHARED, "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:")
)
# The playground's own page: no inline style either; its pictures are fetched with the
# caller's key and shown through blob: URLs.
STRICT_HTML_POLICY = "; ".join((*_SHARED, "style-src 'self'", "img-src 'self' blob:"))
POLICY_HEADER = "Content-Security-Policy"


async def security_headers(response: Response) -> Response:
    """After each request: ``nosniff`` everywhere, a strict policy on HTML."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        if POLICY_HEADER not in response.headers:
            response.headers[POLICY_HEADER] = HTML_POLICY
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
