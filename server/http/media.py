"""The media types the server reads and writes, each spelled once.

A render's own (the PDF, a page as PNG) are the pipeline's, which says what it made.
"""

from __future__ import annotations

from rendering import PDF, PNG

__all__ = ["JSON", "MERGE_PATCH", "PDF", "PNG", "PROBLEM_JSON", "is_json"]

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"  # RFC 9457 problem details
MERGE_PATCH = "application/merge-patch+json"  # RFC 7396


def is_json(mimetype: str) -> bool:
    """Whether a body of this media type is JSON: ``application/json`` or any ``+json``."""
    return mimetype == JSON or mimetype.endswith("+json")
