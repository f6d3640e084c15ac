"""JSON Merge Patch (RFC 7396): an object says what to change, ``null`` removes a member.

Written here because the algorithm is the RFC's ten lines and the PyPI packages for it are
unmaintained. Recursion is bounded: request bodies nest at most 64 levels (checked when parsed).
"""

from __future__ import annotations

from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with ``patch`` applied (RFC 7396 section 2); neither argument is changed."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result
