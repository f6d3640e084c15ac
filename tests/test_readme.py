"""Every command the README shows is run, as written, against a live ``texrender serve``.

The fenced ``sh``, ``bash`` and ``console`` blocks of README.md are run in order, one command at
a time (no shell: each is split with :mod:`shlex`), in a temporary folder that holds
``templates`` and ``.venv`` as links to the project's, so ``.venv/bin/texrender`` is the
project's own. A block after ``<!-- not run: REASON -->`` is skipped (it needs root or the
network, or runs for minutes); one after ``<!-- run with TEXRENDER_AUTH=on -->`` talks to a
second server that needs API keys. What the README may use, and nothing more:

- ``NAME=$(command)`` keeps the command's output as ``$NAME`` (``NAME=value``: the value);
  later commands may use it.
- ``127.0.0.1:8000`` is the live server's address (its port is free, not 8000).
- ``resume.json`` is "your existing resume", one of the test fixtures.

A command fails the test when it exits non-zero; curl is given ``--fail-with-body`` so that an
HTTP error counts, and a PDF or PNG it writes must be one (not headers and a body).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TESTS_DIR, server_process

pytestmark = pytest.mark.tex

ROOT = TESTS_DIR.parent
README = ROOT / "README.md"
TEXRENDER = ROOT / ".venv" / "bin" / "texrender"
README_ADDRESS = "127.0.0.1:8000"
RUN_LANGUAGES = {"sh", "bash", "console"}
_FENCE = re.compile(r"^```(\S*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*(not run:.*?|run with [A-Z_]+=\S+)\s*-->$")
_CAPTURE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=\$\((.*)\)$")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Block:
    line: int  # where it starts in the README, for messages
    language: str
    text: str
    directive: str  # "", "not run: ...", or "run with NAME=VALUE"


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block, with the directive comment just before it (blank lines allowed)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    directive = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        found = _DIRECTIVE.match(line.strip())
        opening = _FENCE.match(line)
        if found:
            directive = found.group(1)
        elif opening:
            start = index
            index += 1
            body: list[str] = []
            while index < len(lines) and not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            blocks.append(Block(start + 1, opening.group(1), "\n".join(body), directive))
            directive = ""
        elif line.strip():
            directive = ""
        index += 1
    return blocks


def commands(block: Block) -> list[str]:
    """The block's commands: continued lines joined, ``console`` prompts taken, output and
    comment lines left out, trailing comments cut."""
    joined: list[str] = []
    pending = ""
    for line in block.text.splitlines():
        if block.language == "console" and not pending:
            if not line.startswith("$ "):
                continue  # output
            line = line[2:]
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    cut = [strip_comment(line).strip() for line in joined]
    return [line for line in cut if line]


def strip_comment(line: str) -> str:
    """The line without its comment: a ``#`` outside quotes at the start of a word."""
    quote = ""
    for position, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position]
    return line


@dataclass
class Session:
    """What the README's commands share: a folder, the variables they set, the servers."""

    folder: Path
    env: dict[str, str]
    variables: dict[str, str]
    servers: dict[str, str]  # directive ("" for the default) -> "127.0.0.1:PORT"

    def run(self, command: str, directive: str) -> str:
        """Run one README command; its standard output. Fails the test if it fails."""
        assigned = _ASSIGN.match(command)
        if assigned:
            (value,) = shlex.split(assigned.group(2)) or [""]
            self.variables[assigned.group(1)] = self.expand(value)
            return ""
        captured = _CAPTURE.match(command)
        argv = shlex.split(captured.group(2) if captured else command)
        address = self.servers[directive if directive.startswith("run with") else ""]
        argv = [self.expand(arg.replace(README_ADDRESS, address)) for arg in argv]
        if Path(argv[0]).name == "curl":
            argv.insert(1, "--fail-with-body")
        try:
            result = subprocess.run(
                argv, cwd=self.folder, env=self.env, capture_output=True, timeout=120, check=False
            )
        except FileNotFoundError:
            pytest.fail(f"README command names no program there is: {command}")
        output = result.stdout.decode("utf-8", "replace")
        assert result.returncode == 0, (
            f"README command failed (exit {result.returncode}): {command}\n"
            f"stdout: {output[-2000:]}\nstderr: {result.stderr.decode(errors='replace')[-3000:]}"
        )
        self.check_written(argv, command)
        if captured:
            self.variables[captured.group(1)] = output.strip()
        return output

    def expand(self, argument: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            assert name in self.variables, f"${name} is used before the README sets it"
            return self.variables[name]

        return _VARIABLE.sub(value, argument)

    def check_written(self, argv: list[str], command: str) -> None:
        """A PDF or PNG a command wrote (``-o FILE``) is one, whole."""
        for flag, target in itertools.pairwise(argv):
            if flag not in ("-o", "--output") or target in ("-", "/dev/null"):
                continue
            written = (self.folder / target).read_bytes()
            magic = {".pdf": b"%PDF-", ".png": b"\x89PNG"}.get(Path(target).suffix)
            if magic is not None:
                assert written.startswith(magic), (
                    f"{target} is not a {Path(target).suffix}: {command}"
                )


@contextlib.contextmanager
def live_server(folder: Path, env: dict[str, str]) -> Iterator[str]:
    """``texrender serve`` on a free loopback port, as ``make run`` starts it, until the end;
    its address once it is ready (formats settled: ``/readyz`` answers 200)."""
    argv = [str(TEXRENDER), "serve", "--bind", "127.0.0.1:0"]
    with server_process(argv, env=env, cwd=folder, graceful=True) as server:
        deadline = time.monotonic() + 60
        while httpx.get(f"{server.url}/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the server never became ready"
            time.sleep(0.1)
        yield server.url.removeprefix("http://")


def test_the_readme_reads_its_blocks_and_their_directives() -> None:
    text = "\n".join(
        [
            "<!-- not run: needs root -->",
            "```sh",
            "make run",
            "```",
            "<!-- run with TEXRENDER_AUTH=on -->",
            "",
            "```console",
            "$ curl -H 'a: #1' x \\",
            "    http://127.0.0.1:8000/ # comment",
            "output",
            "```",
            "```sh",
            "# only a comment",
            "KEY=$(texrender keys create k)  # the key",
            "```",
        ]
    )
    first, second, third = readme_blocks(text)
    assert first.directive == "not run: needs root"
    assert second.directive == "run with TEXRENDER_AUTH=on"
    assert commands(second) == ["curl -H 'a: #1' x      http://127.0.0.1:8000/"]
    assert third.directive == ""
    assert commands(third) == ["KEY=$(texrender keys create k)"]


def test_every_readme_command_runs_as_written(tmp_path: Path) -> None:
    blocks = [
        b for b in readme_blocks(README.read_text(encoding="utf-8")) if b.language in RUN_LANGUAGES
    ]
    skipped = [b for b in blocks if b.directive.startswith("not run")]
    assert all(len(b.directive) > len("not run: ") + 10 for b in skipped), "say why it is not run"
    assert len(skipped) <= 4, "few blocks may be left out"
    folder = tmp_path / "reader"
    folder.mkdir()
    for shared in ("templates", ".venv"):
        (folder / shared).symlink_to(ROOT / shared)
    shutil.copy(TESTS_DIR / "fixtures" / "resumes" / "legacy-keys.json", folder / "resume.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXRENDER_")}
    env |= {"TEXRENDER_DATA_DIR": str(tmp_path / "data"), "TEXRENDER_AUTH": "off"}
    needed = {b.directive for b in blocks if b.directive.startswith("run with")}
    with contextlib.ExitStack() as stack:
        servers = {"": stack.enter_context(live_server(folder, env))}
        for directive in needed:
            name, _, value = directive.removeprefix("run with ").partition("=")
            servers[directive] = stack.enter_context(live_server(folder, {**env, name: value}))
        session = Session(folder, env, {}, servers)
        ran = 0
        for block in blocks:
            if block.directive.startswith("not run"):
                continue
            for command in commands(block):
                session.run(command, block.directive)
                ran += 1
    assert ran >= 20, "the README shows fewer commands than it used to"
