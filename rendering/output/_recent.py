"""What earlier requests found out, kept for the next identical one: a bounded map, least
recently used out first."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


def body_digest(scope: str, body: bytes) -> str:
    """A digest of request bytes as sent; ``scope`` names everything else that decides what
    reading them gives (template version, strict or not, engine)."""
    digest = hashlib.sha256(scope.encode())
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


class Recent(Generic[T]):
    """At most ``max_entries`` values by key; the least recently used goes first."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[str, T] = OrderedDict()

    def get(self, key: str) -> T | None:
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def put(self, key: str, value: T) -> None:
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self.max_entries:
            self._values.popitem(last=False)
