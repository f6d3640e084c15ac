"""How long from an edit in the playground to the new preview on the screen, in Debian's chromium
against a real server on this machine: 20 edits of resume-classic's sample (a new name each:
TeX runs, "cold"), then the same 20 again (the server's cache answers, "cached").

The page measures it itself, from the input event's time stamp to the new page picture decoded
(``#status[data-edit-to-preview-ms]``, shown to users too); that includes the pause the page
waits for after typing (``PAUSE_MS`` in app.js), reported beside it. Not a test: a measurement,
printed and optionally written as JSON.

    .venv/bin/python -m tests.browser.measure [--edits 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from server.settings import DEFAULT_TEMPLATES_DIR
from tests.browser.harness import launch, wait_ready
from tests.conftest import server_in_thread, server_settings

APP = Path(__file__).resolve().parents[2] / "server" / "playground" / "app.js"


def pause_ms() -> int:
    found = re.search(r"const PAUSE_MS = (\d+);", APP.read_text())
    assert found, "app.js has no PAUSE_MS"
    return int(found.group(1))


def one_edit(page: Page, text: str) -> tuple[float, float]:
    """Put ``text`` in the editor; the page's edit-to-preview time and the server's total."""
    page.fill("#data", text)
    wait_ready(page)
    if page.get_attribute("#status", "data-state") != "ready":
        raise SystemExit(f"not rendered: {page.inner_text('#status')}")
    took = float(page.get_attribute("#status", "data-edit-to-preview-ms") or "nan")
    timings = page.inner_text("#timings")
    total = re.search(r"(?:total|cache):?\s*(\d+) ms", timings)
    return took, float(total.group(1)) if total else float("nan")


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": statistics.median(ordered),
        "p90": ordered[int(0.9 * (len(ordered) - 1))],
        "max": ordered[-1],
    }


def measure(edits: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="texrender-measure-") as folder:
        work = Path(folder) / "work"
        work.mkdir(mode=0o755)
        settings = server_settings(work, template_dirs=(DEFAULT_TEMPLATES_DIR,))
        with server_in_thread(settings) as url, sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{url}/#resume-classic")
            wait_ready(page)
            sample = page.input_value("#data")
            name = json.loads(sample)["basics"]["name"]
            texts = [sample.replace(name, f"Edit Number {n}") for n in range(edits)]
            one_edit(page, sample.replace(name, "Warm Up"))  # formats built, page settled
            results: dict[str, Any] = {"edits": edits, "pause_ms": pause_ms()}
            for kind in ("cold", "cached"):
                runs = [one_edit(page, text) for text in texts]
                results[kind] = {
                    "edit_to_preview_ms": summary([took for took, _ in runs]),
                    "server_total_ms": summary([total for _, total in runs]),
                }
            browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    results = measure(options.edits)
    print(f"{options.edits} edits; the page waits {results['pause_ms']} ms after the last key")
    for kind in ("cold", "cached"):
        took = results[kind]["edit_to_preview_ms"]
        server = results[kind]["server_total_ms"]
        print(
            f"{kind:>6}: edit to preview p50 {took['p50']:.0f} ms, p90 {took['p90']:.0f} ms, "
            f"max {took['max']:.0f} ms (server's render p50 {server['p50']:.0f} ms)"
        )
    if options.json:
        options.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
