"""What people type on a command line: durations and template mixes, as tables."""

from __future__ import annotations

import pytest

from loadtest.units import parse_duration, parse_mix


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("50ms", 0.05),
        ("0.05", 0.05),
        ("1s", 1.0),
        ("2m", 120.0),
        (" 1.5 s", 1.5),
        ("250us", 2.5e-4),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "0", "-1s", "fast", "5 days", "1e3"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_parse_mix() -> None:
    assert parse_mix("echo=3,resume-classic=1") == {"echo": 3.0, "resume-classic": 1.0}
    assert parse_mix("echo") == {"echo": 1.0}
    for bad in ["echo=0", "echo=x", "=2", "echo,echo"]:
        with pytest.raises(ValueError, match=r"\w"):
            parse_mix(bad)
