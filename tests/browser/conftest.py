"""The browser tests' fixtures: one chromium for the package, a real server in a thread of its
own (Playwright's sync API runs in the test, so the server cannot share the test's event loop),
and a fresh page a test, whose requests and console are checked when the test ends."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.harness import CHROMIUM, MISSING, Watch, launch
from tests.conftest import server_in_thread, server_settings


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.skip(MISSING)
    with sync_playwright() as playwright:
        started = launch(playwright)
        yield started
        started.close()


def fresh_work(factory: pytest.TempPathFactory, name: str) -> Path:
    work = factory.mktemp(name)
    work.chmod(0o755)
    return work


@pytest.fixture(scope="package")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with auth off (as ``make run`` serves) and the test templates: its URL."""
    settings = server_settings(fresh_work(tmp_path_factory, "browser-work"))
    with server_in_thread(settings) as url:
        yield url


@pytest.fixture
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where a test keeps what a person may want to look at afterwards (screenshots)."""
    return tmp_path_factory.getbasetemp() / "artifacts"


@contextlib.contextmanager
def open_page(browser: Browser, server: str, **options: Any) -> Iterator[Watch]:
    """A page in a context of its own (its own session storage), watched; at the end, no
    request went to another host and no console error was unexpected."""
    chosen: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}, **options}
    context = browser.new_context(**chosen)
    page = context.new_page()
    watch = Watch(page, server)
    try:
        yield watch
        assert watch.foreign_requests() == []
        assert watch.console_errors() == []
    finally:
        context.close()


@pytest.fixture
def watched(browser: Browser, playground: str) -> Iterator[Watch]:
    with open_page(browser, playground) as watch:
        yield watch
