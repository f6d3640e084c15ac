"""What each kind sends: every body built once (a counter makes the unique ones unique), and
the path it goes to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..drive import TemplateBody
from ._config import MIB

RESUME = "resume-classic"
SLOW = "slow"
RENDER = f"/v1/render/{RESUME}"
VALIDATE = f"/v1/validate/{RESUME}"


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes


class Bodies:
    """Every kind's request, built once; a counter makes the unique ones unique (across runs
    too, by a run id, so a second soak on a warm server still renders)."""

    def __init__(self, sample: Any, run_id: str) -> None:
        self.run_id = run_id
        self.resume = TemplateBody.build(RESUME, sample, unique=True)
        self.slow = TemplateBody.build(SLOW, {"text": "soak: aborted render"}, unique=True)
        self.cached = self.resume.numbered(f"{run_id}-cache")
        self.invalid = [
            _json({"basics": "not an object"}),
            _json({"basics": {"email": 42}}),
            _json({"work": [{"highlights": {"not": "a list"}}]}),
            _json([1, 2, 3]),
        ]
        self.nested = b"[" * 100 + b"]" * 100
        self.too_long = _json({"basics": {"name": "x" * 16_000}})
        self.not_json = [b"\xff\xfe\x00 not json {", b'{"basics": ', b'{"basics": {"name": NaN}}']
        self.surrogates = [
            b'{"basics": {"name": "Ada \\udfff Lovelace"}}',
            b'{"\\ud800": {"\\udc00": ["\\ud800"]}, "basics": {"name": "x"}}',
        ]
        self.too_large = b'{"basics": {"summary": "' + b"x" * (2 * MIB) + b'"}}'
        self._counter = 0

    def for_kind(self, kind: str) -> Request:
        """Raises: KeyError for an unknown kind."""
        self._counter += 1
        n = self._counter
        tag = f"{self.run_id}-{n}"
        match kind:
            case "good":
                return Request(RENDER, self.resume.numbered(tag))
            case "cache-hit":
                return Request(RENDER, self.cached)
            case "invalid":
                return Request(RENDER, self.invalid[n % len(self.invalid)])
            case "nested":
                return Request(RENDER, self.nested)
            case "too-long":
                return Request(RENDER, self.too_long)
            case "not-json":
                return Request(RENDER, self.not_json[n % len(self.not_json)])
            case "surrogates":
                return Request(RENDER, self.surrogates[n % len(self.surrogates)])
            case "too-large":
                return Request(RENDER, self.too_large)
            case "aborted":
                return Request(f"/v1/render/{SLOW}", self.slow.numbered(tag))
            case "validate":
                return Request(VALIDATE, self.resume.numbered(tag))
        raise KeyError(kind)
