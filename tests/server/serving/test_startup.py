"""A server that cannot start, for a reason the user can fix, says so in one line: the path or
address, the reason, the setting to change; exit status 1, no traceback. Real processes."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from server.store.migrations import LATEST
from server.store.sqlite import FILE_NAME
from tests.conftest import TEST_TEMPLATES_DIR
from tests.server.conftest import TEXRENDER

# tmp_path -> (argv after `texrender`, the line expected, environment variables to set)
Case = Callable[[Path], tuple[list[str], str, dict[str, str]]]


def serve(data: Path, *more: str, bind: str = "127.0.0.1:0") -> list[str]:
    return ["--data-dir", str(data), "--templates", str(TEST_TEMPLATES_DIR), *more,
            "serve", "--bind", bind]  # fmt: skip


def data_under_a_file(tmp: Path) -> tuple[list[str], str, dict[str, str]]:
    (tmp / "file").write_text("")
    folder = tmp / "file" / "data"
    return serve(folder), f"cannot create the data folder {folder}: Not a directory", {}


def data_is_a_file(tmp: Path) -> tuple[list[str], str, dict[str, str]]:
    (tmp / "file").write_text("")
    return serve(tmp / "file"), f"cannot use the data folder {tmp / 'file'}: it is a file", {}


def data_where_nothing_can_be_made(tmp: Path) -> tuple[list[str], str, dict[str, str]]:
    folder = Path("/proc/texrender-test/data")  # not even root can make it
    line = f"cannot create the data folder {folder}: No such file or directory"
    return serve(folder), line, {}


def database_from_a_newer_texrender(tmp: Path) -> tuple[list[str], str, dict[str, str]]:
    (tmp / "data").mkdir(mode=0o700)
    with sqlite3.connect(tmp / "data" / FILE_NAME) as db:
        db.execute(f"PRAGMA user_version = {LATEST + 1}")
    (tmp / "data" / FILE_NAME).chmod(0o600)
    line = f"the database {tmp / 'data' / FILE_NAME} was written by a newer texrender"
    return serve(tmp / "data"), line, {}


def database_that_is_not_one(tmp: Path) -> tuple[list[str], str, dict[str, str]]:
    (tmp / "data").mkdir(mode=0o700)
    (tmp / "data" / FILE_NAME).write_bytes(b"not a database at all " * 100)
    (tmp / "data" / FILE_NAME).chmod(0o600)
    line = f"cannot use the database {tmp / 'data' / FILE_NAME}: file is not a database"
    return serve(tmp / "data"), line, {}


def missing_templates(tmp: Path) -> tuple[list[str], str, dict[str, str]]:
    missing = tmp / "no-templates"
    line = f"cannot load the templates: template directory {missing} does not exist"
    return serve(tmp / "data", "--templates", str(missing)), line, {}


def missing_work_folder(tmp: Path) -> tuple[list[str], str, dict[str, str]]:
    line = f"cannot use the work folder {tmp / 'no-work'}: it does not exist"
    return serve(tmp / "data"), line, {"TEXRENDER_WORK_DIR": str(tmp / "no-work")}


def format_folder_that_cannot_be_made(tmp: Path) -> tuple[list[str], str, dict[str, str]]:
    formats = "/proc/texrender-test/formats"
    line = f"cannot use the format folder {formats}"
    return serve(tmp / "data"), line, {"TEXRENDER_FORMAT_DIR": formats}


def address_not_of_this_machine(tmp: Path) -> tuple[list[str], str, dict[str, str]]:
    # TEST-NET-3 (RFC 5737): never an address of this machine. Auth stays on (not loopback).
    argv = serve(tmp / "data", bind="203.0.113.7:8000")
    return argv, "cannot listen on 203.0.113.7:8000: Cannot assign requested address", {}


def data_under_a_file_with_two_workers(tmp: Path) -> tuple[list[str], str, dict[str, str]]:
    argv, line, env = data_under_a_file(tmp)
    return [*argv, "--workers", "2"], line, env


CASES: dict[str, tuple[Case, str]] = {
    "data-under-a-file": (data_under_a_file, "TEXRENDER_DATA_DIR or --data-dir"),
    "data-is-a-file": (data_is_a_file, "TEXRENDER_DATA_DIR or --data-dir"),
    "data-cannot-be-made": (data_where_nothing_can_be_made, "TEXRENDER_DATA_DIR or --data-dir"),
    "newer-database": (database_from_a_newer_texrender, "TEXRENDER_DATA_DIR or --data-dir"),
    "not-a-database": (database_that_is_not_one, "TEXRENDER_DATA_DIR or --data-dir"),
    "missing-templates": (missing_templates, "TEXRENDER_TEMPLATE_DIRS or --templates"),
    "missing-work-folder": (missing_work_folder, "set TEXRENDER_WORK_DIR)"),
    "format-folder": (format_folder_that_cannot_be_made, "set TEXRENDER_FORMAT_DIR)"),
    "foreign-address": (address_not_of_this_machine, "TEXRENDER_BIND or --bind"),
    "two-workers": (data_under_a_file_with_two_workers, "TEXRENDER_DATA_DIR or --data-dir"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_start_up_failure_is_one_line(case: str, tmp_path: Path) -> None:
    make, setting = CASES[case]
    argv, expected, variables = make(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXRENDER_")} | variables
    result = subprocess.run(
        [TEXRENDER, *argv], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"texrender: {expected}"), result.stderr
    assert setting in result.stderr


def test_an_address_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        result = subprocess.run(
            [TEXRENDER, "--auth", "off", *serve(tmp_path / "data", bind=address)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1, result.stderr
    assert result.stderr == (
        f"texrender: cannot listen on {address}: Address already in use "
        "(set TEXRENDER_BIND or --bind)\n"
    )


READ_ONLY_FORMATS = """
import sys
from pathlib import Path
from server.settings import Settings
from server.startup import StartupFailed, check_folders
folder = Path(sys.argv[1])
check_folders(Settings(format_dir=folder))  # read-only: accepted, its formats used as they are
try:
    check_folders(Settings(format_dir=folder / "missing"))
except StartupFailed as exc:
    print(exc)
"""


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="a read-only bind mount needs root and unshare",
)
def test_a_read_only_format_folder_is_used_as_it_is(tmp_path: Path) -> None:
    # A container image's formats, built in and mounted read-only with the rest of the image;
    # a folder that does not exist on a read-only file system is still a start-up failure.
    folder = tmp_path / "formats"
    folder.mkdir()
    mount = (
        f'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && '
        f'exec {shlex.quote(sys.executable)} -c "$2" "$1"'
    )
    unshare = ["unshare", "--mount", "--propagation", "private"]
    result = subprocess.run(
        [*unshare, "sh", "-c", mount, "sh", str(folder), READ_ONLY_FORMATS],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[3],
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"cannot use the format folder {folder / 'missing'}: Read-only file system"
    ), result.stdout
