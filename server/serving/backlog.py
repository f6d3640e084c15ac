"""A listener's last moments: no new connection let in, and none already let in reset.

The kernel completes a client's handshake before the server accepts the connection, and the
client sends its request at once. Closing a listening socket resets every connection still
waiting in its accept queue: requests already sent, answered with a reset. So before the
listener closes, a filter that drops every packet is put on it (new clients' handshakes go
unanswered, and once the socket is closed they are refused: nothing was sent), and Hypercorn
goes on accepting until the queue is empty.

Linux only (a socket filter, and ``TCP_INFO`` for the queue's length); elsewhere nothing is
filtered and the queue is taken as empty, as before.
"""

from __future__ import annotations

import ctypes
import logging
import socket
import struct
import sys

import trio
from hypercorn.config import Sockets

log = logging.getLogger("texrender.serve")
SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)
# How often the accept queue is looked at, and for how long at most.
POLL_S = 0.01
EMPTY_WAIT_S = 1.0


class _Instruction(ctypes.Structure):
    """``struct sock_filter``: one classic BPF instruction."""

    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _Program(ctypes.Structure):
    """``struct sock_fprog``: the instructions' count and address."""

    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_Instruction))]


# "return 0": keep no byte of any packet. The kernel copies the program when it is attached.
_DROP_ALL = (_Instruction * 1)(_Instruction(0x06, 0, 0, 0))  # BPF_RET | BPF_K
_DROP_PROGRAM = _Program(1, _DROP_ALL)


def _tcp_listeners(sockets: Sockets) -> list[socket.socket]:
    found = [*sockets.insecure_sockets, *sockets.secure_sockets]
    return [s for s in found if s.family in (socket.AF_INET, socket.AF_INET6) and s.fileno() >= 0]


def let_no_one_in(sockets: Sockets) -> None:
    """Drop every new handshake on these listening sockets (every process sharing them too)."""
    if sys.platform != "linux":
        return
    program = ctypes.string_at(ctypes.addressof(_DROP_PROGRAM), ctypes.sizeof(_DROP_PROGRAM))
    for sock in _tcp_listeners(sockets):
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, program)
        except OSError as exc:  # not fatal: the drain goes on as it did without it
            log.warning("drain: cannot filter new connections on %s: %s", sock.getsockname(), exc)


def waiting_connections(sock: socket.socket) -> int:
    """Connections in the accept queue of a listening TCP socket (``tcpi_unacked`` of its
    ``TCP_INFO``, which Linux sets to the queue's length for a listener)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    unacked: int = struct.unpack_from("=8x4xIIII", info)[3]
    return unacked


async def until_accepted(sockets: Sockets) -> None:
    """Return once no connection waits in any of these listeners' accept queues (at most
    :data:`EMPTY_WAIT_S`: one accepted is answered; with its handshake dropped, none joins)."""
    if sys.platform != "linux":
        return
    listeners = _tcp_listeners(sockets)
    deadline = trio.current_time() + EMPTY_WAIT_S
    while trio.current_time() < deadline:
        if all(waiting_connections(sock) == 0 for sock in listeners):
            return
        await trio.sleep(POLL_S)  # the kernel tells no one when its queue empties
