"""The soak (``make soak``): its pure logic in milliseconds (the seeded mix, the table of
documented statuses, the verdict from start and end figures), and one short real run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from loadtest import soak
from loadtest.record import Recorder
from loadtest.soak import (
    DEFAULT_WEIGHTS,
    DOCUMENTED,
    MIB,
    Bodies,
    Figures,
    Mix,
    StopResult,
    Thresholds,
    arrival_rate,
    undocumented,
    verdict,
)

SAMPLE = {"basics": {"name": "Ada Lovelace", "summary": "Engines."}}


def picks(mix: Mix, n: int) -> list[str]:
    return [mix.next_kind() for _ in range(n)]


def test_mix_sends_every_kind_first_then_draws_by_weight() -> None:
    mix = Mix(DEFAULT_WEIGHTS, seed=3)
    sequence = picks(mix, 20_000)
    assert sequence[: len(DEFAULT_WEIGHTS)] == list(DEFAULT_WEIGHTS)
    counts = Counter(sequence[len(DEFAULT_WEIGHTS) :])
    total = sum(DEFAULT_WEIGHTS.values())
    for kind, weight in DEFAULT_WEIGHTS.items():
        assert counts[kind] / 20_000 == pytest.approx(weight / total, abs=0.015), kind


def test_mix_is_deterministic_for_a_seed() -> None:
    assert picks(Mix(DEFAULT_WEIGHTS, seed=1), 500) == picks(Mix(DEFAULT_WEIGHTS, seed=1), 500)
    assert picks(Mix(DEFAULT_WEIGHTS, seed=1), 500) != picks(Mix(DEFAULT_WEIGHTS, seed=2), 500)


def test_mix_refuses_a_zero_weight() -> None:
    with pytest.raises(ValueError, match="positive"):
        Mix({"good": 1, "invalid": 0}, seed=0)


def test_rate_puts_the_tex_kinds_at_the_load() -> None:
    mix = Mix(DEFAULT_WEIGHTS, seed=0)
    assert mix.tex_share() == pytest.approx(0.6)
    rate = arrival_rate(10.0, 0.8, mix.tex_share())
    assert rate * mix.tex_share() == pytest.approx(8.0)


def test_every_kind_has_documented_statuses_and_500_is_never_one() -> None:
    assert set(DEFAULT_WEIGHTS) | {"healthz", "capacity"} == set(DOCUMENTED)
    for kind, statuses in DOCUMENTED.items():
        assert statuses, kind
        assert "500" not in statuses, kind
        assert not {"timeout", "unfinished"} & statuses, kind
    # Refused for load before its data is read, bad data too; it never waits in the queue.
    assert DOCUMENTED["nested"] == {"400", "429"}
    assert "503" not in DOCUMENTED["invalid"]
    assert DOCUMENTED["too-large"] >= {"413"}
    assert "aborted" in DOCUMENTED["aborted"]


def test_undocumented_names_only_what_the_table_does_not_have() -> None:
    counts = {
        "good": {"200": 90, "429": 2, "500": 1},
        "nested": {"400": 3, "422": 1},
        "invalid": {"422": 5},
        "no-such-kind": {"200": 1},
        "aborted": {"aborted": 4, "timeout": 0},
    }
    assert undocumented(counts) == {
        "good": {"500": 1},
        "nested": {"422": 1},
        "no-such-kind": {"200": 1},
    }


def test_bodies_of_each_kind() -> None:
    bodies = Bodies(SAMPLE, "run1")
    requests = {kind: bodies.for_kind(kind) for kind in DEFAULT_WEIGHTS}
    assert requests["aborted"].path == "/v1/render/slow"
    assert requests["validate"].path == "/v1/validate/resume-classic"
    assert {r.path for k, r in requests.items() if k not in {"aborted", "validate"}} == {
        "/v1/render/resume-classic"
    }
    assert bodies.for_kind("good").body != bodies.for_kind("good").body
    assert bodies.for_kind("cache-hit").body == requests["cache-hit"].body
    assert len(requests["too-large"].body) > 2 * MIB
    assert requests["nested"].body.startswith(b"[" * 100)
    assert len(json.loads(requests["too-long"].body)["basics"]["name"]) == 16_000

    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    for body in bodies.not_json:
        with pytest.raises(ValueError, match=r"Expecting|codec|NaN"):  # NaN: Python reads it
            json.loads(body, parse_constant=refuse)
    with pytest.raises(KeyError):
        bodies.for_kind("nope")


CLEAN = Figures(rss_bytes=60 * MIB, open_fds=15, work_entries=0, tex_processes=0)
GONE = Figures(None, None, work_entries=0, tex_processes=0, source="exited")


def test_verdict_passes_a_clean_soak() -> None:
    end = Figures(rss_bytes=140 * MIB, open_fds=65, work_entries=0, tex_processes=0)  # limits
    stop = StopResult(exit_s=0.5, returncode=0, killed=False)
    assert verdict(CLEAN, end, bad_statuses={}, after_exit=GONE, stop=stop) == []


@pytest.mark.parametrize(
    ("end", "after_exit", "stop", "expected"),
    [
        (Figures(60 * MIB, 15, 2, 0), GONE, None, "2 entries left in the work directory at the"),
        (Figures(60 * MIB, 15, 0, 1), GONE, None, "1 TeX processes alive at the end"),
        (CLEAN, Figures(None, None, 1, 0), None, "left in the work directory after the server"),
        (CLEAN, Figures(None, None, 0, 3), None, "3 TeX processes alive after the server exited"),
        (Figures(141 * MIB, 15, 0, 0), GONE, None, "RSS grew from 60.0 MiB to 141.0 MiB"),
        (Figures(None, 15, 0, 0), GONE, None, "RSS could not be measured"),
        (Figures(60 * MIB, 66, 0, 0), GONE, None, "open descriptors grew from 15 to 66"),
        (CLEAN, GONE, StopResult(30.0, -9, killed=True), "not gone 30.0 s after SIGTERM"),
    ],
)
def test_verdict_fails_on_each_leak(
    end: Figures, after_exit: Figures, stop: StopResult | None, expected: str
) -> None:
    failures = verdict(CLEAN, end, bad_statuses={}, after_exit=after_exit, stop=stop)
    assert len(failures) == 1
    assert expected in failures[0]


def test_verdict_fails_on_undocumented_statuses_and_unsent_kinds() -> None:
    failures = verdict(
        CLEAN, CLEAN, bad_statuses={"good": {"500": 2}}, unsent=["too-large"], after_exit=GONE
    )
    assert failures == [
        "good: 2 x 500, not documented (documented: 200, 429, 503)",
        "too-large: never sent (run too short?)",
    ]


def test_verdict_thresholds_can_be_tightened() -> None:
    end = Figures(70 * MIB, 15, 0, 0)
    assert verdict(CLEAN, end, bad_statuses={}) == []
    strict = Thresholds(rss_factor=1.0, rss_slack_bytes=MIB, fd_slack=0)
    assert "RSS grew" in verdict(CLEAN, end, bad_statuses={}, thresholds=strict)[0]


def test_weights_change_some_kinds_and_refuse_unknown_ones() -> None:
    args = soak.build_parser().parse_args(["--weights", "good=20,aborted=10", "--seed", "4"])
    config = soak.config_from(args)
    assert config.weights == {**DEFAULT_WEIGHTS, "good": 20.0, "aborted": 10.0}
    assert config.duration_s == 600.0
    assert config.load == 0.8
    assert soak.main(["--weights", "bogus=1"]) == 2


@pytest.mark.tex
def test_a_short_soak_passes(tmp_path: Path) -> None:
    """A real server, real TeX: capacity, then 4 s of the whole mix. ``good`` weighs less
    than by default so the cheap kinds raise the arrival rate: every kind is surely sent."""
    report = tmp_path / "soak.json"
    argv = ["--duration", "4s", "--capacity-duration", "2s", "--settle", "1s", "--seed", "7"]
    argv += ["--weights", "good=20", "--quiet", "--json", str(report)]
    assert soak.main(argv) == 0
    summary = json.loads(report.read_text())
    assert summary["verdict"] == {
        "passed": True,
        "failures": [],
        "thresholds": summary["verdict"]["thresholds"],
    }
    assert summary["server"]["url"].startswith("http://127.0.0.1:")
    assert summary["capacity"]["renders_per_s"] > 0
    for kind, row in summary["kinds"].items():
        assert row["sent"] >= 1, kind
    assert summary["undocumented"] == {}
    figures = summary["figures"]
    assert figures["end"]["work_entries"] == figures["end"]["tex_processes"] == 0
    assert summary["stop"]["killed"] is False


def test_latency_of_a_kind_counts_errors_and_successes() -> None:
    recorder = Recorder(0.0)
    for latency_s, status in [(0.1, "200"), (0.2, "200"), (0.3, "400")]:
        recorder.on_sent(0.0, 0.0)
        recorder.on_done(1.0, latency_s, status)
    summary = soak.all_answers(recorder)
    assert summary["count"] == 3
    assert summary["min"] == pytest.approx(100, rel=0.01)
    assert summary["max"] == pytest.approx(300, rel=0.01)
