"""Run an image as Kubernetes would, with buildah: its own entrypoint and command, a read-only
root file system, ``/tmp`` on a tmpfs and the data folder on a volume.

``buildah run`` has no ``--read-only``: every top-level folder of the container's root is bound
read-only onto itself instead (the root folder itself and ``/run`` stay root's, which the
image's user cannot write anyway). ``--isolation chroot`` shares the host's network and process
table, so a server in it is reached on loopback and its processes are seen (and signalled) from
here: ``pid1`` is the image's entrypoint, the process Kubernetes would send SIGTERM to.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Bound read-only (those that exist); /tmp, /proc, /sys, /dev and /run are the runtime's.
ROOT_FOLDERS = ("etc", "usr", "opt", "var", "root", "home", "srv", "boot", "media", "mnt")
DATA_DIR = "/var/lib/texrender"


@dataclass
class Container:
    """A working container of ``image``: ``run`` a command in it, ``start`` its own."""

    image: str
    data: Path  # the host folder mounted at DATA_DIR, owned by the image's user
    binds: Mapping[str, str] = field(default_factory=dict)  # container path -> host path (ro)
    name: str = ""
    mounted: str = ""

    def __enter__(self) -> Container:
        self.name = buildah("from", "--pull=never", self.image)
        # buildah 1.28 mounts the image's VOLUMEs itself, in an order of its own on each run,
        # sometimes over this run's own mounts at the same paths (seen: the data folder's
        # bind hidden by a fresh volume on about half the runs). The working container forgets
        # them; the runs below mount every one of them (DATA_DIR and /tmp) explicitly.
        for volume in image_config(self.image).get("Volumes") or {}:
            buildah("config", "--volume", f"{volume}-", self.name)
        self.mounted = buildah("mount", self.name)
        # Mount points for the extra binds, made in this container's own layer (the image is
        # not changed): under a read-only bind they could not be made at run time.
        for inside in self.binds:
            (Path(self.mounted) / inside.lstrip("/")).mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["buildah", "rm", self.name], capture_output=True, check=False)

    def argv(self, command: list[str], env: Mapping[str, str]) -> list[str]:
        argv = ["buildah", "run", "--isolation", "chroot"]
        for folder in ROOT_FOLDERS:
            if (Path(self.mounted) / folder).is_dir() and not (
                Path(self.mounted) / folder
            ).is_symlink():
                argv += [
                    "--mount",
                    f"type=bind,source={self.mounted}/{folder},destination=/{folder},ro=true",
                ]
        argv += ["--mount", f"type=bind,source={self.data},destination={DATA_DIR},rw=true"]
        argv += ["--mount", "type=tmpfs,destination=/tmp"]
        for inside, outside in self.binds.items():
            argv += ["--mount", f"type=bind,source={outside},destination={inside},ro=true"]
        for name, value in env.items():
            argv += ["--env", f"{name}={value}"]
        return [*argv, self.name, "--", *command]

    def run(self, command: list[str], env: Mapping[str, str] | None = None) -> str:
        """Run ``command`` to its end; what it printed on stdout."""
        done = subprocess.run(
            self.argv(command, env or {}), capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    @contextlib.contextmanager
    def start(self, env: Mapping[str, str], log: Path) -> Iterator[Started]:
        """The image's entrypoint and command, as the image says, with ``env`` added."""
        config = image_config(self.image)
        command = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
        with log.open("wb") as out:
            process = subprocess.Popen(self.argv(command, env), stdout=out, stderr=out)
        started = Started(process, command, log)
        try:
            yield started
        finally:
            # The container's processes are listed before buildah is killed: once it is gone,
            # its helper and the server below it are init's, out of reach of descendants(),
            # and a server left running keeps its zygotes, processes of the image's user, whose
            # count RLIMIT_NPROC bounds for every later container of that user.
            left = descendants(process.pid)
            if process.poll() is None:
                process.kill()
                process.wait(timeout=60)
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)


@dataclass
class Started:
    process: subprocess.Popen[bytes]
    command: list[str]
    log: Path

    def pid1(self) -> int | None:
        """The image's entrypoint, once it runs (the container's first process)."""
        for pid in descendants(self.process.pid):
            if cmdline(pid)[: len(self.command)] == self.command:
                return pid
        return None

    def processes(self, name: str) -> list[int]:
        """The container's processes whose command name is ``name``."""
        return [pid for pid in descendants(self.process.pid) if command_name(pid) == name]


def image_config(image: str) -> dict[str, Any]:
    """The OCI config of an image: Entrypoint, Cmd, User, Env, Volumes..."""
    found: dict[str, Any] = json.loads(buildah("inspect", "--type", "image", image))["OCIv1"][
        "config"
    ]
    return found


def buildah(*args: str) -> str:
    done = subprocess.run(["buildah", *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def descendants(root: int) -> list[int]:
    """Every living process below ``root``, parents before children."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parent = int(stat[stat.rindex(")") + 2 :].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(0), []):
            found.append(child)
            pending.append(child)
    return found


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
