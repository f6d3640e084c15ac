"""Precompiled preamble formats and deterministic output, with real TeX."""

from __future__ import annotations

import gzip
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from rendering.catalogue import Catalogue, Template
from rendering.config import DEFAULT_TEMPLATES_DIR, RenderLimits
from rendering.errors import TexDiagnostic, TexError
from rendering.pipeline import Pipeline, RenderOrder
from rendering.typesetting._engine import CompileResult, PdfLatexEngine
from rendering.typesetting._formats import (
    GZIP_MAGIC,
    FormatFile,
    FormatState,
    FormatStore,
    ensure_private_dir,
    format_name,
    split_preamble,
    uncompress_format,
)
from tests.conftest import TEST_TEMPLATES_DIR, SpyEngine, pdf_text

pytestmark = pytest.mark.tex


def samples(*templates: Template) -> dict[str, str]:
    """What the service hands the format store: each template's sample, filled."""
    return {t.name: t.to_tex(t.sample) for t in templates}


def pdf_info(pdf: bytes) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    pairs = (line.split(":", 1) for line in out.decode().splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.fixture(scope="module")
def resume() -> Template:
    return Catalogue.load([DEFAULT_TEMPLATES_DIR])["resume-classic"]


@pytest.fixture
def engine(work_dir: Path, format_dir: Path) -> PdfLatexEngine:
    return PdfLatexEngine(work_root=work_dir, format_dir=format_dir)


async def test_format_compile_matches_plain_compile(
    resume: Template, engine: PdfLatexEngine, no_leftovers: None
) -> None:
    store = FormatStore(engine, engine.format_dir or Path(), "test")
    store.plan(samples(resume))
    await store.build_missing()
    assert store.statuses() == {"resume-classic": "ready"}
    source = resume.to_tex(resume.sample)
    name = store.format_for("resume-classic", source)
    assert name is not None
    plain = await engine.compile(source, timeout_s=30)
    fast = await engine.compile(source, timeout_s=30, format_name=name)
    assert pdf_text(fast.pdf) == pdf_text(plain.pdf)
    plain_info, fast_info = pdf_info(plain.pdf), pdf_info(fast.pdf)
    assert fast_info["Pages"] == plain_info["Pages"]
    assert fast_info["Page size"] == plain_info["Page size"]


async def test_the_format_is_stored_uncompressed_and_renders_the_same(
    resume: Template, engine: PdfLatexEngine, format_dir: Path, no_leftovers: None
) -> None:
    store = FormatStore(engine, format_dir, "test")
    store.plan(samples(resume))
    await store.build_missing()
    assert store.files() == {"resume-classic": "uncompressed"}
    source = resume.to_tex(resume.sample)
    name = store.format_for("resume-classic", source)
    fmt, packed = format_dir / f"{name}.fmt", format_dir / f"{name}.fmt.gz"
    assert fmt.read_bytes()[:2] != GZIP_MAGIC
    assert packed.read_bytes()[:2] == GZIP_MAGIC  # kept to fall back to
    assert fmt.stat().st_size > 2 * packed.stat().st_size
    plain = await engine.compile(source, timeout_s=30)
    fast = await engine.compile(source, timeout_s=30, format_name=name)
    assert pdf_text(fast.pdf) == pdf_text(plain.pdf)
    # A restart adopts the uncompressed file as it is.
    again = FormatStore(engine, format_dir, "test")
    again.plan(samples(resume))
    await again.build_missing()
    assert again.files() == {"resume-classic": "uncompressed"}


async def test_an_uncompressed_format_that_does_not_load_falls_back_to_the_compressed_one(
    resume: Template, engine: PdfLatexEngine, format_dir: Path, no_leftovers: None
) -> None:
    store = FormatStore(engine, format_dir, "test")
    store.plan(samples(resume))
    await store.build_missing()
    name = store.format_for("resume-classic", resume.to_tex(resume.sample))
    fmt = format_dir / f"{name}.fmt"
    fmt.write_bytes(fmt.read_bytes()[: 1 << 20])  # cut short: TeX cannot load it
    again = FormatStore(engine, format_dir, "test")
    again.plan(samples(resume))
    await again.build_missing()
    assert again.statuses() == {"resume-classic": "ready"}
    assert again.files() == {"resume-classic": "compressed"}
    assert fmt.read_bytes()[:2] == GZIP_MAGIC


def test_a_format_that_is_not_gzip_is_left_as_it_is(tmp_path: Path) -> None:
    fmt = tmp_path / "x.fmt"
    fmt.write_bytes(b"plain format bytes")
    assert uncompress_format(fmt, tmp_path / "x.fmt.gz") is FormatFile.UNCOMPRESSED
    assert fmt.read_bytes() == b"plain format bytes"
    assert not (tmp_path / "x.fmt.gz").exists()


def test_a_broken_gzip_format_stays_compressed(tmp_path: Path) -> None:
    fmt = tmp_path / "x.fmt"
    fmt.write_bytes(gzip.compress(b"format" * 1000)[:40])
    assert uncompress_format(fmt, tmp_path / "x.fmt.gz") is FormatFile.COMPRESSED
    assert fmt.read_bytes()[:2] == GZIP_MAGIC


async def test_renders_are_deterministic(
    resume: Template, engine: PdfLatexEngine, no_leftovers: None
) -> None:
    source = resume.to_tex(resume.sample)
    first = await engine.compile(source, timeout_s=30)
    second = await engine.compile(source, timeout_s=30)
    assert first.pdf == second.pdf
    assert b"texrender-" not in first.pdf  # no temporary path leaks into the file
    other = dict(resume.sample)
    other["basics"] = {**resume.sample["basics"], "name": "Somebody Else"}
    third = await engine.compile(resume.to_tex(other), timeout_s=30)
    assert third.pdf != first.pdf


def write_template(root: Path, preamble_extra: str) -> None:
    folder = root / "fmt-test"
    shutil.copytree(TEST_TEMPLATES_DIR / "echo", folder, dirs_exist_ok=True)
    (folder / "template.tex.j2").write_text(
        "\\documentclass{article}\n"
        f"{preamble_extra}\n"
        "\\endofdump\n"
        "\\begin{document}\n((( text )))\n\\end{document}\n"
    )


async def test_a_changed_preamble_gets_a_new_format(
    tmp_path: Path, work_dir: Path, format_dir: Path
) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    engine = PdfLatexEngine(work_root=work_dir, format_dir=format_dir)
    write_template(root, "\\usepackage{xcolor}")
    before = Catalogue.load([root])["fmt-test"]
    first = FormatStore(engine, format_dir, "test")
    first.plan(samples(before))
    await first.build_missing()
    old_name = first.format_for("fmt-test", before.to_tex({"text": "x"}))
    assert old_name is not None

    write_template(root, "\\usepackage{xcolor}\\usepackage{enumitem}")
    after = Catalogue.load([root])["fmt-test"]
    second = FormatStore(engine, format_dir, "test")
    second.plan(samples(after))
    assert second.statuses() == {"fmt-test": "pending"}
    assert second.format_for("fmt-test", after.to_tex({"text": "x"})) is None
    await second.build_missing()
    new_name = second.format_for("fmt-test", after.to_tex({"text": "x"}))
    assert new_name not in (None, old_name)
    # The old store refuses a document whose preamble is not the one it was built from.
    assert first.format_for("fmt-test", after.to_tex({"text": "x"})) is None


async def test_the_same_format_built_twice_at_once_stays_whole(
    resume: Template, engine: PdfLatexEngine, format_dir: Path
) -> None:
    source = resume.to_tex(resume.sample)
    async with trio.open_nursery() as nursery:
        for _ in range(2):
            nursery.start_soon(lambda: engine.build_format("twice", source, timeout_s=60))
    assert [p.name for p in format_dir.iterdir()] == ["twice.fmt"]
    result = await engine.compile(source, timeout_s=30, format_name="twice")
    assert resume.sample["basics"]["name"] in pdf_text(result.pdf)


class FailingBuilder:
    async def build_format(self, format_name: str, source: str, *, timeout_s: float) -> Path:
        raise TexError("TeX stopped: broken", TexDiagnostic("broken", 1, ""))

    async def compile(
        self, source: str, *, timeout_s: float, format_name: str | None = None
    ) -> CompileResult:
        raise AssertionError("a format that failed to build must not be tried")


async def test_a_failed_build_falls_back_to_plain_compiles(
    resume: Template, format_dir: Path, work_dir: Path
) -> None:
    store = FormatStore(FailingBuilder(), format_dir, "test")
    store.plan(samples(resume))
    assert not store.settled
    await store.build_missing()
    assert store.settled
    assert store.statuses() == {"resume-classic": FormatState.FAILED.value}
    assert store.format_for("resume-classic", resume.to_tex(resume.sample)) is None
    # And a real render with that store compiles plainly, and right.
    spy = SpyEngine(PdfLatexEngine(work_root=work_dir, format_dir=format_dir))
    catalogue = Catalogue({resume.name: resume})
    pipeline = Pipeline(catalogue, spy, RenderLimits(slots=1), formats=store)
    result = await pipeline.render(RenderOrder.for_data("resume-classic", resume.sample))
    assert spy.formats == [None]
    assert resume.sample["basics"]["name"] in pdf_text(result.body)


async def test_the_pipeline_starts_from_the_format(
    resume: Template, engine: PdfLatexEngine, format_dir: Path
) -> None:
    catalogue = Catalogue.load([DEFAULT_TEMPLATES_DIR])
    store = FormatStore(engine, format_dir, "test")
    store.plan(samples(*catalogue.values()))
    await store.build_missing()
    spy = SpyEngine(engine)
    pipeline = Pipeline(catalogue, spy, RenderLimits(slots=1), formats=store)
    result = await pipeline.render(RenderOrder.for_data("resume-classic", resume.sample))
    assert spy.formats == [store.format_for("resume-classic", resume.to_tex(resume.sample))]
    assert spy.formats[0] is not None
    assert resume.sample["basics"]["name"] in pdf_text(result.body)


def test_preamble_split() -> None:
    assert split_preamble("a\n\\endofdump\nb") == "a"
    assert split_preamble("no mark here") is None


def test_format_dir_must_be_ours(tmp_path: Path) -> None:
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(PermissionError):
        ensure_private_dir(link)
    if os.geteuid() == 0:
        foreign = tmp_path / "foreign"
        foreign.mkdir()
        os.chown(foreign, 65534, 65534)
        with pytest.raises(PermissionError):
            ensure_private_dir(foreign)
    assert ensure_private_dir(tmp_path / "new" / "dir").is_dir()


READ_ONLY_CHECK = """
import errno, sys
from pathlib import Path
from rendering.typesetting._formats import ensure_private_dir
folder = Path(sys.argv[1])
try:
    (folder / "probe").touch()
except OSError as exc:
    assert exc.errno == errno.EROFS, exc
else:
    raise SystemExit("the folder is writable: the test proves nothing")
print(ensure_private_dir(folder))
"""


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="a read-only bind mount needs root and unshare",
)
def test_format_dir_on_a_read_only_file_system(tmp_path: Path) -> None:
    # A container image's formats folder: built in, then mounted read-only with the rest of
    # the image, where a chmod fails even to the mode the folder has.
    folder = ensure_private_dir(tmp_path / "formats")
    mount = (
        f'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && '
        f'exec {shlex.quote(sys.executable)} -c "$2" "$1"'
    )
    unshare = ["unshare", "--mount", "--propagation", "private"]
    result = subprocess.run(
        [*unshare, "sh", "-c", mount, "sh", str(folder), READ_ONLY_CHECK],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(folder)


async def test_a_format_that_cannot_be_stored_fails_and_renders_compile_plainly(
    resume: Template, engine: PdfLatexEngine, format_dir: Path, no_leftovers: None
) -> None:
    # As in a container image's read-only formats folder, for a template added at run time:
    # here a folder in the way of the file makes the same OSError, even for root.
    source = resume.to_tex(resume.sample)
    preamble = split_preamble(source)
    assert preamble is not None
    (format_dir / f"{format_name('resume-classic', preamble, 'test')}.fmt").mkdir()
    store = FormatStore(engine, format_dir, "test")
    store.plan(samples(resume))
    await store.build_missing()
    assert store.statuses() == {"resume-classic": "failed"}
    assert store.settled
    assert store.format_for("resume-classic", source) is None


async def test_a_format_checked_once_is_adopted_again_without_a_compile_until_it_changes(
    resume: Template, engine: PdfLatexEngine, format_dir: Path, no_leftovers: None
) -> None:
    spy = SpyEngine(engine)
    first = FormatStore(spy, format_dir, "test")
    first.plan(samples(resume))
    await first.build_missing()
    assert len(spy.formats) == 1  # the sample, from the new format
    # Another store of this process (another server) adopts the same file as it is.
    again = FormatStore(spy, format_dir, "test")
    again.plan(samples(resume))
    await again.build_missing()
    assert again.statuses() == {"resume-classic": "ready"}
    assert len(spy.formats) == 1
    # A changed file is checked anew.
    name = first.format_for("resume-classic", resume.to_tex(resume.sample))
    fmt = format_dir / f"{name}.fmt"
    fmt.write_bytes(fmt.read_bytes())
    os.utime(fmt, ns=(0, 0))
    third = FormatStore(spy, format_dir, "test")
    third.plan(samples(resume))
    await third.build_missing()
    assert third.statuses() == {"resume-classic": "ready"}
    assert len(spy.formats) == 2
