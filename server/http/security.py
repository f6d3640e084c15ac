"""Headers that keep browsers from misreading what the server sends.

Every response says ``X-Content-Type-Options: nosniff`` (a JSON body or a PDF is never run as
a script or shown as a page). HTML pages carry a Content Security Policy that allows only this
server's own files, no inline script and no framing (``frame-ancestors 'none'``).
"""

from __future__ import annotations

from quart import Response

# Swagger UI sets styles from script and shows a response's PNG through a blob: URL.
HTML_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


async def security_headers(response: Response) -> Response:
    """After each request: ``nosniff`` everywhere, a strict policy on HTML."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = HTML_POLICY
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
