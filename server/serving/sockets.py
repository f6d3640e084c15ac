"""The listening sockets, bound before the app starts, one address at a time, so that an
address in use or not allowed is one line naming it (not a traceback after the templates have
loaded)."""

from __future__ import annotations

import copy

from hypercorn.config import Config, Sockets

from ..startup import StartupFailed, reason, setting_hint


def bind_sockets(config: Config, *, listen: bool) -> Sockets:
    """Sockets for each of ``config.bind``, listening if ``listen`` (a single process; the
    supervisor of ``--workers`` leaves that to each worker).

    Raises:
        StartupFailed: an address is in use, not this machine's, or not allowed to this user.
    """
    bound = Sockets([], [], [])
    try:
        for address in config.bind:
            one = copy.copy(config)
            one.bind = [address]
            try:
                made = one.create_sockets()
            except OSError as exc:
                raise StartupFailed(
                    f"cannot listen on {address}: {reason(exc)} ({setting_hint('bind')})"
                ) from None
            bound.insecure_sockets.extend(made.insecure_sockets)
            bound.secure_sockets.extend(made.secure_sockets)
        if listen:
            for sock in [*bound.secure_sockets, *bound.insecure_sockets]:
                sock.listen(config.backlog)
    except BaseException:
        close_sockets(bound)
        raise
    return bound


def close_sockets(sockets: Sockets) -> None:
    for sock in [*sockets.insecure_sockets, *sockets.secure_sockets, *sockets.quic_sockets]:
        sock.close()
