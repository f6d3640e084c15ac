"""The messages between texrender and a zygote (``zygote_shim.c`` holds the other side).

One message per SOCK_SEQPACKET packet, so none is ever split or merged. Requests: a job (its
number, its CPU seconds, how much of its log to return, the name of the work directory its
child makes, its job name and the variables its child sets, with three descriptors: the jobs'
directory, a memfd holding its source, an empty memfd for its results) and a kill (a child's
process group, done by the zygote because only it knows the child has not been reaped).
Replies: the zygote is ready, a job's child started (or could not be), a child exited (its
wait status and CPU, its own children's included).

A child that ends by exiting leaves its results in the results memfd (:func:`parse_results`):
the head of its log and its PDF, behind a header written last, so a header is the sign that
they are whole.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAX_REQUEST = 8192  # the shim's receive buffer: a longer job is run the usual way
_HEAD = struct.Struct("<c3xII")  # kind, job, cpu seconds (or pid for a kill)
_JOB_HEAD = struct.Struct("<c3xIII")  # kind, job, cpu seconds, most log bytes
_REPLY = struct.Struct("<c3xIiiqq")
REPLY_SIZE = _REPLY.size
_RESULTS = struct.Struct("<8sQQQ")  # "TXRDONE1", log bytes, PDF bytes, flags
RESULTS_HEAD = _RESULTS.size
_DONE = b"TXRDONE1"
_HAS_LOG, _HAS_PDF = 1, 2
_MAX_NAME = 127  # the shim's longest directory or job name


def job_request(
    job: int,
    cpu_seconds: int,
    variables: dict[str, str],
    *,
    directory: str,
    job_name: str,
    max_log_bytes: int,
) -> bytes:
    """The request for one job (sent with the descriptors of the jobs' directory, the source
    and the results): its child makes ``directory`` in the jobs' directory and typesets
    ``<job_name>.tex`` there.

    Raises:
        ValueError: a string holds NUL, a name holds ``=``, a directory or job name is not
            one plain path component, or the request is too long.
    """
    fields = [f"{name}={value}" for name, value in variables.items()]
    if any("=" in name or not name for name in variables) or any("\0" in f for f in fields):
        raise ValueError("a job's variables cannot be sent to a zygote")
    if not (_plain_name(directory) and _plain_name(job_name)):
        raise ValueError("a job's directory and name must be plain names")
    names = [directory, job_name, *fields]
    body = b"".join(f.encode() + b"\0" for f in names)
    message = _JOB_HEAD.pack(b"J", job, cpu_seconds, max_log_bytes) + body
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


def _plain_name(name: str) -> bool:
    return (
        0 < len(name.encode()) <= _MAX_NAME
        and "/" not in name
        and "\0" not in name
        and name not in (".", "..")
    )


@dataclass(frozen=True)
class Results:
    """What a job's child left in its results memfd: the head of its log (None: no log was
    written) and its PDF (None: none was written)."""

    log: bytes | None
    pdf: bytes | None


@dataclass(frozen=True)
class ResultsHead:
    """The header of whole results: how many bytes of log and of PDF follow it, and whether
    each was found."""

    log_bytes: int
    pdf_bytes: int
    has_log: bool
    has_pdf: bool


def parse_results_head(head: bytes, size: int, max_log_bytes: int) -> ResultsHead | None:
    """The header ``head`` of results in a memfd of ``size`` bytes; None when the results are
    not whole (no header: the child was killed or could not copy them) or do not add up."""
    if len(head) != RESULTS_HEAD:
        return None
    done, log_bytes, pdf_bytes, flags = _RESULTS.unpack(head)
    if done != _DONE or log_bytes > max_log_bytes or RESULTS_HEAD + log_bytes + pdf_bytes != size:
        return None
    return ResultsHead(log_bytes, pdf_bytes, bool(flags & _HAS_LOG), bool(flags & _HAS_PDF))
