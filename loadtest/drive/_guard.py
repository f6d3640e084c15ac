"""The loopback guard: a load test is an attack on whatever it points at, so by default it may
only point at this machine (127.0.0.0/8, ::1, ``localhost``).

The check resolves the host and looks at every address it resolves to, before any connection
is made; ``--allow-remote`` skips it.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import trio


def is_loopback_address(address: str) -> bool:
    """Whether an IP address (v4, v6, or v4-mapped v6) is on the loopback network."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def target_host(url: str) -> tuple[str, int]:
    """Host and port of an ``http(s)://`` URL.

    Raises:
        ValueError: not an http(s) URL with a host.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"not an http:// or https:// URL: {url!r}")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


async def refuse_remote(url: str, *, allow_remote: bool = False) -> str | None:
    """``None`` when ``url`` may be load-tested, otherwise the reason it may not.

    Every address the host resolves to must be loopback: a name that resolves to one loopback
    and one public address is refused.
    """
    try:
        host, port = target_host(url)
    except ValueError as exc:
        return str(exc)
    if allow_remote:
        return None
    try:
        infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve {host!r}: {exc}"
    addresses = sorted({str(info[4][0]) for info in infos})
    remote = [a for a in addresses if not is_loopback_address(a)]
    if not addresses or remote:
        shown = ", ".join(remote) or "nothing"
        return (
            f"refusing to load-test {host} ({shown} is not loopback); "
            "pass --allow-remote if you own that deployment"
        )
    return None
