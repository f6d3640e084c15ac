"""Settings: one frozen object, built once from ``TEXRENDER_*`` variables and command-line flags.

Nothing reads the environment at import time; :meth:`Settings.from_env` is called by the CLI and
the result is passed to :func:`server.app.create_app`. Units are in the names.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
ENV_PREFIX = "TEXRENDER_"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Settings:
    """Everything texrender can be told. See the README's settings table."""

    bind: tuple[str, ...] = ("127.0.0.1:8000",)
    workers: int = 1
    template_dirs: tuple[Path, ...] = (DEFAULT_TEMPLATES_DIR,)
    tex_engine: str = "pdflatex"
    tex_user: str | None = None
    work_dir: Path | None = None
    formats_enabled: bool = True
    format_dir: Path | None = None
    cache_bytes: int = 256 * 1024 * 1024
    cache_dir: Path | None = None
    render_slots: int = field(default_factory=_cpu_count)
    queue_max: int = 32
    queue_timeout_s: float = 30.0
    render_timeout_s: float = 20.0
    max_body_bytes: int = 1024 * 1024
    graceful_timeout_s: float = 10.0
    keep_alive_timeout_s: float = 5.0
    log_level: str = "info"
    log_format: str = "auto"

    def __post_init__(self) -> None:
        checks = {
            "render_slots": self.render_slots >= 1,
            "workers": self.workers >= 1,
            "queue_max": self.queue_max >= 0,
            "cache_bytes": self.cache_bytes >= 0,
            "queue_timeout_s": self.queue_timeout_s > 0,
            "render_timeout_s": self.render_timeout_s > 0,
            "max_body_bytes": self.max_body_bytes > 0,
            "graceful_timeout_s": self.graceful_timeout_s >= 0,
            "keep_alive_timeout_s": self.keep_alive_timeout_s > 0,
            "bind": len(self.bind) > 0,
            "template_dirs": len(self.template_dirs) > 0,
            "log_format": self.log_format in {"auto", "json", "text"},
            "log_level": self.log_level.upper() in {"DEBUG", "INFO", "WARNING", "ERROR"},
        }
        for name, ok in checks.items():
            if not ok:
                raise SettingsError(f"{name} has an invalid value: {getattr(self, name)!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Settings from ``TEXRENDER_<NAME>`` variables, then ``overrides`` (flags) on top.

        Lists (``bind``, ``template_dirs``) are comma-separated in the environment.

        Raises:
            SettingsError: a variable cannot be parsed, or a value is out of range.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw.strip() != "":
                values[f.name] = _parse(f.name, str(f.type), raw.strip())
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _parse(name: str, type_name: str, raw: str) -> Any:
    variable = ENV_PREFIX + name.upper()
    try:
        if type_name.startswith("tuple[Path"):
            return tuple(Path(p.strip()) for p in raw.split(",") if p.strip())
        if type_name.startswith("tuple[str"):
            return tuple(p.strip() for p in raw.split(",") if p.strip())
        if type_name.startswith("Path"):
            return Path(raw)
        if type_name == "bool":
            return _parse_bool(raw)
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        return raw
    except ValueError:
        raise SettingsError(f"{variable}={raw!r} is not a valid {type_name}") from None


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(raw)
