"""Start-up failures a user can cause, told in one line instead of a traceback.

A data folder that cannot be made, a database from a newer texrender, a PostgreSQL server that
cannot be reached or refuses the credentials, a template folder that is not there, a work
folder that cannot be written: each becomes :class:`StartupFailed`, whose message names the
path or the database (never its password), the reason and the setting to change. ``texrender
serve`` opens these parts before Hypercorn starts (the ASGI lifespan would pass on only the
text, after a traceback in the log), prints the failure as one line and exits non-zero.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import trio

from rendering import CatalogueError, RenderService, build_service

from .settings import Settings, env_name
from .store import Store
from .store.dburl import masked, scrubbed
from .store.migrations import SchemaTooNew
from .store.observer import StoreObserver
from .store.sqlite import FILE_NAME, SqliteStore

log = logging.getLogger("texrender")

if TYPE_CHECKING:
    from rendering import TexEngine

    from .metrics import Metrics


class StartupFailed(Exception):
    """The server cannot start, for a reason the user can fix; the message says all, in one line
    (without the ``texrender:`` a terminal line starts with)."""


def setting_hint(name: str) -> str:
    """``set TEXRENDER_X or --x``: where a setting is changed."""
    flag = Settings.__dataclass_fields__[name].metadata.get("flag")
    return f"set {env_name(name)}" + (f" or {flag}" if flag else "")


def reason(exc: BaseException) -> str:
    """The operating system's words for an error (``Permission denied``), without the errno and
    the path the message names anyway."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


class Opened(NamedTuple):
    """What a server opens before it serves."""

    store: Store
    service: RenderService


async def open_parts(
    settings: Settings,
    *,
    observer: Metrics | None = None,
    engine: TexEngine | None = None,
) -> Opened:
    """The document store, then the render service.

    Raises:
        StartupFailed: see :func:`open_store` and :func:`load_service`.
    """
    store = await open_store(settings, observer=observer)
    try:
        service = await load_service(settings, observer=observer, engine=engine)
    except BaseException:
        with trio.CancelScope(shield=True):
            await store.aclose()
        raise
    return Opened(store, service)


async def open_store(settings: Settings, *, observer: StoreObserver | None = None) -> Store:
    """The document store: PostgreSQL when ``database_url`` is set, else the SQLite file in
    the data folder. The server and the ``keys`` and ``documents`` commands all open it here.

    Raises:
        StartupFailed: the database cannot be reached or used, or was written by a newer
            texrender; the data folder cannot be made or written.
    """
    if settings.database_url is not None:
        return await _open_postgres(settings, settings.database_url, observer)
    folder = settings.documents_dir()
    hint = setting_hint("data_dir")
    try:
        return await SqliteStore.open(folder, observer=observer)
    except SchemaTooNew as exc:
        raise StartupFailed(
            f"the database {folder / FILE_NAME} was written by a newer texrender: {exc} (or "
            f"{hint} to start another)"
        ) from None
    except sqlite3.Error as exc:
        raise StartupFailed(
            f"cannot use the database {folder / FILE_NAME}: {reason(exc)} ({hint})"
        ) from None
    except OSError as exc:
        problem = await trio.to_thread.run_sync(_folder_problem, folder, exc)
        raise StartupFailed(f"{problem} ({hint})") from None


async def _open_postgres(settings: Settings, url: str, observer: StoreObserver | None) -> Store:
    # Imported here: the driver is loaded only by those who use it.
    import psycopg

    from .store.postgres import PostgresStore

    shown, hint = masked(url), setting_hint("database_url")
    try:
        return await PostgresStore.open(
            url, pool_size=settings.database_pool_size, observer=observer
        )
    except SchemaTooNew as exc:
        raise StartupFailed(
            f"the database {shown} was migrated by a newer texrender: {exc} (or {hint} to use "
            "another)"
        ) from None
    except psycopg.Error as exc:
        words = scrubbed(" ".join(str(exc).split()), url).removeprefix("connection failed: ")
        raise StartupFailed(f"cannot use the database {shown}: {words} ({hint})") from None


def _folder_problem(folder: Path, exc: OSError) -> str:
    if exc.errno == errno.EEXIST or (folder.exists() and not folder.is_dir()):
        return f"cannot use the data folder {folder}: it is a file, not a folder"
    made = "use" if folder.is_dir() else "create"
    return f"cannot {made} the data folder {folder}: {reason(exc)}"


async def load_service(
    settings: Settings,
    *,
    observer: Metrics | None = None,
    engine: TexEngine | None = None,
) -> RenderService:
    """The render service, its folders checked first.

    Raises:
        StartupFailed: a work or format folder cannot be used, or the templates cannot be loaded.
    """
    await trio.to_thread.run_sync(check_folders, settings)
    try:
        return await build_service(settings.render_config(), observer=observer, engine=engine)
    except (CatalogueError, OSError) as exc:
        raise StartupFailed(
            f"cannot load the templates: {reason(exc)} ({setting_hint('template_dirs')})"
        ) from None


def check_folders(settings: Settings) -> None:
    """The work folder (and a format folder that was asked for) can hold new folders and files:
    found now rather than at the first render. Blocking: call from a thread.

    Raises:
        StartupFailed: naming the folder and the setting.
    """
    if settings.work_dir is not None:
        _check_writable(settings.work_dir, "work folder", "work_dir", create=False)
    if settings.formats_enabled and settings.format_dir is not None:
        # A read-only one is a container image's, its formats built in: they are used as they
        # are, and a template without one compiles plainly.
        _check_writable(
            settings.format_dir, "format folder", "format_dir", create=True, read_only_ok=True
        )


def _check_writable(
    folder: Path, what: str, setting: str, *, create: bool, read_only_ok: bool = False
) -> None:
    hint = setting_hint(setting)
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            problem = "it is a file, not a folder" if folder.exists() else "it does not exist"
            raise StartupFailed(f"cannot use the {what} {folder}: {problem} ({hint})")
        os.rmdir(tempfile.mkdtemp(prefix=".texrender-check-", dir=folder))
    except OSError as exc:
        if read_only_ok and exc.errno == errno.EROFS and folder.is_dir():
            log.info("the %s %s is read-only: what it holds is used as it is", what, folder)
            return
        raise StartupFailed(f"cannot use the {what} {folder}: {reason(exc)} ({hint})") from None
