"""Which Debian mirror this machine is configured for, read from its apt sources.

A base made with debootstrap takes its packages from the mirror the machine already uses (a
machine with no registry may reach only that one), and the image keeps the same mirror for the
packages the Containerfile installs. Both source formats are read: one-line (``sources.list``,
``*.list``) and deb822 (``*.sources``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SECURITY = "http://deb.debian.org/debian-security"


@dataclass(frozen=True)
class Source:
    """One ``deb`` source: where, and which suites."""

    uri: str
    suites: tuple[str, ...]


@dataclass(frozen=True)
class Mirrors:
    """The Debian archive and its security archive."""

    main: str
    security: str

    def deb822(self, suite: str) -> str:
        """apt sources for ``suite``, its updates and its security fixes (what the official
        Debian images carry), in deb822 form."""
        key = "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
        return (
            f"Types: deb\nURIs: {self.main}\nSuites: {suite} {suite}-updates\n"
            f"Components: main\n{key}\n\n"
            f"Types: deb\nURIs: {self.security}\nSuites: {suite}-security\n"
            f"Components: main\n{key}\n"
        )


def one_line_sources(text: str) -> Iterator[Source]:
    """The ``deb`` lines of a ``sources.list``: ``deb [options] URI SUITE COMPONENT...``."""
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2:
            yield Source(words[0].rstrip("/"), (words[1],))


def deb822_sources(text: str) -> Iterator[Source]:
    """The enabled ``deb`` stanzas of a ``*.sources`` file."""
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        name = ""
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0].isspace() and name:  # a continued value
                fields[name] += " " + line.strip()
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            fields[name] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(fields.get("suites", "").split())
        for uri in fields.get("uris", "").split():
            yield Source(uri.rstrip("/"), suites)


def read_sources(etc_apt: Path = Path("/etc/apt")) -> list[Source]:
    """Every ``deb`` source configured under ``etc_apt``, in apt's order."""
    found: list[Source] = []
    main = etc_apt / "sources.list"
    if main.is_file():
        found += one_line_sources(main.read_text(errors="replace"))
    parts = etc_apt / "sources.list.d"
    for path in sorted(parts.glob("*")) if parts.is_dir() else []:
        if path.suffix == ".list":
            found += one_line_sources(path.read_text(errors="replace"))
        elif path.suffix == ".sources":
            found += deb822_sources(path.read_text(errors="replace"))
    return found


def debian_mirrors(sources: Iterable[Source]) -> Mirrors:
    """The Debian archive and security archive among ``sources`` (an archive is known by the
    last part of its URI, ``debian`` or ``debian-security``); Debian's own where none is."""
    main = security = None
    for source in sources:
        last = source.uri.rstrip("/").rsplit("/", 1)[-1]
        if security is None and last == "debian-security":
            security = source.uri
        elif main is None and last == "debian":
            main = source.uri
    return Mirrors(main or DEFAULT_MIRROR, security or DEFAULT_SECURITY)
