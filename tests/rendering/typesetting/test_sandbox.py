"""The box TeX runs in, checked on real child processes (no TeX needed)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from rendering.typesetting._sandbox import (
    SOURCE_DATE_EPOCH,
    SandboxLimits,
    make_preexec,
    resolve_user,
    sandbox_prefix,
    tex_process_env,
)

LIMITS = SandboxLimits(address_space_bytes=512 * 1024 * 1024, max_processes=32, niceness=7)


def test_environment_is_paranoid_and_minimal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_DEPLOY_TOKEN", "not-for-tex")
    env = tex_process_env(tmp_path, format_dir=tmp_path / "formats", tfm_dir=tmp_path / "tfm")
    assert set(env) == {
        "PATH",
        "HOME",
        "LC_ALL",
        "openin_any",
        "openout_any",
        "shell_escape",
        "max_print_line",
        "hash_extra",
        "TEXMFVAR",
        "TEXMFCONFIG",
        "SOURCE_DATE_EPOCH",
        "TEXFORMATS",
        "TFMFONTS",
        "MKTEXTFM",
        "MKTEXPK",
        "MKTEXMF",
        "texmf_casefold_search",
    }
    assert env["openin_any"] == "p"
    assert env["openout_any"] == "p"
    assert env["shell_escape"] == "f"
    assert env["HOME"] == str(tmp_path)
    assert env["SOURCE_DATE_EPOCH"] == SOURCE_DATE_EPOCH
    assert env["TEXFORMATS"] == f"{tmp_path / 'formats'}:"
    assert "TEXFORMATS" not in tex_process_env(tmp_path)
    # The metrics texrender made are found first; TeX never makes a font (METAFONT) itself.
    assert env["TFMFONTS"] == f"{tmp_path / 'tfm'}:"
    assert "TFMFONTS" not in tex_process_env(tmp_path)
    assert env["MKTEXTFM"] == env["MKTEXPK"] == env["MKTEXMF"] == "0"
    # No listing of every folder searched for a name in other letter cases.
    assert env["texmf_casefold_search"] == "0"
    # Huge pages for pdfTeX only (XeTeX stalls on them).
    assert "GLIBC_TUNABLES" not in env
    assert tex_process_env(tmp_path, huge_pages=True)["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1"


def _limits_of(output: str) -> None:
    assert re.search(r"Max cpu time\s+5\s+6\s+seconds", output)
    assert re.search(r"Max address space\s+536870912\s+536870912", output)
    assert re.search(r"Max processes\s+32\s+32", output)
    assert re.search(r"Max core file size\s+0\s+0", output)


def _niceness_of(stat: str) -> int:
    return int(stat.rsplit(")", 1)[1].split()[16])  # field 19 of /proc/PID/stat


def test_the_sandbox_prefix_applies_limits_user_and_niceness() -> None:
    identity = resolve_user("nobody") if os.geteuid() == 0 else None
    prefix = sandbox_prefix(5, LIMITS, identity)
    assert prefix is not None

    def run(*argv: str) -> str:
        return subprocess.run([*prefix, *argv], capture_output=True, text=True, check=True).stdout

    _limits_of(run("cat", "/proc/self/limits"))
    assert _niceness_of(run("cat", "/proc/self/stat")) == os.nice(0) + 7
    if identity is not None:
        status = run("cat", "/proc/self/status")
        uids = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
        assert uids is not None
        assert int(uids[1]) == identity.uid
        assert re.search(r"^Groups:\s*$", status, re.MULTILINE)


def test_the_fallback_sets_the_same_limits_in_the_child() -> None:
    def run(*argv: str) -> str:
        return subprocess.run(
            argv,
            preexec_fn=make_preexec(5, LIMITS),
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    _limits_of(run("cat", "/proc/self/limits"))
    assert _niceness_of(run("cat", "/proc/self/stat")) == os.nice(0) + 7


def test_no_change_of_user_unless_root_or_asked() -> None:
    if os.geteuid() == 0:
        nobody = resolve_user(None)
        assert nobody is not None
        assert nobody.uid != 0
    else:
        assert resolve_user(None) is None
    with pytest.raises(KeyError):
        resolve_user("no-such-user-texrender")
