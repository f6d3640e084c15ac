"""The ``texrender`` command as a user runs it: a real process, real TeX."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEST_TEMPLATES_DIR, pdf_text
from tests.server.conftest import TEXRENDER, run_cli

pytestmark = pytest.mark.tex


def test_templates_lists_the_catalogue() -> None:
    result = run_cli("templates")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^echo\s+Echo \(test\)", result.stdout, re.MULTILINE)


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
    assert "no page 2" in missing.stderr


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
