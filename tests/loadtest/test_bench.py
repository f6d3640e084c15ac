"""The bench's arithmetic: TeX runs and CPU seconds from /metrics, what a render and a refusal
cost the server; and fair sharing between keys: its pieces alone (the key from ``keys
create``, a probe round's figures, the ratio, the report's section) and one short real run
against a server with auth on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadtest.bench import (
    FairnessPlan,
    fairness,
    fairness_markdown,
    fairness_ratio,
    fairness_section,
    markdown,
    parse_key,
    phase_summary,
    refusal_cpu_ms,
    render_cpu_ms,
    tex_counters,
)
from loadtest.bench._errors import BenchError
from loadtest.drive import Answer
from loadtest.record import parse_prometheus
from server.settings import DEFAULT_TEMPLATES_DIR

from ..conftest import TEST_TEMPLATES_DIR
from .test_record import exposition


def test_bench_counts_tex_runs_over_templates() -> None:
    text = exposition(renders=0, waits=[], cpu_s=2.25, runs={"echo": 2, "resume-classic": 3})
    assert tex_counters(parse_prometheus(text)) == {"cpu_s": 2.25, "tex_runs": 5}
    assert tex_counters({})["tex_runs"] == 0


def test_the_cost_of_a_refusal_is_what_is_left_after_the_renders_and_probes() -> None:
    run = {
        "status_counts": {"200": 10, "429": 100},
        "server_cpu": {"cpu_s": 0.51, "ok": 10},
        "probe": {"latency_ms": {"count": 20}},
    }
    # (510 - 20 probes x 3 - 10 renders x 20) / 100
    assert refusal_cpu_ms(run, per_render_ms=20.0, floor_ms=3.0) == pytest.approx(2.5)
    assert render_cpu_ms(run, floor_ms=3.0) == pytest.approx(45.0)  # (510 - 60) / 10
    assert refusal_cpu_ms({**run, "status_counts": {"200": 10}}, 20.0, 3.0) is None


# --- fair sharing between keys: the pieces ---------------------------------------------------

SECRET = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"
KEY = f"trk_0123456789abcdef_{SECRET}"
# Any whole texrender key (not only those made here), to check none is written down.
ANY_KEY = re.compile(r"trk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")


@pytest.mark.parametrize(
    "stdout",
    [
        f"{KEY}\n",  # what `texrender keys create` prints today
        f"\n  {KEY}  \n\n",
        f"key: {KEY} (shown once)\n",
        f"created\n{KEY}\n",
    ],
)
def test_the_key_is_found_in_what_keys_create_prints(stdout: str) -> None:
    assert parse_key(stdout) == KEY


def test_a_key_of_another_form_alone_on_its_line_is_taken() -> None:
    assert parse_key("sk-live-1234\n") == "sk-live-1234"


@pytest.mark.parametrize("stdout", ["", "\n", "no key here\n", f"{KEY}\ntrk_1_2\n", "a\nb\n"])
def test_no_key_or_two_keys_is_an_error_that_shows_no_secret(stdout: str) -> None:
    with pytest.raises(BenchError, match="cannot find the key") as caught:
        parse_key(stdout)
    assert SECRET not in str(caught.value)


def test_the_ratio_is_flooded_p99_over_idle_p99_plus_one_render() -> None:
    assert fairness_ratio(600.0, 200.0, 100.0) == pytest.approx(2.0)
    assert fairness_ratio(450.0, 200.0, 100.0) == pytest.approx(1.5)
    assert fairness_ratio(913.4, 202.2, 89.8) == pytest.approx(3.128, abs=0.001)
    assert fairness_ratio(None, 200.0, 100.0) is None
    assert fairness_ratio(600.0, None, 100.0) is None
    assert fairness_ratio(600.0, 200.0, None) is None
    assert fairness_ratio(600.0, 0.0, 0.0) is None


def answers(
    latencies_ms: list[float], *, tex_ms: float = 100.0, queue_ms: float = 0.0
) -> list[Answer]:
    return [Answer(ms / 1000, "200", None, tex_ms, queue_ms) for ms in latencies_ms]


def test_a_probe_round_counts_successes_only_in_its_latency() -> None:
    round_ = [
        *answers([100.0 + n for n in range(9)], tex_ms=90.0, queue_ms=5.0),
        Answer(0.004, "429", "queue-full"),
        Answer(30.0, "timeout"),
    ]
    summary = phase_summary(round_)
    assert (summary["sent"], summary["ok"]) == (11, 9)
    assert summary["latency_ms"]["count"] == 9
    assert summary["latency_ms"]["p50"] == pytest.approx(104.0, rel=0.01)
    assert summary["latency_ms"]["p99"] == pytest.approx(108.0, rel=0.01)
    assert summary["status_counts"] == {"200": 9, "429": 1, "timeout": 1}
    assert summary["problem_types"] == {"429": {"queue-full": 1}}
    assert summary["tex_ms"] == {"count": 9, "p50": 90.0, "max": 90.0}
    assert summary["queue_ms"]["p50"] == 5.0
    assert summary["renders"][9] == [4.0, "429", None, None]


def fair_results(flooded_p99: float, probe_429: int = 0) -> dict[str, Any]:
    """A fairness step's results as :func:`fairness` gives them, built from made-up rounds."""
    from loadtest.bench._fairness import verdict

    idle = phase_summary(answers([100.0] * 19 + [200.0]))
    flooded = phase_summary(
        answers([300.0] * 19 + [flooded_p99], queue_ms=90.0)
        + [Answer(0.002, "429", "owner-queue-full")] * probe_429
    )
    return {
        "template": "echo",
        "plan": {"renders": 20, "flood_clients": 64, "settle_s": 2.0},
        "server": {"render_slots": 2, "serve_flags": []},
        "idle": idle,
        "flooded": flooded,
        "render_ms": 100.0,
        "tex_mean_ms_metrics": 101.0,
        **verdict(idle, flooded, 100.0, 20),
        "flood": {
            "ok_per_s": 9.5, "window_s": 14.2, "ok": 135, "sent": 2100,
            "refused_by_type": {"owner-queue-full": 1900, "queue-full": 1},
            "status_counts": {"200": 135, "429": 1901, "unfinished": 64},
        },
        "elapsed_s": 25.0,
    }  # fmt: skip


def test_the_verdict_holds_the_ratio_and_the_probes_429s() -> None:
    met = fair_results(flooded_p99=590.0)
    assert met["ratio"] == pytest.approx(590 / 300, abs=0.001)
    assert (met["probe_429"], met["probe_not_rendered"], met["met"]) == (0, 0, True)
    slow = fair_results(flooded_p99=610.0)
    assert slow["ratio"] > 2
    assert slow["met"] is False
    refused = fair_results(flooded_p99=590.0, probe_429=2)
    assert refused["probe_429"] == 2
    assert refused["met"] is False


def test_the_report_section_has_every_figure() -> None:
    text = "\n".join(fairness_section(fair_results(flooded_p99=590.0)))
    assert "## Fair sharing between keys" in text
    assert "| idle | 20 | 20 | 100 | 200 | 200 | 0.0 / 0.0 | 200: 20 |" in text
    assert "| flooded (64 clients) | 20 | 20 | 300 | 590 | 590 | 90.0 / 90.0 | 200: 20 |" in text
    assert "one render time: 100 ms, the median `Server-Timing: tex`" in text
    assert "= 590 ÷ (200 + 100) = **1.97** (target ≤ 2)" in text
    assert "429s under the flood: **0** (target 0)" in text
    assert "target **met**" in text
    assert "owner-queue-full: 1900, queue-full: 1" in text
    assert "9.50 renders/s" in text
    refused = "\n".join(fairness_section(fair_results(flooded_p99=590.0, probe_429=2)))
    assert "**2** (target 0)" in refused
    assert "target **missed**" in refused


def test_the_section_goes_into_results_md_and_alone_into_fairness_md() -> None:
    machine = {
        "date": "2026-12-05T12:00:00+00:00", "cpu_model": "CPU", "nproc": 2,
        "tex_version": "pdfTeX", "python_version": "3.11.7",
    }  # fmt: skip
    alone = fairness_markdown({"machine": machine, "fairness": fair_results(590.0)})
    assert alone.startswith("# texrender benchmark: fair sharing\n")
    assert "## Fair sharing between keys" in alone
    limit = {"cpu_s": 0.1, "cpu_s_samples": [0.1], "renders_per_s": 20.0}
    results = {
        "machine": machine,
        "machine_limit": {"plain": limit, "format": limit},
        "template": "echo",
        "duration_s": 25.0,
        "server": {"render_slots": 2},
        "rows": [],
        "runs": {},
    }
    assert "Fair sharing" not in markdown(results)
    whole = markdown({**results, "fairness": fair_results(590.0)})
    assert whole.index("Latency is per request") < whole.index("## Fair sharing between keys")


# --- fair sharing between keys: one short real run -------------------------------------------


@pytest.mark.tex
def test_a_short_fairness_run_against_a_server_with_auth_on(tmp_path: Path) -> None:
    """Keys made with ``texrender keys create``, a ``texrender serve`` with auth on (one slot,
    a queue of four, an owner's share of it two), four probe renders idle and four beside eight
    hostile clients of the other key, more than the queue holds: every figure is there, the
    flood was refused (each 429 counted by its problem type), the probe key never was, and no
    key is written down."""
    plan = FairnessPlan(
        renders=4, flood_clients=8, warmup=1, settle_s=0.5, budget_s=15.0, timeout_s=15.0,
        serve_flags=("--queue-max", "4", "--owner-queue-max", "2"),
    )  # fmt: skip
    flags = ["--templates", str(TEST_TEMPLATES_DIR), "--slots", "1"]
    data = TEST_TEMPLATES_DIR / "echo" / "sample.json"
    found = fairness(flags, "echo", data, tmp_path, plan)
    assert found["server"]["auth"] == "on"
    assert found["server"]["render_slots"] == 1
    assert set(found["keys"]) == {"probe", "flood"}
    assert all(label.startswith("trk_") for label in found["keys"].values())
    for phase in ("idle", "flooded"):
        assert found[phase]["sent"] == found[phase]["ok"] == 4, found[phase]["status_counts"]
        assert found[phase]["latency_ms"]["p50"] > 0
        assert found[phase]["latency_ms"]["p99"] >= found[phase]["latency_ms"]["p50"]
        assert found[phase]["tex_ms"]["count"] == 4
    assert found["render_ms"] > 0
    assert found["ratio"] == pytest.approx(
        found["flooded"]["latency_ms"]["p99"]
        / (found["idle"]["latency_ms"]["p99"] + found["render_ms"]),
        abs=0.001,
    )
    assert found["probe_429"] == 0
    flood = found["flood"]
    assert flood["ok"] > 0
    refused = flood["refused_by_type"]
    assert sum(refused.values()) == flood["status_counts"]["429"] > 0
    assert set(refused) <= {"owner-queue-full", "queue-full"}
    assert flood["readyz_peaks"]["samples"] > 0
    assert found["elapsed_s"] < 30
    assert not ANY_KEY.search(json.dumps(found))
    text = "\n".join(fairness_section(found))
    assert "flooded p99 ÷ (idle p99 + one render time)" in text


# --- the figures issue 25 asks for ------------------------------------------------------------


def row(name: str, clients: int, ok_per_s: float, probe_p99_ms: float) -> dict[str, Any]:
    return {
        "run": name, "description": name, "clients": clients, "unique": True,
        "ok_per_s": ok_per_s, "of_format_limit": 0.5, "of_plain_limit": 1.0, "p50_ms": 100.0,
        "p99_ms": 200.0, "probe_p50_ms": 3.0, "probe_p99_ms": probe_p99_ms,
        "server_ms_per_tex_run": 6.0, "server_ms_per_response": 6.0, "errors_by_status": {},
        "refused_p99_ms": None, "server_ms_per_429": 0.4, "polite": name != "e",
    }  # fmt: skip


def test_the_hostile_run_is_held_against_the_8_client_run_and_the_scripts_are_each_shown() -> None:
    limit = {"cpu_s": 0.1, "cpu_s_samples": [0.1], "renders_per_s": 20.0}
    scripts = {
        name: {"cpu_s": cpu, "cpu_s_samples": [cpu], "renders_per_s": 2 / cpu}
        for name, cpu in (("Cyrillic", 0.5), ("Greek", 0.45), ("CJK", 0.9), ("Arabic", 0.6))
    }
    results = {
        "machine": {
            "date": "2026-12-05T12:00:00+00:00", "cpu_model": "CPU", "nproc": 2,
            "tex_version": "pdfTeX", "python_version": "3.11.7",
        },
        "machine_limit": {"plain": limit, "format": limit, "unicode_scripts": scripts},
        "template": "echo",
        "duration_s": 25.0,
        "server": {"render_slots": 2, "floor_cpu_ms": 1.0},
        "harness": {
            "niced": True, "load_generator_niceness": 10, "server_and_probe_niceness": 0,
            "restored": True,
        },
        "rows": [row("a", 4, 18.0, 9.0), row("h", 8, 18.0, 9.5), row("e", 64, 17.1, 20.0)],
        "runs": {},
    }  # fmt: skip
    text = markdown(results)
    assert "good renders/s **0.95 x** (target ≥ 0.9), /healthz p99 **20.0 ms**" in text
    assert "run h (8 clients, nothing refused: 18.00 renders/s" in text
    assert "niceness 10, the servers and the health probes at 0" in text
    for shown in ("Cyrillic 0.500 (**5.00 x**)", "CJK 0.900 (**9.00 x**)", "Arabic"):
        assert shown in text
    assert "Greek 0.450 (**4.50 x**)" in text


def test_the_load_generator_is_niced_and_its_servers_and_probes_are_not() -> None:
    script = (
        "import os, subprocess, sys\n"
        "from loadtest.drive import nice_load_generator, restore_priority, separation\n"
        "base = os.getpriority(os.PRIO_PROCESS, 0)\n"
        "nice_load_generator()\n"
        "child = subprocess.run([sys.executable, '-c', "
        "'import os; print(os.getpriority(os.PRIO_PROCESS, 0))'], preexec_fn=restore_priority, "
        "capture_output=True, text=True, check=True)\n"
        "print(base, os.getpriority(os.PRIO_PROCESS, 0), int(child.stdout), "
        "separation()['restored'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TEXRENDER_LOADGEN_BASE_NICENESS"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    base, niced, child, restored = int(out[0]), int(out[1]), int(out[2]), out[3] == "True"
    assert niced == 19
    assert child == (base if restored else niced)


def test_tex_cpu_per_render_in_a_server_is_measured_per_script_from_its_loaded_engines(
    tmp_path: Path,
) -> None:
    """A real ``texrender serve``: the Latin sample and each other script rendered in turns,
    every measured render forked from a loaded engine, each with a TeX CPU of its own (the
    Unicode path's more than the fast path's), and the figures shown in results.md."""
    from loadtest.bench._tex_in_server import tex_in_server
    from loadtest.drive import TEXRENDER, serving, wait_ready

    data = DEFAULT_TEMPLATES_DIR / "resume-classic" / "sample.json"
    argv = [str(TEXRENDER), "--auth", "off", "--data-dir", str(tmp_path / "data")]
    with serving([*argv, "serve", "--bind", "127.0.0.1:0"]) as server:
        url = server.wait_for_url()
        wait_ready(url)
        found = tex_in_server(url, server.process.pid, "resume-classic", data, renders=2)
    assert found["renders"] == 2
    assert found["forked"] == 2 * len(found["cpu_s"])
    assert found["declined"] == 0
    assert set(found["cpu_s"]) == {"fast", "cyrillic", "greek", "chinese", "arabic"}
    assert all(cpu > 0.005 for cpu in found["cpu_s"].values()), found
    assert found["cpu_s"]["chinese"] > found["cpu_s"]["fast"]
    assert found["of_fast"]["fast"] == 1.0
    limit = {"cpu_s": 0.1, "cpu_s_samples": [0.1], "renders_per_s": 20.0}
    text = markdown(
        {
            "machine": {
                "date": "2026-12-05T12:00:00+00:00", "cpu_model": "CPU", "nproc": 2,
                "tex_version": "pdfTeX", "python_version": "3.11.7",
            },
            "machine_limit": {"plain": limit, "format": limit},
            "template": "resume-classic",
            "duration_s": 25.0,
            "server": {"render_slots": 2, "floor_cpu_ms": 1.0},
            "harness": {},
            "rows": [row("a", 4, 18.0, 9.0)],
            "runs": {},
            "tex_in_server": found,
        }
    )  # fmt: skip
    assert f"{found['forked']:.0f} of {found['forked']:.0f} TeX runs forked" in text
    assert f"fast path {found['cpu_s']['fast']:.3f} CPU-s" in text
    assert "cold throughput (run a) ÷ it:" in text
