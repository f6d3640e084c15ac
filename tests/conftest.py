"""Shared fixtures: settings pointing at the real and the test-only templates, live Hypercorn
servers on loopback ports (``start_server``, each with its app and a client), real Redis and
PostgreSQL servers, and helpers to read PDFs and watch TeX processes."""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import trio

import rendering
import server
from rendering.errors import RenderError
from rendering.typesetting._cyrgreek import prepare_cyrillic_greek, tfm_dir
from rendering.typesetting._engine import CompileResult, PdfLatexEngine
from rendering.typesetting._formats import ensure_private_dir
from server.app import TexrenderApp, create_app
from server.http.problems import RequestError
from server.serving.serve import serve
from server.settings import DEFAULT_TEMPLATES_DIR, Settings
from server.state import EXTENSION_KEY, AppState
from tests.postgres_server import MISSING as POSTGRES_MISSING
from tests.postgres_server import PG_BIN, PostgresServer, running_postgres
from tests.redis_server import MISSING, REDIS_SERVER, RedisServer, running_redis

TESTS_DIR = Path(__file__).resolve().parent
TEST_TEMPLATES_DIR = TESTS_DIR / "templates"
SHARED_DIR = TESTS_DIR.parent.parent / "shared"
SHARED_RESUME = SHARED_DIR / "conformance" / "jsonresume" / "sample.resume.json"


def error_classes() -> list[type[RenderError | RequestError]]:
    """Every render and request error class in texrender, whatever was imported so far: each
    module of ``rendering`` and ``server`` is imported first, so none can hide."""
    for package in (rendering, server):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    found: list[type[RenderError | RequestError]] = []
    pending: list[type[RenderError | RequestError]] = [RenderError, RequestError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def json_values(
    max_text: int = 40,
    max_members: int = 5,
    max_leaves: int = 20,
    *,
    text: Any = None,
    keys: Any = None,
) -> Any:
    """A hypothesis strategy for any JSON value (no NaN or infinities: those are not JSON);
    ``text`` and ``keys`` replace the strategies for strings and member names."""
    from hypothesis import strategies as st

    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | (text if text is not None else st.text(max_size=max_text)),
        lambda inner: (
            st.lists(inner, max_size=max_members)
            | st.dictionaries(
                keys if keys is not None else st.text(max_size=10), inner, max_size=max_members
            )
        ),
        max_leaves=max_leaves,
    )


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF, as poppler's pdftotext extracts it (reading order, UTF-8)."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def pdf_pages(pdf: bytes) -> int:
    result = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    for line in result.stdout.decode().splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo printed no page count")


def squash(text: str) -> str:
    """Text with all white space removed: line breaking is TeX's business, characters are ours."""
    return "".join(text.split())


def children_of(parent: int) -> Iterator[tuple[int, str, bytes]]:
    """``(pid, command name, command line)`` of each living child process of ``parent``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        # pid (comm) state ppid ...
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == parent:
            yield int(entry.name), comm, cmdline


def tex_processes() -> list[int]:
    """PIDs of the TeX processes running a job for this test process: its children, and the
    children of its loaded engines (zygotes, which are not jobs: they wait, in a directory of
    their own, to fork one)."""
    found: list[int] = []
    stack = [os.getpid()]
    while stack:
        for pid, comm, _ in children_of(stack.pop()):
            stack.append(pid)
            if comm.endswith("tex") and not _in_zygote_dir(pid):
                found.append(pid)
    return found


def _in_zygote_dir(pid: int) -> bool:
    try:
        return is_zygote_dir(Path(os.readlink(f"/proc/{pid}/cwd")))
    except OSError:
        return False


def is_zygote_dir(path: Path) -> bool:
    """A loaded engine's own directory (rendering.typesetting._zygote), not a job's."""
    return "-zygote-" in path.name


def is_jobs_dir(path: Path) -> bool:
    """A zygote pool's jobs' directory (rendering.typesetting._zygote): its children make their
    work directories there."""
    return "-jobs-" in path.name


def job_dirs(work_dir: Path) -> list[Path]:
    """The renders' work directories in ``work_dir``, those the loaded engines' children made
    in their pool's jobs' directory included (the loaded engines' own directories, and the
    jobs' directories themselves, left out)."""
    found: list[Path] = []
    for entry in work_dir.iterdir():
        if is_jobs_dir(entry):
            found.extend(entry.iterdir())
        elif not is_zygote_dir(entry):
            found.append(entry)
    return found


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    path.chmod(0o755)
    return path


class SpyEngine:
    """A real engine that notes the format each compile starts from (None: a plain compile),
    the check compiles of a format store among them."""

    def __init__(self, inner: PdfLatexEngine) -> None:
        self.inner = inner
        self.formats: list[str | None] = []

    async def build_format(self, name: str, source: str, *, timeout_s: float) -> Path:
        return await self.inner.build_format(name, source, timeout_s=timeout_s)

    async def compile(
        self, source: str, *, timeout_s: float, format_name: str | None = None
    ) -> CompileResult:
        self.formats.append(format_name)
        return await self.inner.compile(source, timeout_s=timeout_s, format_name=format_name)


@pytest.fixture
def format_dir() -> Iterator[Path]:
    """A private folder for formats a test builds. Not under tmp_path: pytest makes that 0700,
    and TeX runs as another user when we are root."""
    path = Path(tempfile.mkdtemp(prefix="texrender-test-formats-"))
    try:
        yield ensure_private_dir(path)
    finally:
        shutil.rmtree(path)


async def lh_font_metrics() -> Path:
    """The folder of the LH fonts' metrics (the fast path's Cyrillic), made as a service makes
    them, in texrender's default folder: once per machine, shared with the tests' services."""
    folder = ensure_private_dir(Path(tempfile.gettempdir()) / f"texrender-formats-{os.geteuid()}")
    assert await prepare_cyrillic_greek(folder) is None
    return tfm_dir(folder)


def server_settings(work_dir: Path, **changes: Any) -> Settings:
    """A server on a free loopback port with the real and the test templates, two slots."""
    base = Settings(
        bind=("127.0.0.1:0",),
        template_dirs=(DEFAULT_TEMPLATES_DIR, TEST_TEMPLATES_DIR),
        work_dir=work_dir,
        render_slots=2,
        queue_max=4,
        queue_timeout_s=10.0,
        render_timeout_s=10.0,
        graceful_timeout_s=1.0,
        refusal_pause_s=0.0,  # 429s at once; tests of the pause turn it on
        # Loopback only, so auth may be off; the tests of keys turn it on.
        auth="off",
        data_dir=work_dir.with_name(f"{work_dir.name}-data"),
    )
    return base.replace(**changes)


@pytest.fixture
def settings(work_dir: Path) -> Settings:
    return server_settings(work_dir)


@dataclass
class LiveServer:
    """A real Hypercorn server on a loopback port, running in the test's nursery: its base URL,
    its app, and a client for it. Every client of it is closed when the test ends."""

    url: str
    app: TexrenderApp
    _clients: list[httpx.AsyncClient] = field(repr=False)
    client: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = self.new_client()

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def state(self) -> AppState:
        """The started app's state (its render service, metrics, draining flag)."""
        state: AppState = self.app.extensions[EXTENSION_KEY]
        return state

    def new_client(
        self, *, headers: dict[str, str] | None = None, timeout: float = 30
    ) -> httpx.AsyncClient:
        """Another client of this server (another key, say), closed when the test ends."""
        client = httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout)
        self._clients.append(client)
        return client


class StartServer(Protocol):
    def __call__(
        self,
        settings: Settings | None = None,
        /,
        *,
        app: TexrenderApp | None = None,
        **changes: Any,
    ) -> Awaitable[LiveServer]: ...


@pytest.fixture
async def start_server(nursery: trio.Nursery, settings: Settings) -> AsyncIterator[StartServer]:
    """Start a real server in the test's nursery: ``await start_server()`` with the test
    settings, ``start_server(render_slots=1)`` with some of them changed, ``start_server(other)``
    with other settings, ``start_server(app=app)`` for an app the test built (from the same
    settings) and gave routes of its own. Each call starts one more server."""
    clients: list[httpx.AsyncClient] = []

    async def start(
        given: Settings | None = None, /, *, app: TexrenderApp | None = None, **changes: Any
    ) -> LiveServer:
        chosen = (given or settings).replace(**changes)
        served = app or create_app(chosen)
        binds: list[str] = await nursery.start(
            lambda task_status: serve(
                chosen, shutdown_trigger=trio.sleep_forever, app=served, task_status=task_status
            )
        )
        return LiveServer(binds[0], served, clients)

    try:
        yield start
    finally:
        for client in clients:
            await client.aclose()


@pytest.fixture
async def served(start_server: StartServer) -> LiveServer:
    """A server with the test settings (the one ``client`` talks to)."""
    return await start_server()


@pytest.fixture
def base_url(served: LiveServer) -> str:
    return served.url


@pytest.fixture
def client(served: LiveServer) -> httpx.AsyncClient:
    return served.client


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server of the test's own on a loopback port (``.url``), stopped after."""
    if REDIS_SERVER is None:
        pytest.skip(MISSING)
    with running_redis() as started:
        yield started


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL for the whole session, started once; a test takes a database of its
    own (``postgres_url``), so tests never see each other's rows."""
    if PG_BIN is None:
        pytest.skip(POSTGRES_MISSING)
    with running_postgres() as started:
        yield started


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database of the test's own on the session's PostgreSQL: its URL
    (``database_url``), with the password; dropped after the test."""
    url = postgres_server.new_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def no_leftovers(work_dir: Path) -> Iterator[None]:
    """After the test: no TeX process of ours alive and no work directory left behind."""
    yield
    assert tex_processes() == []
    assert job_dirs(work_dir) == []


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server in a thread of its own for the whole module, so that hypothesis (which
    runs a test function many times) can send to it from a plain synchronous test."""
    work = tmp_path_factory.mktemp("work")
    work.chmod(0o755)
    settings = server_settings(
        work, queue_max=8, queue_timeout_s=Settings().queue_timeout_s, render_timeout_s=20.0
    )
    with server_in_thread(settings) as url:
        yield url


@contextlib.contextmanager
def server_in_thread(settings: Settings) -> Iterator[str]:
    """A real server with ``settings`` in a thread of its own, for a ``with`` block: its URL."""
    started: queue.Queue[tuple[str, trio.lowlevel.TrioToken, trio.Event]] = queue.Queue()

    async def run() -> None:
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            binds = await nursery.start(
                lambda task_status: serve(
                    settings, shutdown_trigger=stop.wait, task_status=task_status
                )
            )
            started.put((binds[0], trio.lowlevel.current_trio_token(), stop))

    thread = threading.Thread(target=trio.run, args=(run,), daemon=True)
    thread.start()
    url, token, stop = started.get(timeout=60)
    try:
        yield url
    finally:
        trio.from_thread.run_sync(stop.set, trio_token=token)
        thread.join(timeout=30)


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    url: str
    lines: list[str]  # stderr up to "Running on", then everything read after


@contextlib.contextmanager
def server_process(
    argv: list[str], *, env: dict[str, str], cwd: Path | None = None, graceful: bool = False
) -> Iterator[RunningServer]:
    """``argv`` (a ``texrender ... serve --bind 127.0.0.1:0``) as a real process, for a
    ``with`` block: its URL once it says where it runs, its stderr read on (so it never blocks
    on a full pipe), and at the end killed if still running (``graceful``: SIGTERM first)."""
    process = subprocess.Popen(argv, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    lines: list[str] = []
    url = ""
    for line in process.stderr:
        lines.append(line)
        match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
        if match:
            url = match.group(1)
            break
    drain = threading.Thread(target=lambda: lines.extend(process.stderr or ()), daemon=True)
    drain.start()
    try:
        assert url, "the server did not start: " + "".join(lines)
        yield RunningServer(process, url, lines)
    finally:
        if process.poll() is None:
            if graceful:
                process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=15)
            if process.poll() is None:
                process.kill()
        process.wait()
        drain.join(timeout=5)
        process.stderr.close()
