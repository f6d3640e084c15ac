"""The real pdflatex runner: sandbox, timeout, cancellation, clean-up."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import pytest
import trio

from rendering.errors import EngineUnavailable, TexError, TexTimeout
from rendering.runner import PdfLatexEngine, build_argv, build_env
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
