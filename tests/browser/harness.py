"""What the browser tests, ``make screenshot`` and the edit-to-preview measurement share: Debian's
chromium started by Playwright (never a downloaded browser), a watch on every request and
console line of a page, and the server's own counters read from ``/metrics``."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request
from prometheus_client.parser import text_string_to_metric_families

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MISSING = "Debian's chromium is not installed (make test installs it: .ci/test-packages.txt)"
# No background traffic to other hosts (this machine has no network to give it anyway).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# How Chromium reports a fetch answered with an error status: expected for 401, 412 and 422.
_FAILED_LOAD = re.compile(r"^Failed to load resource: the server responded with a status of (\d+)")


def launch(playwright: Playwright) -> Browser:
    if CHROMIUM is None:
        raise RuntimeError(MISSING)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


@dataclass
class Watch:
    """Every request a page made and every console line and script error it had."""

    page: Page
    server: str
    requests: list[Request] = field(default_factory=list)
    console: list[ConsoleMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        # Playwright marks its handlers, which a bound builtin (list.append) cannot carry.
        self.page.on("request", lambda request: self.requests.append(request))
        self.page.on("console", lambda message: self.console.append(message))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def expect_status(self, status: int) -> None:
        """The test provokes answers with this status: the browser's line about them is fine."""
        self.expected_statuses.add(status)

    def foreign_requests(self) -> list[str]:
        """Requests to anything but the server (blob: URLs are the page's own memory)."""
        own = urlsplit(self.server).netloc
        return [
            r.url
            for r in self.requests
            if not r.url.startswith("blob:") and urlsplit(r.url).netloc != own
        ]

    def console_errors(self) -> list[str]:
        found = []
        for message in self.console:
            if message.type not in ("error", "warning"):
                continue
            status = _FAILED_LOAD.match(message.text)
            if status and int(status.group(1)) in self.expected_statuses:
                continue
            found.append(f"{message.type}: {message.text}")
        return found + [f"page error: {e}" for e in self.errors]

    def render_requests(self) -> list[Request]:
        return [r for r in self.requests if "/v1/render/" in r.url]


def metric(server: str, name: str, **labels: str) -> float:
    """One sample of the server's ``/metrics`` (0 when it has none yet)."""
    text = httpx.get(f"{server}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def tex_runs(server: str, template: str) -> float:
    """How many times TeX ran for ``template`` (finished, failed or cancelled)."""
    return metric(server, "texrender_render_duration_seconds_count", template=template)


def cancelled(server: str, template: str) -> float:
    return metric(server, "texrender_renders_total", template=template, outcome="cancelled")


def wait_ready(page: Page) -> None:
    """Until the page says its preview shows the editor's data (or a problem, for the caller
    to look at): the status line leaves "waiting" and "rendering"."""
    page.wait_for_selector(
        "#status:not([data-state=waiting]):not([data-state=rendering]):not([data-state=idle])"
    )


def pick(page: Page, template: str) -> None:
    """Pick a template as a person does: a click on its card."""
    page.locator(f"#templates input[value='{template}']").check()


def wait_until(condition: Callable[[], bool], *, within_s: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail if it never does within ``within_s`` (a bound
    on a wait for something the test caused, not a measure of speed)."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{condition} did not come true within {within_s} s")
        time.sleep(0.02)
