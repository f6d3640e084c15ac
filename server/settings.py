"""Settings: one frozen object, built once from ``TEXRENDER_*`` variables and command-line flags.

Nothing reads the environment at import time; :meth:`Settings.from_env` is called by the CLI and
the result is passed to :func:`server.app.create_app`. Units are in the names.

Each field says, once, everything about itself: its type and default (the render pipeline's own
defaults, from :mod:`rendering.config`), its help text and, if it has one, its command-line
flag. The CLI's options and their help are generated from these fields, and a test holds the
README's settings table to them.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
import types
import typing
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from rendering import DEFAULT_TEMPLATES_DIR, RenderConfig, RenderLimits, usable_cpus

from .store.dburl import FORM as DATABASE_URL_FORM
from .store.dburl import is_postgres_url

ENV_PREFIX = "TEXRENDER_"
_RENDER = RenderConfig()
_LIMITS = _RENDER.limits

# Told instead of a cache or database URL that is wrong: the URL itself may hold a password.
_CACHE_URL_FORMS = "not a Redis URL (redis://host:port/db, rediss://..., unix:///path)"
_HIDDEN_VALUES = {
    "cache_url": _CACHE_URL_FORMS,
    "database_url": f"not a PostgreSQL URL ({DATABASE_URL_FORM})",
}

# Where a flag belongs: before the subcommand (every command), or after `serve`.
Scope = Literal["global", "serve"]


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


def setting(
    default: Any = dataclasses.MISSING,
    *,
    help: str,
    flag: str | None = None,
    scope: Scope = "global",
    shown_default: str | None = None,
    choices: tuple[str, ...] | None = None,
    metavar: str | None = None,
    default_factory: Any = dataclasses.MISSING,
) -> Any:
    """A settings field with its documentation attached (read by the CLI and the docs test)."""
    metadata = {
        "help": help,
        "flag": flag,
        "scope": scope,
        "shown_default": shown_default,
        "choices": choices,
        "metavar": metavar,
    }
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """Everything texrender can be told. See the README's settings table."""

    bind: tuple[str, ...] = setting(
        ("127.0.0.1:8000",),
        help="address to listen on, HOST:PORT (repeatable)",
        flag="--bind",
        scope="serve",
        metavar="HOST:PORT",
    )
    workers: int = setting(1, help="server processes", flag="--workers", scope="serve")
    template_dirs: tuple[Path, ...] = setting(
        _RENDER.template_dirs,
        help="folders holding template folders (repeatable)",
        flag="--templates",
        shown_default="templates/ of this project",
    )
    tex_engine: str = setting(
        _RENDER.tex_engine, help="the TeX binary", flag="--engine", metavar="BIN"
    )
    tex_user: str | None = setting(
        _RENDER.tex_user,
        help="the user TeX runs as",
        shown_default="nobody when run as root, else yourself",
    )
    work_dir: Path | None = setting(
        _RENDER.work_dir,
        help="where per-render temporary directories are made",
        shown_default="the system temp dir",
    )
    formats_enabled: bool = setting(
        _RENDER.formats_enabled,
        help="compile each template's fixed preamble once into a TeX format",
    )
    format_dir: Path | None = setting(
        _RENDER.format_dir,
        help="where formats are kept (a directory this user owns)",
        shown_default="<temp dir>/texrender-formats-<uid>",
    )
    zygotes: bool = setting(
        _RENDER.zygotes,
        help="fork each render's TeX from one that has loaded the template's format",
    )
    zygote_shim: Path | None = setting(
        _RENDER.zygote_shim,
        help="a prebuilt shim for the loaded engines (zygote_shim.c compiled)",
        shown_default="built with cc in the formats folder",
    )
    cache_bytes: int = setting(
        _RENDER.cache_bytes, help="memory for cached PDFs (LRU); 0 turns it off"
    )
    cache_dir: Path | None = setting(
        _RENDER.cache_dir, help="also keep cached PDFs on disk here", shown_default="none"
    )
    cache_url: str | None = setting(
        _RENDER.cache_url,
        help="a Redis URL (redis://host:port/db) for a PDF cache shared by every instance",
        flag="--cache-url",
        shown_default="none",
        metavar="URL",
    )
    cache_ttl_s: float = setting(
        _RENDER.cache_ttl_s, help="seconds a PDF is kept in the shared cache"
    )
    cache_timeout_s: float = setting(
        _RENDER.cache_timeout_s,
        help="seconds one shared-cache call may take before the render goes on without it",
    )
    cache_value_max_bytes: int = setting(
        _RENDER.cache_value_max_bytes,
        help="largest PDF or page picture written to the shared cache",
    )
    render_slots: int = setting(
        help="TeX processes at once",
        flag="--slots",
        default_factory=usable_cpus,
        shown_default="number of CPUs",
    )
    queue_max: int = setting(
        _LIMITS.queue_max,
        help="renders that may wait for a slot; one more gets 429",
        flag="--queue-max",
        scope="serve",
    )
    queue_timeout_s: float = setting(
        _LIMITS.queue_timeout_s,
        help="seconds a render may wait for a slot before 503",
        flag="--queue-timeout",
        scope="serve",
    )
    queue_max_wait_s: float = setting(
        _LIMITS.queue_max_wait_s,
        help="a render expected to wait longer than this for a slot gets 429 at once",
        flag="--queue-max-wait",
        scope="serve",
    )
    owner_queue_max: int = setting(
        _LIMITS.owner_queue_max,
        help="renders one owner (API key owner) may have waiting; one more gets 429",
        flag="--owner-queue-max",
        scope="serve",
    )
    owner_renders_per_minute: int = setting(
        _LIMITS.owner_renders_per_minute,
        help="renders one owner may ask for a minute (bursts of a sixth pass); 0: no limit",
        flag="--owner-rate",
        scope="serve",
    )
    refusal_pause_s: float = setting(
        0.5,
        help="seconds a 429 is held before it is sent (a client that asks again at once "
        "costs less); 0: at once",
        flag="--refusal-pause",
        scope="serve",
    )
    render_timeout_s: float = setting(
        _LIMITS.render_timeout_s,
        help="seconds one TeX run may take before 504",
        flag="--render-timeout",
    )
    max_body_bytes: int = setting(
        1024 * 1024,
        help="largest request body; larger gets 413",
        flag="--max-body-bytes",
        scope="serve",
    )
    body_timeout_s: float = setting(
        10.0,
        help="seconds a request may take to send its whole body; slower gets 408",
        flag="--body-timeout",
        scope="serve",
    )
    graceful_timeout_s: float = setting(
        10.0,
        help="seconds in-flight requests get at shutdown",
        flag="--graceful-timeout",
        scope="serve",
    )
    drain_delay_s: float = setting(
        0.0,
        help="seconds a stopping server goes on serving (with /readyz 503) before it closes its "
        "listener, so a load balancer's health check sees it leave first: the check interval "
        "x fall count + a margin; 0 for a server alone",
        flag="--drain-delay",
        scope="serve",
    )
    keep_alive_timeout_s: float = setting(
        5.0, help="idle keep-alive connections are closed after this many seconds"
    )
    auth: str = setting(
        "on",
        help="require an API key (Authorization: Bearer) on every route but health, readiness,"
        " metrics and the docs; off is allowed only when every --bind is loopback",
        flag="--auth",
        choices=("on", "off"),
    )
    data_dir: Path | None = setting(
        None,
        help="where stored documents and API keys are kept (an SQLite file)",
        flag="--data-dir",
        shown_default="$XDG_DATA_HOME/texrender, else ~/.local/share/texrender",
        metavar="DIR",
    )
    database_url: str | None = setting(
        None,
        help="a PostgreSQL URL (postgresql://user:password@host:port/database) for documents and"
        " API keys, shared by every instance; unset: the SQLite file in the data folder",
        flag="--database-url",
        shown_default="none",
        metavar="URL",
    )
    database_pool_size: int = setting(
        4,
        help="connections to PostgreSQL one server process opens at most; more calls at once "
        "wait for one",
    )
    documents_per_owner: int = setting(
        1000, help="documents one owner may store; one more gets 409", scope="serve"
    )
    document_max_bytes: int = setting(
        256 * 1024,
        help="largest stored document (its data as JSON); larger gets 413",
        scope="serve",
    )
    log_level: str = setting(
        "info",
        help="log level",
        flag="--log-level",
        choices=("debug", "info", "warning", "error"),
    )
    log_format: str = setting(
        "auto",
        help="log lines as JSON or text; auto: text on a terminal, else JSON",
        flag="--log-format",
        choices=("auto", "json", "text"),
    )

    def __post_init__(self) -> None:
        checks = {
            "render_slots": self.render_slots >= 1,
            "workers": self.workers >= 1,
            "queue_max": self.queue_max >= 0,
            "cache_bytes": self.cache_bytes >= 0,
            "cache_url": self.cache_url is None or is_redis_url(self.cache_url),
            "cache_ttl_s": self.cache_ttl_s >= 1,
            "cache_timeout_s": self.cache_timeout_s > 0,
            "cache_value_max_bytes": self.cache_value_max_bytes >= 1,
            "queue_timeout_s": self.queue_timeout_s > 0,
            "queue_max_wait_s": self.queue_max_wait_s > 0,
            "owner_queue_max": self.owner_queue_max >= 1,
            "owner_renders_per_minute": self.owner_renders_per_minute >= 0,
            "refusal_pause_s": self.refusal_pause_s >= 0,
            "render_timeout_s": self.render_timeout_s > 0,
            "max_body_bytes": self.max_body_bytes > 0,
            "graceful_timeout_s": self.graceful_timeout_s >= 0,
            "drain_delay_s": self.drain_delay_s >= 0,
            "body_timeout_s": self.body_timeout_s > 0,
            "keep_alive_timeout_s": self.keep_alive_timeout_s > 0,
            "bind": len(self.bind) > 0,
            "template_dirs": len(self.template_dirs) > 0,
            "log_format": self.log_format in {"auto", "json", "text"},
            "auth": self.auth in {"on", "off"},
            "database_url": self.database_url is None or is_postgres_url(self.database_url),
            "database_pool_size": self.database_pool_size >= 1,
            "documents_per_owner": self.documents_per_owner >= 1,
            "document_max_bytes": self.document_max_bytes >= 1,
            "log_level": self.log_level.lower() in {"debug", "info", "warning", "error"},
        }
        for name, ok in checks.items():
            if not ok:
                shown = _HIDDEN_VALUES.get(name) or repr(getattr(self, name))
                raise SettingsError(f"{name} has an invalid value: {shown}")
        if self.auth == "off":
            exposed = [bind for bind in self.bind if not is_loopback_bind(bind)]
            if exposed:
                raise SettingsError(
                    f"auth can be off only on loopback, and {', '.join(exposed)} is not: keep "
                    "auth on, or bind to 127.0.0.1 or [::1]"
                )

    def documents_dir(self) -> Path:
        """Where the document store lives: ``data_dir``, or the user's data directory."""
        return self.data_dir if self.data_dir is not None else default_data_dir()

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Settings from ``TEXRENDER_<NAME>`` variables, then ``overrides`` (flags) on top.

        Lists (``bind``, ``template_dirs``) are comma-separated in the environment.

        Raises:
            SettingsError: a variable cannot be parsed, or a value is out of range.
        """
        values: dict[str, Any] = {}
        types_ = field_types()
        for f in fields(cls):
            raw = environ.get(env_name(f.name))
            if raw is not None and raw.strip() != "":
                values[f.name] = _parse(f.name, types_[f.name], raw.strip())
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def render_config(self) -> RenderConfig:
        """The part of the settings the render pipeline is built from."""
        return RenderConfig(
            template_dirs=self.template_dirs,
            tex_engine=self.tex_engine,
            tex_user=self.tex_user,
            work_dir=self.work_dir,
            formats_enabled=self.formats_enabled,
            format_dir=self.format_dir,
            zygotes=self.zygotes,
            zygote_shim=self.zygote_shim,
            cache_bytes=self.cache_bytes,
            cache_dir=self.cache_dir,
            cache_url=self.cache_url,
            cache_ttl_s=self.cache_ttl_s,
            cache_timeout_s=self.cache_timeout_s,
            cache_value_max_bytes=self.cache_value_max_bytes,
            limits=RenderLimits(
                slots=self.render_slots,
                queue_max=self.queue_max,
                queue_timeout_s=self.queue_timeout_s,
                render_timeout_s=self.render_timeout_s,
                queue_max_wait_s=self.queue_max_wait_s,
                owner_queue_max=self.owner_queue_max,
                owner_renders_per_minute=self.owner_renders_per_minute,
            ),
        )


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/texrender``, else ``~/.local/share/texrender`` (the XDG default)."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".local" / "share") / "texrender"


def is_loopback_bind(bind: str) -> bool:
    """Whether ``HOST:PORT`` (or ``unix:PATH``) can only be reached from this machine."""
    if bind.startswith("unix:"):
        return True
    host = bind.rpartition(":")[0] if ":" in bind else bind
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_redis_url(url: str) -> bool:
    """Whether ``url`` names a Redis server: ``redis://host:port/db``, ``rediss://`` (TLS) or
    ``unix:///path``; a database is a number."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        return False
    if parts.scheme == "unix":
        return parts.path != ""
    database = parts.path.removeprefix("/")
    return (
        parts.scheme in {"redis", "rediss"}
        and parts.netloc != ""
        and (database == "" or database.isdigit())
    )


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def shown_default(field_name: str) -> str:
    """A setting's default as the help and the README show it."""
    meta = Settings.__dataclass_fields__[field_name].metadata
    if meta.get("shown_default"):
        return str(meta["shown_default"])
    value = getattr(Settings(), field_name)
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@functools.cache
def field_types() -> dict[str, Any]:
    """The fields' real types (the annotations are strings under ``from __future__``)."""
    return typing.get_type_hints(Settings)


def value_type(annotation: Any) -> tuple[type, bool]:
    """``(element type, is a tuple)`` of a field's type: ``int | None`` is ``(int, False)``,
    ``tuple[Path, ...]`` is ``(Path, True)``."""
    origin = typing.get_origin(annotation)
    if origin is tuple:
        return typing.get_args(annotation)[0], True
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return value_type(inner[0])
    return annotation, False


def _parse(name: str, annotation: Any, raw: str) -> Any:
    kind, many = value_type(annotation)
    try:
        if many:
            return tuple(_parse_one(kind, p.strip()) for p in raw.split(",") if p.strip())
        return _parse_one(kind, raw)
    except ValueError:
        raise SettingsError(f"{env_name(name)}={raw!r} is not a valid {kind.__name__}") from None


def _parse_one(kind: type, raw: str) -> Any:
    if kind is bool:
        return _parse_bool(raw)
    return kind(raw)


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(raw)


__all__ = ["DEFAULT_TEMPLATES_DIR", "ENV_PREFIX", "Settings", "SettingsError"]
