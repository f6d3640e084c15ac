"""The playground is usable by everyone: axe-core (vendored) run in the page finds no serious or
critical violation, in light and dark, wide and phone-sized; keyboard alone reaches and works
every part, with focus visible; at phone width the editor comes first and nothing overflows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import open_page
from tests.browser.harness import wait_ready

pytestmark = pytest.mark.tex

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations of impact serious or critical, each with the elements it found."""
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({id: v.id, help: v.help,
                              targets: v.nodes.map((n) => n.target.join(" "))}));
        }"""
    )
    return found


@pytest.mark.parametrize(
    ("viewport", "scheme"),
    [({"width": 1280, "height": 900}, "light"), (PHONE, "dark")],
    ids=["wide-light", "phone-dark"],
)
def test_axe_finds_no_serious_violation(
    browser: Browser, playground: str, viewport: dict[str, int], scheme: str
) -> None:
    # An init script is the browser's own, outside the page's policy (which allows no inline
    # script), so axe can be put in without loosening the page.
    with open_page(browser, playground, viewport=viewport, color_scheme=scheme) as watched:
        watched.expect_status(422)
        page = watched.page
        page.add_init_script(path=AXE)
        page.goto(f"{playground}/")
        wait_ready(page)
        # Every part shown: messages (an error and warnings), both folded sections open.
        text = page.input_value("#data").replace('"zoe.ln@example.org"', '"not an email"')
        page.fill("#data", text)
        wait_ready(page)
        assert page.locator("#messages li").count() >= 1
        page.click("#documents summary")
        page.click("#curl-box summary")
        assert serious_violations(page) == []


def test_phone_width_puts_the_editor_above_the_preview(browser: Browser, playground: str) -> None:
    with open_page(browser, playground, viewport=PHONE) as watched:
        page = watched.page
        page.goto(f"{playground}/")
        wait_ready(page)
        editor = page.locator("#data").bounding_box()
        preview = page.locator("#pages").bounding_box()
        assert editor is not None
        assert preview is not None
        assert editor["y"] + editor["height"] <= preview["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def focus_outline(page: Page) -> str:
    """The outline drawn for the focused element (or the nearest ancestor that draws one)."""
    found: str = page.evaluate(
        """() => {
            for (let at = document.activeElement; at; at = at.parentElement) {
                const style = getComputedStyle(at);
                if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) {
                    return `${style.outlineStyle} ${style.outlineWidth}`;
                }
            }
            return "none";
        }"""
    )
    return found


def tab_to(page: Page, selector: str, *, most: int = 40) -> None:
    """Press Tab until ``selector`` has the focus, each stop showing where the focus is."""
    for _ in range(most):
        page.keyboard.press("Tab")
        assert focus_outline(page) != "none", page.evaluate("document.activeElement.outerHTML")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} is not reached with Tab")


def test_the_keyboard_alone_picks_a_template_edits_and_downloads(
    browser: Browser, playground: str
) -> None:
    with open_page(browser, playground) as watched:
        page = watched.page
        page.goto(f"{playground}/")
        wait_ready(page)
        tab_to(page, "#key")
        tab_to(page, "#templates input:checked")
        page.keyboard.press("ArrowRight")  # the next template in the group is picked
        wait_ready(page)
        picked = page.evaluate("document.querySelector('#templates input:checked').value")
        assert picked == "resume-modern"  # the one after resume-classic, picked at first
        assert page.evaluate("location.hash") == f"#{picked}"

        tab_to(page, "#data")
        page.keyboard.press("Control+End")
        page.keyboard.press("ArrowLeft")  # inside the last closing brace
        page.keyboard.type(', "note": 1')
        wait_ready(page)
        assert ', "note": 1' in page.input_value("#data")
        tab_to(page, "#download")
        with page.expect_download() as started:
            page.keyboard.press("Enter")
        assert started.value.suggested_filename.endswith(".pdf")
