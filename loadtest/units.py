"""Parsing of the small values people type on a command line: durations and template mixes,
shared by the harness's command line (:mod:`loadtest.cli`) and the soak's.

Plain functions, so they can be tested in a table, and the same as argparse types
(:func:`duration_type`, :func:`mix_type`) whose usage error says what was wrong.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_DURATION = re.compile(r"\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>us|µs|ms|s|m|h)?\s*")
_SECONDS_PER_UNIT = {
    None: 1.0,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_duration(text: str) -> float:
    """Seconds from ``"50ms"``, ``"0.05"`` (bare numbers are seconds), ``"1s"``, ``"2m"``.

    Raises:
        ValueError: not a positive, finite duration in a known unit.
    """
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (try 50ms, 0.05, 1s, 2m)")
    seconds = float(match["number"]) * _SECONDS_PER_UNIT[match["unit"]]
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"a duration must be more than zero: {text!r}")
    return seconds


def parse_mix(text: str) -> dict[str, float]:
    """Template weights from ``"echo=3,resume-classic=1"``; a name without ``=`` weighs 1.

    Raises:
        ValueError: empty, a repeated name, or a weight that is not a positive number.
    """
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, sep, raw_weight = part.strip().partition("=")
        name = name.strip()
        if not name:
            raise ValueError(f"a template name is missing in the mix {text!r}")
        if name in weights:
            raise ValueError(f"template {name!r} appears twice in the mix")
        try:
            weight = float(raw_weight) if sep else 1.0
        except ValueError:
            raise ValueError(f"weight of {name!r} is not a number: {raw_weight!r}") from None
        if not math.isfinite(weight) or weight <= 0:
            raise ValueError(f"weight of {name!r} must be more than zero")
        weights[name] = weight
    return weights


def argument_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """``parse`` as an argparse type: its ``ValueError`` becomes a usage error with its own
    message (argparse alone would only say the value is invalid)."""

    def typed(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return typed


duration_type = argument_type(parse_duration)
mix_type = argument_type(parse_mix)
