"""The real pdflatex runner: sandbox, timeout, cancellation, clean-up."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
import trio

from rendering import runner
from rendering.errors import EngineUnavailable, TexError, TexTimeout
from rendering.runner import (
    PdfLatexEngine,
    SandboxLimits,
    build_argv,
    build_env,
    resolve_user,
    sandbox_prefix,
)
from tests.conftest import pdf_text, tex_processes

pytestmark = pytest.mark.tex

HELLO = r"""\documentclass{article}
\begin{document}
Hello from TeX.
\end{document}
"""
SPIN = r"""\documentclass{article}
\begin{document}
\def\spin{\spin}\spin
\end{document}
"""


@pytest.fixture
def engine(work_dir: Path) -> PdfLatexEngine:
    return PdfLatexEngine(work_root=work_dir)


def test_argv_has_the_sandbox_flags() -> None:
    argv = build_argv("pdflatex")
    assert argv[0] == "pdflatex"
    assert {"-no-shell-escape", "-interaction=batchmode", "-halt-on-error"} <= set(argv)


def test_environment_is_paranoid_and_minimal(tmp_path: Path) -> None:
    env = build_env(tmp_path)
    assert env["openin_any"] == "p"
    assert env["openout_any"] == "p"
    assert env["shell_escape"] == "f"
    assert not any(name.endswith(("TOKEN", "SECRET", "PASSWORD")) for name in env)


async def test_compiles_a_document(engine: PdfLatexEngine, no_leftovers: None) -> None:
    result = await engine.compile(HELLO, timeout_s=10)
    assert result.pdf.startswith(b"%PDF")
    assert "Hello from TeX." in pdf_text(result.pdf)
    assert result.tex_seconds > 0


async def test_tex_error_is_parsed(engine: PdfLatexEngine, no_leftovers: None) -> None:
    source = HELLO.replace("Hello", r"Hello \nosuchmacro")
    with pytest.raises(TexError) as caught:
        await engine.compile(source, timeout_s=10)
    assert caught.value.tex.message == "Undefined control sequence."
    assert caught.value.tex.line == 3
    assert "nosuchmacro" in caught.value.tex.context


async def test_runaway_document_is_killed_at_the_timeout(
    engine: PdfLatexEngine, no_leftovers: None
) -> None:
    started = trio.current_time()
    with pytest.raises(TexTimeout):
        await engine.compile(SPIN, timeout_s=1.0)
    assert trio.current_time() - started < 5.0


async def test_cancelled_compile_leaves_nothing(engine: PdfLatexEngine, no_leftovers: None) -> None:
    seen_running = False
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: engine.compile(SPIN, timeout_s=30))
        with trio.fail_after(10):
            while not tex_processes():
                await trio.sleep(0.01)
        seen_running = True
        nursery.cancel_scope.cancel()
    assert seen_running


async def test_cannot_read_files_it_was_not_given(
    engine: PdfLatexEngine, no_leftovers: None
) -> None:
    hostname = socket.gethostname()
    source = HELLO.replace("Hello", r"LEAK[\input{/etc/hostname}]")
    with pytest.raises(TexError) as caught:
        await engine.compile(source, timeout_s=10)
    assert "/etc/hostname" in caught.value.tex.message
    assert hostname not in caught.value.tex.context.replace("/etc/hostname", "")


async def test_cannot_write_outside_its_directory(
    engine: PdfLatexEngine, tmp_path: Path, no_leftovers: None
) -> None:
    target = tmp_path / "escaped.txt"
    source = HELLO.replace(
        "Hello",
        rf"\newwrite\out\immediate\openout\out={target}\immediate\write\out{{x}}Hello",
    )
    with contextlib.suppress(TexError):
        await engine.compile(source, timeout_s=10)
    assert not target.exists()


async def test_shell_escape_is_off(engine: PdfLatexEngine, tmp_path: Path) -> None:
    marker = tmp_path / "shell-ran"
    source = HELLO.replace("Hello", rf"\immediate\write18{{touch {marker}}}Hello")
    result = await engine.compile(source, timeout_s=10)
    assert "Hello" in pdf_text(result.pdf)
    assert not marker.exists()


async def test_missing_engine_is_reported(work_dir: Path) -> None:
    engine = PdfLatexEngine("no-such-tex-engine", work_root=work_dir)
    with pytest.raises(EngineUnavailable):
        await engine.compile(HELLO, timeout_s=10)
    assert list(work_dir.iterdir()) == []


def test_the_sandbox_prefix_applies_limits_user_and_niceness() -> None:
    limits = SandboxLimits(address_space_bytes=512 * 1024 * 1024, max_processes=32, niceness=7)
    identity = resolve_user("nobody") if os.geteuid() == 0 else None
    prefix = sandbox_prefix(5, limits, identity)
    assert prefix is not None
    limits_out = subprocess.run(
        [*prefix, "cat", "/proc/self/limits"], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Max cpu time\s+5\s+6\s+seconds", limits_out)
    assert re.search(r"Max address space\s+536870912\s+536870912", limits_out)
    assert re.search(r"Max processes\s+32\s+32", limits_out)
    assert re.search(r"Max core file size\s+0\s+0", limits_out)
    stat = subprocess.run(
        [*prefix, "cat", "/proc/self/stat"], capture_output=True, text=True, check=True
    ).stdout
    assert int(stat.rsplit(")", 1)[1].split()[16]) == 7  # field 19: nice
    if identity is not None:
        status = subprocess.run(
            [*prefix, "cat", "/proc/self/status"], capture_output=True, text=True, check=True
        ).stdout
        uids = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
        assert uids is not None
        assert int(uids[1]) == identity.uid
        assert re.search(r"^Groups:\s*$", status, re.MULTILINE)


async def test_without_the_tools_limits_are_set_in_the_child(
    monkeypatch: pytest.MonkeyPatch, engine: PdfLatexEngine, no_leftovers: None
) -> None:
    monkeypatch.setattr(runner, "sandbox_prefix", lambda *args: None)
    result = await engine.compile(HELLO, timeout_s=10)
    assert "Hello from TeX." in pdf_text(result.pdf)
    with pytest.raises(TexTimeout):
        await engine.compile(SPIN, timeout_s=1.0)
