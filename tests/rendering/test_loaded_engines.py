"""The loaded engines' start-up when their shim cannot be had: logged, never a failure of the
service's start (renders then start TeX afresh). Their real use is tested against a server
(tests/server/test_loaded_engines.py) and the pool itself in typesetting/test_zygote.py."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
import trio

from rendering.loaded_engines import LoadedEngines
from rendering.typesetting import ZygoteStatistics


async def test_a_formats_folder_the_shim_cannot_be_written_to_turns_them_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if shutil.which("cc") is None:
        pytest.skip("no C compiler: the shim is not built at all")
    not_a_folder = tmp_path / "formats"
    not_a_folder.write_text("a file where the folder should be")
    loaded = LoadedEngines([], not_a_folder)
    with trio.fail_after(30), caplog.at_level(logging.WARNING, logger="texrender"):
        await loaded.serve()  # returns: nothing to serve
    assert "loaded engines off: their shim cannot be written to" in caplog.text
    assert loaded.statistics() == ZygoteStatistics()


async def test_a_prebuilt_shim_that_is_missing_turns_them_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loaded = LoadedEngines([], tmp_path, shim=tmp_path / "missing.so")
    with trio.fail_after(5), caplog.at_level(logging.WARNING, logger="texrender"):
        await loaded.serve()
    assert f"the shim {tmp_path / 'missing.so'} does not exist" in caplog.text
