"""Showing a run: the timeline's plot, and two saved runs compared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from loadtest import cli
from loadtest.report import plot_timeline


def red_pixels(png: Path) -> int:
    """Pixels of the colour the error bars are drawn in (matplotlib's ``tab:red``)."""
    image = pytest.importorskip("matplotlib.image").imread(png)
    red = (0xD6 / 255, 0x27 / 255, 0x28 / 255)
    close = (abs(image[..., :3] - red) < 0.02).all(axis=-1)
    return int(close.sum())


def test_plot_draws_the_timeline(tmp_path: Path) -> None:
    """A PNG of the figure's size, whose error bars show when (and only when) there were
    errors; the legend's red patch is there either way, so compare the two."""
    pytest.importorskip("matplotlib")
    drawn = {}
    for errors in (0, 3):
        rows = [
            {"second": s, "sent": 5, "ok": 4, "errors": errors, "p50": 10.0 * s,
             "p99": 30.0 * s, "probe_p99": None if s == 1 else 1.5}
            for s in range(4)
        ]  # fmt: skip
        result = {"settings": {"url": "http://x", "mode": "open", "rate": 5}, "timeline": rows}
        path = tmp_path / f"errors-{errors}.png"
        plot_timeline(result, path)
        head = path.read_bytes()[:24]
        assert head.startswith(b"\x89PNG")
        assert (int.from_bytes(head[16:20]), int.from_bytes(head[20:24])) == (1000, 800)
        drawn[errors] = red_pixels(path)
    assert drawn[3] > drawn[0] + 10_000


def report(throughput: float, p50: float, errors: float, probe_p99: float) -> dict[str, Any]:
    latency = {"p50": p50, "p90": p50 * 2, "p99": p50 * 3, "p99.9": p50 * 4, "max": p50 * 5}
    return {
        "throughput_ok_per_s": throughput,
        "latency_ms": {**latency, "mean": p50, "count": 100},
        "error_rate": errors,
        "probe": {"latency_ms": {"p99": probe_p99}},
    }


def test_compare_prints_ratios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(report(10.0, 100.0, 0.0, 2.0)))
    b.write_text(json.dumps(report(20.0, 50.0, 0.01, 8.0)))
    assert cli.main(["compare", str(a), str(b)]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = {line.split("│")[1].strip(): line for line in lines if line.count("│") >= 4}
    assert "2.00x" in row["throughput (ok/s)"]
    assert "0.50x" in row["latency p99 (ms)"]
    assert "4.00x" in row["probe p99 (ms)"]
    assert "∞" in row["error rate (%)"]


def test_compare_refuses_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    a.write_text("[]")
    assert cli.main(["compare", str(a), str(a)]) == 2
