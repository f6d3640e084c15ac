"""API keys: made once, shown once, kept only as a hash.

A key reads ``trk_<key id>_<secret>``. The key id (16 hex digits) is public and finds the stored
record; the secret (256 random bits) is never stored, only its SHA-256, and the hash of what a
client sent is compared with :func:`hmac.compare_digest`, in constant time. A key this random
needs no slow password hash: nobody can guess one by trying hashes.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import trio

from . import ApiKey, KeyStore
from .sqlite import now

PREFIX = "trk_"
_KEY = re.compile(r"^trk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
KEY_MEMORY_S = 5.0
KEY_MEMORY_ENTRIES = 1024
TOUCH_EVERY = timedelta(minutes=1)
# Compared against when the key id is unknown, so that a miss takes as long as a wrong secret.
_NO_HASH = hashlib.sha256(b"no such key").digest()


class InvalidKeyName(ValueError):
    """A key or owner name that is not 1-64 letters, digits and ``._@-``."""


@dataclass(frozen=True)
class NewKey:
    """A key just made: the record to store, and the key itself (shown once, then forgotten)."""

    record: ApiKey
    token: str


def check_name(name: str, what: str = "key name") -> str:
    if not _NAME.fullmatch(name):  # not match: "$" would let a final "\n" through
        raise InvalidKeyName(
            f"{what} {name!r} must be 1 to 64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def make_key(name: str, owner: str | None = None) -> NewKey:
    """A fresh random key for ``owner`` (the key's own name when not given).

    Raises:
        InvalidKeyName: the name or owner is not usable.
    """
    check_name(name)
    owner = check_name(owner, "owner") if owner is not None else name
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    record = ApiKey(key_id=key_id, name=name, owner=owner, secret_hash=_hash(secret), created=now())
    return NewKey(record, f"{PREFIX}{key_id}_{secret}")


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("ascii")).digest()


def parse_key(token: str) -> tuple[str, str] | None:
    """``(key id, secret)`` of a well-formed key, None for anything else."""
    match = _KEY.match(token)
    return (match.group(1), match.group(2)) if match else None


class KeyRefusal(enum.Enum):
    """Why a request's key was not taken (the label of the failure counter)."""

    MISSING = "missing"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"  # no such key id, or the secret does not match
    REVOKED = "revoked"


class KeyRefused(Exception):
    def __init__(self, reason: KeyRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


async def verify_key(keys: KeyStore, token: str) -> ApiKey:
    """The live key ``token`` is.

    Raises:
        KeyRefused: malformed, unknown, a wrong secret, or revoked.
    """
    parsed = parse_key(token)
    if parsed is None:
        raise KeyRefused(KeyRefusal.MALFORMED)
    key_id, secret = parsed
    record = await keys.find_key(key_id)
    expected = record.secret_hash if record is not None else _NO_HASH
    matches = hmac.compare_digest(_hash(secret), expected)
    if record is None or not matches:
        raise KeyRefused(KeyRefusal.UNKNOWN)
    if record.revoked is not None:
        raise KeyRefused(KeyRefusal.REVOKED)
    return record


class KeyMemory:
    """Keys checked recently, by the SHA-256 of the whole key (the key itself is not kept)."""

    def __init__(self, seconds: float = KEY_MEMORY_S, entries: int = KEY_MEMORY_ENTRIES) -> None:
        self.seconds = seconds
        self.entries = entries
        self._known: OrderedDict[bytes, tuple[float, ApiKey]] = OrderedDict()
        self._touched: dict[str, datetime] = {}

    async def owner_key(self, keys: KeyStore, token: str) -> ApiKey:
        """The live key ``token`` is, from memory when it was checked moments ago.

        Raises:
            KeyRefused: see :func:`server.store.keys.verify_key`.
        """
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        remembered = self._known.get(digest)
        if remembered is not None and trio.current_time() - remembered[0] < self.seconds:
            return remembered[1]
        key = await verify_key(keys, token)
        self._known[digest] = (trio.current_time(), key)
        self._known.move_to_end(digest)
        while len(self._known) > self.entries:
            self._known.popitem(last=False)
        return key

    def remembered(self, token: str) -> ApiKey | None:
        """The live key ``token`` is if it was checked moments ago, else None (no database
        read: the caller that cannot wait for one goes the long way instead)."""
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        remembered = self._known.get(digest)
        if remembered is not None and trio.current_time() - remembered[0] < self.seconds:
            return remembered[1]
        return None

    def due_for_touch(self, key: ApiKey, moment: datetime) -> bool:
        """Whether to write down that ``key`` was used (at most once a minute per key)."""
        last = self._touched.get(key.key_id)
        if last is not None and moment - last < TOUCH_EVERY:
            return False
        self._touched[key.key_id] = moment
        return True
