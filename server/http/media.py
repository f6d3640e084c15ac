"""The media types the server reads and writes, each spelled once."""

from __future__ import annotations

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"  # RFC 9457 problem details
MERGE_PATCH = "application/merge-patch+json"  # RFC 7396
PDF = "application/pdf"
PNG = "image/png"


def is_json(mimetype: str) -> bool:
    """Whether a body of this media type is JSON: ``application/json`` or any ``+json``."""
    return mimetype == JSON or mimetype.endswith("+json")
