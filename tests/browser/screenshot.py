"""``make screenshot``: the README's picture of the playground, taken in Debian's chromium from
a server of the real templates only, showing the sample of resume-classic rendered.

    .venv/bin/python -m tests.browser.screenshot docs/playground.png [--phone] [--dark]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import ViewportSize, sync_playwright

from server.settings import DEFAULT_TEMPLATES_DIR
from tests.browser.harness import launch, wait_ready
from tests.conftest import server_in_thread, server_settings

WIDE = ViewportSize(width=1280, height=760)
PHONE = ViewportSize(width=390, height=844)


def take(out: Path, *, phone: bool = False, dark: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="texrender-screenshot-") as folder:
        work = Path(folder) / "work"
        work.mkdir(mode=0o755)
        settings = server_settings(work, template_dirs=(DEFAULT_TEMPLATES_DIR,))
        with server_in_thread(settings) as url, sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(
                viewport=PHONE if phone else WIDE, color_scheme="dark" if dark else "light"
            )
            page.goto(f"{url}/#resume-classic")
            wait_ready(page)
            state = page.get_attribute("#status", "data-state")
            if state != "ready":
                raise SystemExit(f"the playground is not ready: {page.inner_text('#status')}")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=out)
            browser.close()
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--phone", action="store_true", help="a phone-sized window")
    parser.add_argument("--dark", action="store_true", help="prefers-color-scheme: dark")
    options = parser.parse_args()
    take(options.out, phone=options.phone, dark=options.dark)


if __name__ == "__main__":
    main()
