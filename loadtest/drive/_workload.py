"""What to send: request bodies for one template or a weighted mix, the same each time or each
one different (``--unique``), so a run can measure either TeX or the server's cache.

Bodies are serialised once; a unique body only splices a counter into a pre-built byte string,
so the client stays cheap at high rates.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

# A string no real document holds; JSON encodes it with escapes, so it can be found and replaced.
_SENTINEL = "\x00loadtest-unique\x00"
# Where a counter changes the PDF of a JSON Resume document (the usual case here).
_PREFERRED_PATHS: tuple[tuple[str, ...], ...] = (("basics", "summary"), ("basics", "name"))
# Strings that often have a format in a schema (email, uri, date): never the ones to change.
_FORMATTED_KEYS = frozenset(
    {"email", "url", "phone", "image", "date", "startDate", "endDate", "releaseDate",
     "countryCode", "postalCode", "username", "network", "language"}
)  # fmt: skip

JsonPath = tuple[str | int, ...]


class WorkloadError(Exception):
    """The bodies to send cannot be prepared (unknown template, unreadable data, no strings)."""


def _walk_strings(node: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk_strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk_strings(value, (*path, index))


def _get(node: Any, path: JsonPath) -> Any:
    for step in path:
        in_map = isinstance(step, str) and isinstance(node, Mapping) and step in node
        in_list = isinstance(step, int) and isinstance(node, list) and step < len(node)
        if not (in_map or in_list):
            return None
        node = node[step]
    return node


def unique_path(document: Any) -> JsonPath | None:
    """The string a counter is appended to: ``basics.summary`` or ``basics.name`` when present,
    else the first prose-like string depth first (keys like ``$schema`` or ``email`` change
    nothing visible or break a format), else the first string at all."""
    for preferred in _PREFERRED_PATHS:
        if isinstance(_get(document, preferred), str):
            return preferred
    fallback: JsonPath | None = None
    for path, _ in _walk_strings(document):
        keys = [step for step in path if isinstance(step, str)]
        if not any(k.startswith("$") or k in _FORMATTED_KEYS for k in keys):
            return path
        fallback = fallback or path
    return fallback


def _replace(node: Any, path: JsonPath, value: str) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, Mapping):
        return {k: _replace(v, rest, value) if k == head else v for k, v in node.items()}
    return [_replace(v, rest, value) if i == head else v for i, v in enumerate(node)]


def _dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class TemplateBody:
    """One template's body, ready to send: whole, or split around the string made unique."""

    template: str
    body: bytes
    head: bytes = b""
    tail: bytes = b""
    original: str = ""

    @classmethod
    def build(cls, template: str, document: Any, *, unique: bool) -> TemplateBody:
        """Raises: WorkloadError if ``unique`` and the document holds no string to change."""
        body = _dumps(document)
        if not unique:
            return cls(template, body)
        path = unique_path(document)
        if path is None:
            raise WorkloadError(f"--unique: the data for {template!r} has no string to vary")
        original = _get(document, path)
        marker = json.dumps(_SENTINEL).encode()
        head, _, tail = _dumps(_replace(document, path, _SENTINEL)).partition(marker)
        return cls(template, body, head, tail, original)

    def numbered(self, n: int | str) -> bytes:
        """The body with `` #n`` appended to the chosen string (the plain body if not unique)."""
        if not self.head:
            return self.body
        value = json.dumps(f"{self.original} #{n}", ensure_ascii=False).encode()
        return self.head + value + self.tail


class Workload:
    """Picks the next request: a template by weight, and its body (numbered when unique)."""

    def __init__(
        self, bodies: list[TemplateBody], weights: list[float], *, seed: int | None = None
    ) -> None:
        if not bodies or len(bodies) != len(weights):
            raise WorkloadError("a workload needs one weight per template")
        self.bodies = bodies
        self.weights = weights
        self._random = random.Random(seed)  # noqa: S311 (a mix, not secrets)
        self._counter = 0
        # Unique across runs too: a second run against the same server must not hit the cache
        # with the bodies of the first.
        self._run_id = uuid.uuid4().hex[:8]

    def next_request(self) -> tuple[str, bytes]:
        """``(path, body)`` of the next request to send."""
        self._counter += 1
        if len(self.bodies) == 1:
            chosen = self.bodies[0]
        else:
            chosen = self._random.choices(self.bodies, self.weights)[0]
        tag = f"{self._run_id}-{self._counter}"
        return f"/v1/render/{quote(chosen.template, safe='')}", chosen.numbered(tag)


async def fetch_sample(client: httpx.AsyncClient, template: str) -> Any:
    """The sample data the server publishes for ``template`` (``GET /v1/templates/{name}``).

    Raises:
        WorkloadError: the template is unknown, or the answer has no sample.
        httpx.TransportError: the server cannot be reached.
    """
    response = await client.get(f"/v1/templates/{quote(template, safe='')}")
    if response.status_code == 401:
        raise WorkloadError(
            f"GET /v1/templates/{template} answered 401: the server wants an API key "
            "(TEXRENDER_KEY=... or --key; `texrender keys create NAME` makes one)"
        )
    if response.status_code != 200:
        raise WorkloadError(
            f"GET /v1/templates/{template} answered {response.status_code}; "
            "is the template name right? (or pass --data FILE)"
        )
    try:
        sample = response.json()["sample"]
    except (ValueError, KeyError, TypeError):
        raise WorkloadError(f"the server published no sample for {template!r}") from None
    if sample is None:
        raise WorkloadError(f"the server published no sample for {template!r}; pass --data FILE")
    return sample


async def build_workload(
    client: httpx.AsyncClient,
    mix: Mapping[str, float],
    *,
    data: Any = None,
    unique: bool = False,
    seed: int | None = None,
) -> Workload:
    """A workload for ``mix``; ``data`` (one template only) replaces the published sample."""
    bodies = []
    for template in mix:
        document = data if data is not None else await fetch_sample(client, template)
        bodies.append(TemplateBody.build(template, document, unique=unique))
    return Workload(bodies, list(mix.values()), seed=seed)
