"""The ``texrender`` command as a user runs it: a real process, real TeX."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from server.settings import DEFAULT_TEMPLATES_DIR
from tests.conftest import TEST_TEMPLATES_DIR, pdf_text
from tests.rendering.test_pdf_metadata import is_tagged
from tests.server.conftest import TEXRENDER, run_cli, running_server

pytestmark = pytest.mark.tex


def test_templates_lists_the_catalogue() -> None:
    result = run_cli("templates")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^echo\s+Echo \(test\) \(a4\): Prints", result.stdout, re.MULTILINE)


def test_render_writes_a_pdf(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": "from the command line"}))
    out = tmp_path / "out.pdf"
    result = run_cli("render", "echo", str(data), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "BEGIN from the command line END" in pdf_text(out.read_bytes())


def test_render_writes_a_page_as_png(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": "as a picture"}))
    out = tmp_path / "page.png"
    result = run_cli("render", "echo", str(data), "-o", str(out), "--dpi", "30")
    assert result.returncode == 0, result.stderr
    picture = out.read_bytes()
    assert picture[:4] == b"\x89PNG"
    assert int.from_bytes(picture[16:20], "big") == 255  # US letter, 8.5 in at 30 dpi
    missing = run_cli("render", "echo", str(data), "-o", str(out), "--png", "2")
    assert missing.returncode == 1
    assert "the document has 1 page; no page 2" in missing.stderr


def test_render_takes_a_paper_size(tmp_path: Path) -> None:
    sample = str(DEFAULT_TEMPLATES_DIR / "cover-letter" / "sample.json")
    out = tmp_path / "letter.pdf"
    options = ("--templates", str(DEFAULT_TEMPLATES_DIR), "render", "cover-letter", sample)
    result = run_cli(*options, "-o", str(out), "--paper", "letter")
    assert result.returncode == 0, result.stderr
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True)
    assert re.search(r"Page size:\s+612 x 792 pts", info.stdout), info.stdout
    wrong = run_cli(*options, "-o", str(out), "--paper", "a5")
    assert wrong.returncode == 1
    assert "'cover-letter' is made for a4 and letter paper, not 'a5'" in wrong.stderr


def test_render_takes_tagged(tmp_path: Path) -> None:
    sample = str(DEFAULT_TEMPLATES_DIR / "cover-letter" / "sample.json")
    out = tmp_path / "tagged.pdf"
    options = ("--templates", str(DEFAULT_TEMPLATES_DIR), "render", "cover-letter", sample)
    result = run_cli(*options, "-o", str(out), "--tagged")
    assert result.returncode == 0, result.stderr
    assert is_tagged(out.read_bytes())
    source = tmp_path / "tagged.tex"
    result = run_cli(*options, "-o", str(source), "--tex", "--tagged")
    assert result.returncode == 0, result.stderr
    assert source.read_text("utf-8").startswith("\\DocumentMetadata{")


def test_render_reads_standard_input(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    result = subprocess.run(
        [TEXRENDER, "--templates", str(TEST_TEMPLATES_DIR), "render", "echo", "-", "-o", str(out)],
        input=json.dumps({"text": "piped"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "piped" in pdf_text(out.read_bytes())


def test_render_explains_invalid_data(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": {"a": 1}}))
    result = run_cli("render", "echo", str(data), "-o", str(tmp_path / "out.pdf"))
    assert result.returncode == 1
    assert "at /text: {'a': 1} is not of type 'string'" in result.stderr
    assert not (tmp_path / "out.pdf").exists()


def test_render_reports_what_lenient_reading_changed(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": 3}))
    lenient = run_cli("render", "echo", str(data), "-o", str(tmp_path / "out.pdf"))
    assert lenient.returncode == 0, lenient.stderr
    assert "warning: /text: a number where text is expected" in lenient.stderr
    assert "BEGIN 3 END" in pdf_text((tmp_path / "out.pdf").read_bytes())
    strict = run_cli("render", "echo", str(data), "-o", str(tmp_path / "s.pdf"), "--strict")
    assert strict.returncode == 1
    assert "at /text: 3 is not of type 'string'" in strict.stderr
    assert "warning" not in strict.stderr


def test_render_explains_a_tex_error(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": "x"}))
    result = run_cli("render", "read-file", str(data), "-o", str(tmp_path / "out.pdf"))
    assert result.returncode == 1
    assert "could not be typeset" in result.stderr
    assert "/etc/hostname" in result.stderr


def test_unknown_template_and_unreadable_data(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("{}")
    missing = run_cli("render", "nope", str(data), "-o", str(tmp_path / "out.pdf"))
    assert missing.returncode == 1
    assert "no template named 'nope'" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    unreadable = run_cli("render", "echo", str(broken), "-o", str(tmp_path / "out.pdf"))
    assert unreadable.returncode == 1
    assert "cannot read" in unreadable.stderr


def test_bad_setting_is_named() -> None:
    result = run_cli("templates", env={"TEXRENDER_RENDER_SLOTS": "many"})
    assert result.returncode == 2
    assert "TEXRENDER_RENDER_SLOTS" in result.stderr


def test_settings_flags_go_before_or_after_the_subcommand(tmp_path: Path) -> None:
    """``texrender serve --auth off`` was "unrecognized arguments": now a setting's flag is
    taken on either side, at every level of subcommand, and the later one wins."""
    before, after = tmp_path / "before", tmp_path / "after"
    for argv in (
        ["--data-dir", str(before), "keys", "list"],
        ["keys", "--data-dir", str(after), "list"],
        ["keys", "list", "--data-dir", str(after), "--log-level", "error"],
    ):
        result = run_cli(*argv)
        assert result.returncode == 0, (argv, result.stderr)
    assert (before / "texrender.sqlite3").exists()
    assert (after / "texrender.sqlite3").exists()
    later = tmp_path / "later"
    result = run_cli("--data-dir", str(before), "keys", "create", "ci", "--data-dir", str(later))
    assert result.returncode == 0, result.stderr
    assert "ci " in run_cli("--data-dir", str(later), "keys", "list").stdout
    assert "ci " not in run_cli("--data-dir", str(before), "keys", "list").stdout
    # Repeatable flags add up across the subcommand: the test templates and the real ones.
    listed = run_cli("templates", "--templates", str(DEFAULT_TEMPLATES_DIR)).stdout
    assert "echo " in listed
    assert "resume-classic " in listed
    # `keys create --owner` is its own option, not a prefix of --owner-queue-max or --owner-rate.
    owned = run_cli("--data-dir", str(later), "keys", "create", "laptop", "--owner", "alice")
    assert owned.returncode == 0, owned.stderr
    assert "for owner 'alice'" in owned.stderr


def test_a_serve_flag_before_another_command_is_refused_by_name() -> None:
    result = run_cli("--bind", "127.0.0.1:9", "templates")
    assert result.returncode == 2
    assert "--bind is an option of `texrender serve` only" in result.stderr


def test_serve_takes_every_setting_after_the_subcommand(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # running_server gives its own --data-dir before `serve`; the one after it wins.
    with running_server(
        "serve", "--auth", "off", "--data-dir", str(data), "--log-format", "text"
    ) as server:
        answer = httpx.get(f"{server.url}/healthz")
        assert answer.status_code == 200
    assert (data / "texrender.sqlite3").exists()


def test_render_writes_to_standard_output_whole(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"text": "to stdout"}))
    pdf = run_bytes("render", "echo", str(data), "-o", "-")
    assert pdf.returncode == 0, pdf.stderr
    assert pdf.stdout.startswith(b"%PDF-")
    assert pdf.stdout.rstrip().endswith(b"%%EOF")
    assert "to stdout" in pdf_text(pdf.stdout)
    assert b"wrote standard output" in pdf.stderr
    written = tmp_path / "out.pdf"
    assert run_cli("render", "echo", str(data), "-o", str(written)).returncode == 0
    assert written.read_bytes() == pdf.stdout  # byte for byte: a PDF is deterministic
    png = run_bytes("render", "echo", str(data), "-o", "-", "--png", "1", "--dpi", "30")
    assert png.returncode == 0, png.stderr
    assert png.stdout.startswith(b"\x89PNG\r\n\x1a\n")
    tex = run_bytes("render", "echo", str(data), "-o", "-", "--tex")
    assert tex.returncode == 0, tex.stderr
    assert b"BEGIN to stdout END" in tex.stdout
    assert b"texrender:" not in pdf.stdout + png.stdout + tex.stdout


def run_bytes(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [TEXRENDER, "--templates", str(TEST_TEMPLATES_DIR), *args],
        capture_output=True,
        timeout=60,
        check=False,
    )
