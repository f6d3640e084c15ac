"""What an image weighs: its size and its layers, largest first, each with the step that made
it (uncompressed, as the local store keeps them; a registry stores them gzip'd)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .buildah import inspect_image

MIB = 1024 * 1024


@dataclass(frozen=True)
class Layer:
    size_bytes: int
    made_by: str


def layers(inspected: dict[str, Any]) -> list[Layer]:
    """The image's layers in order, each paired with the history entry that made it (entries
    marked ``empty_layer`` made none: ENV, USER, CMD and the like)."""
    manifest = json.loads(inspected["Manifest"])
    history = inspected["OCIv1"].get("history") or []
    steps = [h.get("created_by", "") for h in history if not h.get("empty_layer", False)]
    sizes = [int(layer["size"]) for layer in manifest["layers"]]
    if len(steps) != len(sizes):  # an image without history: say so rather than guess
        steps = ["(no history)"] * len(sizes)
    return [Layer(size, step) for size, step in zip(sizes, steps, strict=True)]


def lines(reference: str, top: int = 6) -> Iterator[str]:
    found = layers(inspect_image(reference))
    total = sum(layer.size_bytes for layer in found)
    yield f"{reference}: {total / MIB:.0f} MiB in {len(found)} layers; the largest:"
    for layer in sorted(found, key=lambda layer: layer.size_bytes, reverse=True)[:top]:
        step = " ".join(layer.made_by.split())
        yield f"  {layer.size_bytes / MIB:8.1f} MiB  {step[:110]}"


def image_bytes(reference: str) -> int:
    return sum(layer.size_bytes for layer in layers(inspect_image(reference)))
