"""The cluster step's pieces: HAProxy's example configuration moved to other ports (the tests'
fixture and the bench both run it so) and balanced round robin for comparison, each checked
by haproxy itself; and the report's section. The step's real run is ``make bench``'s."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from loadtest.bench import cluster_markdown, markdown
from loadtest.drive import HAPROXY, ConfigChanged, moved_config, renders_balanced_by
from loadtest.drive._haproxy import EXAMPLE

PORTS = [18001, 18002, 18003]


def moved(tmp_path: Path) -> str:
    return moved_config(EXAMPLE.read_text(), tmp_path, 18000, 18404, PORTS)


def haproxy_accepts(config: str, tmp_path: Path) -> None:
    if HAPROXY is None:
        pytest.skip("haproxy is not installed (Debian's haproxy package)")
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    checked = subprocess.run([HAPROXY, "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_example_is_moved_to_the_ports_given(tmp_path: Path) -> None:
    config = moved(tmp_path)
    for old in ("bind :8000", "127.0.0.1:8001", "127.0.0.1:8003", ":8404", "socket /run/"):
        assert old not in config
    assert "bind 127.0.0.1:18000" in config
    assert f"stats socket {tmp_path / 'stats.sock'}" in config
    assert config.count("127.0.0.1:18002") == 3  # checked, and tracked by two backends
    haproxy_accepts(config, tmp_path)


def test_an_example_without_a_line_to_move_is_refused(tmp_path: Path) -> None:
    example = EXAMPLE.read_text().replace("bind :8000", "bind :9000")
    with pytest.raises(ConfigChanged, match="bind"):
        moved_config(example, tmp_path, 18000, 18404, PORTS)


def test_only_the_render_backend_is_balanced_round_robin(tmp_path: Path) -> None:
    config = moved(tmp_path)
    changed = renders_balanced_by(config, "roundrobin")
    differ = [
        (a, b) for a, b in zip(config.splitlines(), changed.splitlines(), strict=True) if a != b
    ]
    assert differ == [("    balance hash req.body", "    balance roundrobin")]
    haproxy_accepts(changed, tmp_path)
    with pytest.raises(ConfigChanged):
        renders_balanced_by(config.replace("backend texrender_renders", "backend x"), "first")


def row(run: str, ok: int, without_tex: int, redis: int) -> dict[str, object]:
    return {
        "run": run, "renders_per_s": ok / 10, "rounds_renders_per_s": [ok / 9, ok / 11],
        "latency_ms": {"p50": 210.0, "p99": 990.0},
        "status_counts": {"200": ok, "502": 1}, "cache_hit_ratio": without_tex / ok,
        "cross_instance_hit_ratio": redis / ok, "tex_runs": ok - without_tex,
    }  # fmt: skip


CLUSTER = {
    "template": "resume-classic",
    "plan": {"clients": 6, "duration_s": 10.0, "instance_slots": 1},
    "lone_instance_slots": 2,
    "haproxy_config": "deploy/haproxy/haproxy.cfg",
    "rows": [row("1 instance, directly", 90, 0, 0), row("3 instances, repeated", 200, 150, 40)],
    "elapsed_s": 99.0,
}
MACHINE = {
    "date": "2026-12-05", "cpu_model": "AMD EPYC", "nproc": 2, "tex_version": "pdfTeX",
    "python_version": "3.11.7",
}  # fmt: skip


def test_the_section_has_every_run_and_figure() -> None:
    text = cluster_markdown({"machine": MACHINE, "cluster": CLUSTER})
    rows = [
        "| 1 instance, directly | 9.00 | 10.0 / 8.2 | 210 | 990 | 502: 1 | 0% | 0% | 90 |",
        "| 3 instances, repeated | 20.00 | 22.2 / 18.2 | 210 | 990 | 502: 1 | 75% | 20% | 50 |",
    ]
    for row_text in rows:
        assert row_text in text
    assert "one instance alone (2 render slots) and three more (1 slot each)" in text.lower()


def test_the_section_goes_into_results_md_when_the_step_ran() -> None:
    full = {
        "machine": MACHINE,
        "machine_limit": {
            "plain": {"cpu_s": 0.25, "cpu_s_samples": [0.25], "renders_per_s": 8.0},
            "format": {"cpu_s": 0.1, "renders_per_s": 20.0},
        },
        "server": {"render_slots": 2},
        "template": "resume-classic",
        "duration_s": 25.0,
        "rows": [],
        "runs": {},
        "cluster": CLUSTER,
    }
    assert "## Many instances behind HAProxy" in markdown(full)
    assert "## Many instances behind HAProxy" not in markdown({**full, "cluster": None})
