"""The playground at ``/``, used as a person uses it, in Debian's chromium against a live server.
What the page shows is checked against the real thing: the PDF it offers for download (its
text extracted), the curl command it writes (run), the server's own counters."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from playwright.sync_api import Browser, Page

from tests.browser.conftest import fresh_work, open_page
from tests.browser.harness import (
    Watch,
    cancelled,
    metric,
    pick,
    tex_runs,
    wait_ready,
    wait_until,
)
from tests.conftest import pdf_pages, pdf_text, server_in_thread, server_settings, squash
from tests.server.conftest import add_key

pytestmark = pytest.mark.tex

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "resumes"
SAMPLE_NAME = json.loads((TEMPLATES / "resume-classic" / "sample.json").read_text())["basics"][
    "name"
]


def open_playground(watch: Watch, fragment: str = "") -> Page:
    watch.page.goto(f"{watch.server}/{fragment}")
    wait_ready(watch.page)
    assert_state(watch.page, "ready")
    return watch.page


def assert_state(page: Page, state: str) -> None:
    assert page.get_attribute("#status", "data-state") == state, page.inner_text("#status")


def wait_for_file(page: Page, text: str) -> None:
    """Wait for an opened or dropped file's preview. The page reads a file asynchronously, and
    the preview before it still says "ready" meanwhile: wait for the file's text in the editor
    (the page starts its render in the same step), then for the render to end."""
    wait_until(lambda: page.input_value("#data") == text)
    page.wait_for_selector("#status:not([data-state=ready])")
    wait_ready(page)
    assert_state(page, "ready")


def edit(page: Page, text: str) -> None:
    """Replace the editor's text (an input event, as typing makes) and wait for the page."""
    page.fill("#data", text)
    wait_ready(page)


def download(page: Page) -> tuple[str, bytes]:
    """The PDF the page offers: its file name and bytes."""
    with page.expect_download() as started:
        page.click("#download")
    saved = started.value
    return saved.suggested_filename, Path(saved.path()).read_bytes()


def selection(page: Page) -> tuple[str, str]:
    """The id of the focused element and the editor's selected text."""
    found: list[str] = page.evaluate(
        """() => {
            const area = document.getElementById("data");
            return [document.activeElement.id,
                    area.value.slice(area.selectionStart, area.selectionEnd)];
        }"""
    )
    return found[0], found[1]


def test_an_edit_is_rendered_and_the_download_and_curl_hold_it(
    watched: Watch, artifacts: Path, tmp_path: Path
) -> None:
    page = open_playground(watched)
    assert page.is_checked("#templates input[value='resume-classic']")
    assert SAMPLE_NAME in page.input_value("#data")

    edit(page, page.input_value("#data").replace(SAMPLE_NAME, "Ada Lovelace"))
    assert_state(page, "ready")
    name, pdf = download(page)
    assert name == "Ada-Lovelace.pdf"
    text = pdf_text(pdf)
    assert "Ada Lovelace" in text
    assert SAMPLE_NAME not in text
    # The picture shown is of the new data, and the server's timings are on the page.
    assert page.evaluate("document.getElementById('page').naturalWidth") > 0
    timings = page.inner_text("#timings")
    assert "tex" in timings
    assert "edit → preview" in timings
    # Every request the page made to render carried the editor's text exactly.
    last = watched.render_requests()[-1]
    assert last.post_data == page.input_value("#data")

    # "Copy as curl" is the exact command: run, it gives the same document.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#copy-curl")
    page.wait_for_selector("#copy-note:text-is('Copied.')")
    command = page.evaluate("navigator.clipboard.readText()")
    assert command == page.text_content("#curl")
    assert "Authorization" not in command  # auth is off here: no key, none sent
    subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True, capture_output=True)
    assert squash(pdf_text((tmp_path / "Ada-Lovelace.pdf").read_bytes())) == squash(text)

    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=artifacts / "playground.png", full_page=True)


def test_typing_fast_cancels_the_renders_it_supersedes(watched: Watch) -> None:
    """The slow test template spends about a second in TeX: each edit made while a render of
    the previous one is in TeX aborts that request, and the server stops the TeX run."""
    page = open_playground(watched, "#slow")
    server = watched.server
    stopped_before, runs_before = cancelled(server, "slow"), tex_runs(server, "slow")
    aborted: list[str] = []
    page.on("requestfailed", lambda request: aborted.append(request.url))

    text = page.input_value("#data")
    end = text.index("world") + len("world")
    page.focus("#data")
    page.evaluate(f"document.getElementById('data').setSelectionRange({end}, {end})")
    edits = 0
    for _ in range(3):
        wait_until(lambda: metric(server, "texrender_renders_in_flight") == 0)
        page.keyboard.type("x")
        wait_until(lambda: metric(server, "texrender_renders_in_flight") >= 1)
        page.keyboard.type("y")  # while the render of "x" is in TeX
        edits += 2
    page.keyboard.type("abcde")  # faster than the pause: one render for all five
    edits += 5
    wait_ready(page)
    assert_state(page, "ready")

    wait_until(lambda: cancelled(server, "slow") - stopped_before >= 3)
    runs = tex_runs(server, "slow") - runs_before
    assert runs < edits
    assert len([url for url in aborted if "/v1/render/slow" in url]) >= 3
    _, pdf = download(page)
    assert "worldxyxyxyabcde" in squash(pdf_text(pdf))


def test_broken_json_is_shown_at_its_line_and_never_sent(watched: Watch) -> None:
    page = open_playground(watched, "#echo")
    sent_before = len(watched.render_requests())
    broken = '{\n  "text": "Hello"\n  "more": 1\n}'
    edit(page, broken)
    assert_state(page, "invalid-json")
    assert "line 3, column 3" in page.inner_text("#messages")
    assert "line 3, column 3" in page.inner_text("#status")
    assert page.inner_text(".gutter .error-line") == "3"
    assert page.get_attribute("#data", "aria-invalid") == "true"
    # The place is a button that puts the cursor there.
    page.locator("#messages button", has_text="line 3").click()
    assert page.evaluate("document.getElementById('data').selectionStart") == broken.index('"more"')

    fixed = broken.replace('"Hello"\n', '"Hello",\n')
    edit(page, fixed)
    assert_state(page, "ready")
    assert page.get_attribute("#data", "aria-invalid") == "false"
    sent = [r.post_data for r in watched.render_requests()[sent_before:]]
    assert sent
    assert set(sent) == {fixed}  # the broken text never left the page


def test_a_schema_error_names_its_field_and_a_click_puts_the_cursor_there(
    watched: Watch,
) -> None:
    watched.expect_status(422)
    page = open_playground(watched)
    text = page.input_value("#data")
    edit(page, text.replace('"zoe.ln@example.org"', '"not an email"'))
    assert_state(page, "problem")
    messages = page.inner_text("#messages")
    assert "/basics/email" in messages
    assert "not an email address" in messages

    page.focus("#templates input:checked")
    page.locator("#messages button", has_text="/basics/email").click()
    focused, selected = selection(page)
    assert focused == "data"
    assert selected == '"not an email"'


def resolve(data: Any, pointer: str) -> Any:
    """The value a JSON Pointer names in ``data`` (KeyError or IndexError if none)."""
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def test_a_file_opened_or_dropped_is_read_with_every_warning_listed(watched: Watch) -> None:
    page = open_playground(watched)
    legacy = FIXTURES / "legacy-keys.json"
    text = legacy.read_text(encoding="utf-8")
    page.set_input_files("#file", legacy)
    wait_for_file(page, text)
    # All of them, not only the few X-Render-Warnings carries.
    answer = httpx.post(
        f"{watched.server}/v1/validate/resume-classic", content=text.encode(), headers=JSON_BODY
    ).json()
    assert len(answer["warnings"]) > 5
    listed = page.locator("#messages li.warning")
    assert listed.count() == len(answer["warnings"])
    data = json.loads(text)
    for warning in answer["warnings"]:
        try:
            value = resolve(data, warning["pointer"])
        except (KeyError, IndexError):
            continue  # a warning about a place the reading made
        page.locator("#messages button", has_text=warning["pointer"]).first.click()
        focused, selected = selection(page)
        assert focused == "data"
        assert json.loads(selected) == value
        break
    else:
        raise AssertionError("no warning points at a place of the file")

    dropped = FIXTURES / "japanese-resume.json"
    transfer = page.evaluate_handle(
        """text => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "resume.json", {type: "application/json"}));
            return transfer;
        }""",
        dropped.read_text(encoding="utf-8"),
    )
    page.dispatch_event("#editor", "drop", {"dataTransfer": transfer})
    wait_for_file(page, dropped.read_text(encoding="utf-8"))


def test_a_tex_error_shows_the_template_line_the_server_reports(watched: Watch) -> None:
    watched.expect_status(422)
    page = open_playground(watched, "#layout")
    data = '{"text": "Hello", "fail": true}'
    edit(page, data)
    assert_state(page, "problem")
    answer = httpx.post(f"{watched.server}/v1/render/layout", content=data, headers=JSON_BODY)
    tex = answer.json()["tex"]
    messages = page.inner_text("#messages")
    assert f"{tex['template']}, line {tex['template_line']}" in messages
    assert tex["message"] in messages


JSON_BODY = {"content-type": "application/json"}


def test_switching_templates_keeps_edited_data_and_loads_untouched_samples(
    watched: Watch,
) -> None:
    watched.expect_status(422)
    page = open_playground(watched)
    modern = json.loads((TEMPLATES / "resume-modern" / "sample.json").read_text())
    pick(page, "resume-modern")  # the classic sample is untouched: the modern one replaces it
    wait_ready(page)
    assert_state(page, "ready")
    assert page.evaluate("location.hash") == "#resume-modern"
    assert squash(modern["basics"]["name"]) in squash(pdf_text(download(page)[1]))

    edit(page, page.input_value("#data").replace(modern["basics"]["name"], "Grace Hopper"))
    pick(page, "resume-classic")  # edited data is kept
    wait_ready(page)
    assert_state(page, "ready")
    assert watched.render_requests()[-1].url.split("?")[0].endswith("/v1/render/resume-classic")
    assert "Grace Hopper" in pdf_text(download(page)[1])

    letter = json.loads((TEMPLATES / "cover-letter" / "sample.json").read_text())
    pick(page, "cover-letter")
    wait_ready(page)  # a resume is no letter: the server says what is wrong with it
    page.click("#load-sample")
    wait_ready(page)
    assert_state(page, "ready")
    assert squash(letter["recipient"]["name"]) in squash(pdf_text(download(page)[1]))


def test_pages_can_be_turned_and_zoom_asks_for_more_pixels(watched: Watch) -> None:
    page = open_playground(watched, "#layout")
    paragraphs = [" ".join(["typesetting"] * 40)] * 20
    edit(page, json.dumps({"text": "Pages", "paragraphs": paragraphs}, indent=2))
    assert_state(page, "ready")
    pages = pdf_pages(download(page)[1])
    assert pages > 1
    assert page.inner_text("#page-label") == f"Page 1 of {pages}"
    assert page.is_disabled("#page-previous")

    page.click("#page-next")
    page.wait_for_selector("#page[data-page='2']")
    assert page.inner_text("#page-label") == f"Page 2 of {pages}"

    widths: dict[str, int] = {}
    for zoom, dpi in (("1", 96), ("2", 192)):
        page.select_option("#zoom", zoom)
        page.wait_for_selector(f"#page[data-page='2'][data-dpi='{dpi}']")
        natural, shown = page.evaluate(
            "(() => { const i = document.getElementById('page');"
            " return [i.naturalWidth, i.getBoundingClientRect().width]; })()"
        )
        widths[zoom] = natural
        assert abs(natural - shown) <= 1  # one picture pixel a screen pixel: sharp
    assert 1.9 < widths["2"] / widths["1"] < 2.1


def test_the_paper_size_asked_for_is_the_page_shown_downloaded_and_in_the_curl(
    watched: Watch,
) -> None:
    page = open_playground(watched)
    before = len(watched.render_requests())
    page.select_option("#paper", "letter")
    wait_ready(page)
    assert_state(page, "ready")
    asked = [r.url for r in watched.render_requests()[before:]]
    assert asked
    assert all("paper=letter" in url for url in asked), asked
    _, pdf = download(page)
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    assert "612 x 792 pts" in info.stdout.decode()
    ratio = page.evaluate(
        "(() => { const i = document.getElementById('page');"
        " return i.naturalWidth / i.naturalHeight; })()"
    )
    assert abs(ratio - 612 / 792) < 0.01  # Letter's shape, not A4's (0.707)
    assert "/v1/render/resume-classic?paper=letter'" in (page.text_content("#curl") or "")


def test_what_people_type_is_shown_as_text_never_as_markup(watched: Watch) -> None:
    page = open_playground(watched)
    hostile = '<img src="hostile" onerror="window.hacked=1">'
    data = json.loads(page.input_value("#data"))
    data["basics"][hostile] = "x"
    edit(page, json.dumps(data, indent=2, ensure_ascii=False))
    assert_state(page, "ready")
    assert hostile in page.inner_text("#messages")  # its unknown-key warning, as text
    assert page.locator("#messages img").count() == 0
    assert page.evaluate("window.hacked") is None
    assert not [r.url for r in watched.requests if "hostile" in r.url]


def test_documents_are_saved_with_if_match_and_a_conflict_is_explained(
    watched: Watch,
) -> None:
    watched.expect_status(412)
    page = open_playground(watched)
    title = f"Browser {uuid.uuid4().hex[:8]}"
    page.click("#documents summary")
    page.fill("#doc-title", title)
    page.click("#doc-save")
    page.wait_for_selector("#doc-state:has-text('revision 1')")
    listed = httpx.get(f"{watched.server}/v1/documents?limit=100").json()["items"]
    (stored,) = [item for item in listed if item["title"] == title]
    path = f"{watched.server}/v1/documents/{stored['id']}"

    elsewhere = {**httpx.get(path).json(), "title": f"{title} (elsewhere)"}
    body = {key: elsewhere[key] for key in ("template", "data", "title")}
    assert httpx.put(path, json=body).status_code == 200  # revision 2, made by someone else

    page.fill("#data", page.input_value("#data").replace(SAMPLE_NAME, "Mary Somerville"))
    page.click("#doc-save")
    page.wait_for_selector("#doc-conflict:visible")
    assert "Changed elsewhere" in page.inner_text("#doc-conflict")
    assert httpx.get(path).json()["revision"] == 2  # nothing was overwritten unasked

    page.click("#doc-overwrite")
    page.wait_for_selector("#doc-state:has-text('revision 3')")
    assert page.is_hidden("#doc-conflict")
    assert httpx.get(path).json()["data"]["basics"]["name"] == "Mary Somerville"

    assert httpx.put(path, json=body).status_code == 200  # revision 4, elsewhere again
    page.click("#doc-save")
    page.wait_for_selector("#doc-conflict:visible")
    page.click("#doc-reload")
    page.wait_for_selector("#doc-state:has-text('revision 4')")
    assert SAMPLE_NAME in page.input_value("#data")
    assert page.input_value("#doc-title") == f"{title} (elsewhere)"


@pytest.fixture
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server with API keys on, and a key for it."""
    settings = server_settings(fresh_work(tmp_path_factory, "browser-auth"), auth="on")
    assert settings.data_dir is not None
    key = trio.run(add_key, settings.data_dir, "browser", "alice")
    with server_in_thread(settings) as url:
        yield url, key


def test_with_auth_on_the_401_is_explained_then_a_key_works(
    browser: Browser, guarded: tuple[str, str], tmp_path: Path
) -> None:
    server, key = guarded
    with open_page(browser, server) as watched:
        watched.expect_status(401)
        page = watched.page
        page.goto(f"{server}/")
        page.wait_for_selector("#status[data-state=unauthorized]")
        assert "needs an API key" in page.inner_text("#auth-note")

        page.fill("#key", key)
        page.press("#key", "Enter")
        page.wait_for_selector("#status[data-state=ready]")
        assert page.is_hidden("#auth-note")
        assert page.evaluate("sessionStorage.getItem('texrender.key')") == key
        assert page.evaluate("localStorage.length") == 0
        # Every request after the key was given carried it, the pictures' too.
        given = [r for r in watched.requests if "/v1/" in r.url]
        assert any(r.headers.get("authorization") == f"Bearer {key}" for r in given)
        after = given[[r.headers.get("authorization") for r in given].index(f"Bearer {key}") :]
        assert all(r.headers.get("authorization") == f"Bearer {key}" for r in after)
        assert page.locator("#templates img:visible").count() >= 1

        assert SAMPLE_NAME in pdf_text(download(page)[1])
        command = page.text_content("#curl") or ""
        assert f"Authorization: Bearer {key}" in command
        run = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True)
        assert run.returncode == 0
        (made,) = tmp_path.glob("*.pdf")
        assert SAMPLE_NAME in pdf_text(made.read_bytes())
