"""The messages between texrender and a zygote (``zygote_shim.c`` holds the other side).

One message per SOCK_SEQPACKET packet, so none is ever split or merged. Requests: a job (its
number, its CPU seconds and the variables its child sets, with a descriptor of its work
directory) and a kill (a
child's process group, done by the zygote because only it knows the child has not been reaped).
Replies: the zygote is ready, a job's child started (or could not be), a child exited (its
wait status and CPU, its own children's included).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAX_REQUEST = 8192  # the shim's receive buffer: a longer job is run the usual way
_HEAD = struct.Struct("<c3xII")  # kind, job, cpu seconds (or pid for a kill)
_REPLY = struct.Struct("<c3xIiiqq")
REPLY_SIZE = _REPLY.size


def job_request(job: int, cpu_seconds: int, variables: dict[str, str]) -> bytes:
    """The request for one job (sent with a descriptor of its work directory).

    Raises:
        ValueError: a string holds NUL, a name holds ``=``, or the request is too long.
    """
    fields = [f"{name}={value}" for name, value in variables.items()]
    if any("=" in name or not name for name in variables) or any("\0" in f for f in fields):
        raise ValueError("a job's variables cannot be sent to a zygote")
    body = b"".join(f.encode() + b"\0" for f in fields)
    message = _HEAD.pack(b"J", job, cpu_seconds) + body
    if len(message) > MAX_REQUEST:
        raise ValueError("a job's request is longer than a zygote reads")
    return message


def kill_request(pid: int) -> bytes:
    """Ask the zygote to SIGKILL the process group of its child ``pid``."""
    return _HEAD.pack(b"K", 0, pid)


@dataclass(frozen=True)
class Reply:
    """``kind``: ``R`` ready (``pid`` the zygote's), ``S`` started (``pid`` the child's, or
    minus an errno when the fork failed), ``X`` exited (``status`` as from ``waitpid``)."""

    kind: str
    job: int
    pid: int
    status: int = 0
    cpu_seconds: float = 0.0


def parse_reply(packet: bytes) -> Reply:
    """One reply packet.

    Raises:
        ValueError: not a reply of the shim's.
    """
    if len(packet) != REPLY_SIZE:
        raise ValueError(f"a zygote's reply has {len(packet)} bytes, not {REPLY_SIZE}")
    kind, job, pid, status, user_us, system_us = _REPLY.unpack(packet)
    if kind not in (b"R", b"S", b"X"):
        raise ValueError(f"unknown reply kind {kind!r}")
    return Reply(kind.decode(), job, pid, status, (user_us + system_us) / 1e6)
