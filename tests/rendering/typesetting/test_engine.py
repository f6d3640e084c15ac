"""The real pdflatex engine: sandbox, timeout, cancellation, clean-up."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from rendering.errors import EngineUnavailable, TexError, TexKilled, TexTimeout
from rendering.typesetting import _boxed as boxed_module
from rendering.typesetting._cjkfonts import fonts_dir
from rendering.typesetting._engine import PdfLatexEngine, build_argv, probe_engine
from rendering.typesetting._formats import ensure_private_dir
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


async def test_compiles_a_document(engine: PdfLatexEngine, no_leftovers: None) -> None:
    result = await engine.compile(HELLO, timeout_s=10)
    assert result.pdf.startswith(b"%PDF")
    assert "Hello from TeX." in pdf_text(result.pdf)
    assert result.tex_seconds > 0


async def test_tex_gets_the_hash_size_of_its_environment(
    engine: PdfLatexEngine, no_leftovers: None
) -> None:
    """kpathsea reads hash_extra from the environment the sandbox gives (not TeX Live's
    600000, which every start pays for)."""
    result = await engine.compile(HELLO, timeout_s=30)
    assert "multiletter control sequences out of 15000+100000" in result.log


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
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: engine.compile(SPIN, timeout_s=30))
        with trio.fail_after(10):
            while not (running := tex_processes()):
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    assert running
    assert not any(Path(f"/proc/{pid}").exists() for pid in running)


async def test_tex_killed_from_outside_is_reported_as_such_and_leaves_nothing(
    engine: PdfLatexEngine, no_leftovers: None
) -> None:
    """The OOM killer or an operator: not the document's error (TexKilled), and the work
    directory goes as on every way out."""
    async with trio.open_nursery() as nursery:

        async def kill_it() -> None:
            with trio.fail_after(10):
                while not (running := tex_processes()):
                    await trio.sleep(0.01)
            for pid in running:
                os.kill(pid, signal.SIGKILL)

        nursery.start_soon(kill_it)
        with pytest.raises(TexKilled, match="SIGKILL"):
            await engine.compile(SPIN, timeout_s=30)


@pytest.fixture
def outside_dir() -> Iterator[Path]:
    """A world-writable directory outside the work directory: a place TeX (even as `nobody`)
    could read and write if its sandbox let it, so a refusal there is the sandbox's doing."""
    path = Path(tempfile.mkdtemp(prefix="texrender-outside-"))
    path.chmod(0o1777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def test_cannot_read_files_it_was_not_given(
    engine: PdfLatexEngine, outside_dir: Path, no_leftovers: None
) -> None:
    secret = outside_dir / "secret.tex"
    secret.write_text("SECRET-7f3a9c")
    secret.chmod(0o644)
    source = HELLO.replace("Hello", rf"LEAK[\input{{{secret}}}]")
    with pytest.raises(TexError) as caught:
        await engine.compile(source, timeout_s=10)
    assert str(secret) in caught.value.tex.message
    assert "SECRET-7f3a9c" not in caught.value.tex.context
    # The control: the same file copied into the document itself is typeset.
    plain = await engine.compile(HELLO.replace("Hello", "SECRET-7f3a9c"), timeout_s=10)
    assert "SECRET-7f3a9c" in pdf_text(plain.pdf)


def write_to(path: Path) -> str:
    return HELLO.replace(
        "Hello", rf"\newwrite\out\immediate\openout\out={path}\immediate\write\out{{x}}Hello"
    )


async def test_cannot_write_outside_its_directory(
    engine: PdfLatexEngine, outside_dir: Path, no_leftovers: None
) -> None:
    target = outside_dir / "escaped.txt"
    with contextlib.suppress(TexError):
        await engine.compile(write_to(target), timeout_s=10)
    assert not target.exists()
    # The control: a write inside its own directory works (the document still compiles).
    result = await engine.compile(write_to(Path("inside.txt")), timeout_s=10)
    assert "Hello" in pdf_text(result.pdf)


async def test_shell_escape_is_off(engine: PdfLatexEngine, outside_dir: Path) -> None:
    marker = outside_dir / "shell-ran"
    source = HELLO.replace("Hello", rf"\immediate\write18{{touch {marker}}}Hello")
    result = await engine.compile(source, timeout_s=10)
    assert "Hello" in pdf_text(result.pdf)
    assert not marker.exists()
    if os.geteuid() == 0:
        # The control: `nobody`, whom TeX runs as, could have made the file there.
        setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        await trio.run_process([*setpriv, "touch", str(marker)])
        assert marker.exists()


async def test_missing_engine_is_reported(work_dir: Path) -> None:
    engine = PdfLatexEngine("no-such-tex-engine", work_root=work_dir)
    with pytest.raises(EngineUnavailable):
        await engine.compile(HELLO, timeout_s=10)
    assert list(work_dir.iterdir()) == []
    assert (await probe_engine("no-such-tex-engine")).found is False


async def test_probe_reads_the_engine_version() -> None:
    info = await probe_engine("pdflatex")
    assert info.found
    assert info.version.startswith("pdfTeX")


async def test_without_the_tools_limits_are_set_in_the_child(
    monkeypatch: pytest.MonkeyPatch, engine: PdfLatexEngine, no_leftovers: None
) -> None:
    monkeypatch.setattr(boxed_module, "sandbox_prefix", lambda *args: None)
    result = await engine.compile(HELLO, timeout_s=10)
    assert "Hello from TeX." in pdf_text(result.pdf)
    with pytest.raises(TexTimeout):
        await engine.compile(SPIN, timeout_s=1.0)


async def test_xetex_looks_for_font_files_beside_its_formats_first(
    work_dir: Path, no_leftovers: None
) -> None:
    """Where the cut CJK collections are kept (:mod:`rendering.typesetting._cjkfonts`): a file
    there shadows the system's of the same name for XeTeX (here one that is no font)."""
    formats = ensure_private_dir(Path(tempfile.mkdtemp(prefix="texrender-test-formats-")))
    try:
        source = (
            r"\documentclass{article}\begin{document}"
            r'\font\cjk="[NotoSerifCJK-Regular.ttc]"\cjk 王\end{document}'
        )
        xetex = PdfLatexEngine("xelatex", work_root=work_dir, format_dir=formats)
        assert "王" in pdf_text((await xetex.compile(source, timeout_s=60)).pdf)
        fonts_dir(formats).mkdir(mode=0o755)
        (fonts_dir(formats) / "NotoSerifCJK-Regular.ttc").write_bytes(b"not a font")
        with pytest.raises(TexError):
            await xetex.compile(source, timeout_s=60)
    finally:
        shutil.rmtree(formats)


def test_only_the_work_directories_of_dead_processes_are_swept(work_dir: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()

    def make(name: str, with_source: bool = True) -> Path:
        path = work_dir / name
        path.mkdir()
        if with_source:
            (path / "doc.tex").write_text("data")
        return path

    left = make(f"texrender-{dead.pid}-abc123")
    ours = make(f"texrender-{os.getpid()}-def456")
    not_ours = make("texrender-notapid-x")
    no_source = make(f"texrender-{dead.pid}-nosource", with_source=False)
    # A zygote's own directory: empty, or with the log of a zygote that never got ready.
    zygote_left = make(f"texrender-{dead.pid}-zygote-ab12cd34", with_source=False)
    zygote_failed = make(f"texrender-{dead.pid}-zygote-ef56gh78", with_source=False)
    (zygote_failed / "doc.log").write_text("! I can't find file `doc.tex'.")
    zygote_ours = make(f"texrender-{os.getpid()}-zygote-ij90kl12", with_source=False)
    zygote_holding_more = make(f"texrender-{dead.pid}-zygote-mn34op56", with_source=False)
    (zygote_holding_more / "notes.txt").write_text("not a zygote's")
    zygote_link = work_dir / f"texrender-{dead.pid}-zygote-qr78st90"
    zygote_link.symlink_to(make("elsewhere", with_source=False))
    engine = PdfLatexEngine(work_root=work_dir)
    assert sorted(engine.sweep_leftovers()) == sorted([left, zygote_left, zygote_failed])
    assert not left.exists()
    assert not zygote_left.exists()
    assert not zygote_failed.exists()
    assert ours.exists()
    assert not_ours.exists()
    assert no_source.exists()
    assert zygote_ours.exists()
    assert zygote_holding_more.exists()
    assert zygote_link.is_symlink()
    assert (work_dir / "elsewhere").is_dir()
    if os.geteuid() == 0:  # a zygote's directory is its server's user's: another's stays
        someone_elses = make(f"texrender-{dead.pid}-zygote-uv12wx34", with_source=False)
        os.chown(someone_elses, 65534, 65534)
        assert engine.sweep_leftovers() == []
        assert someone_elses.exists()
    assert PdfLatexEngine(work_root=work_dir / "missing").sweep_leftovers() == []


async def test_a_document_without_pages_is_an_error_not_an_empty_pdf(
    engine: PdfLatexEngine, no_leftovers: None
) -> None:
    # hyperref makes pdfTeX open its output file early: with no page shipped out, an empty
    # file is left behind, which must not be taken for a PDF.
    source = "\\documentclass{article}\\usepackage{hyperref}\\begin{document}\\end{document}\n"
    with pytest.raises(TexError) as failed:
        await engine.compile(source, timeout_s=10)
    assert "No pages of output" in failed.value.tex.message
