"""The container image, built and run as Kubernetes would run it: its own entrypoint and
command, a read-only root file system, ``/tmp`` and the data folder its only writable places.

It creates an API key with ``texrender keys create``, starts, becomes ready, renders a
template's sample (the PDF's text checked), and drains on SIGTERM: a render in flight when the
signal comes is answered 200, and the process ends within the grace period a Kubernetes pod
gives it. How long it took to be ready is printed (a figure for the README, not a check).

The loaded engines: the image holds no C compiler, only the shim its build stage made, and its
server forks renders from zygotes with it, on both paths (``/metrics`` counts them; the PDFs'
text checked).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

from rendering import DEFAULT_TEMPLATES_DIR
from rendering.typesetting._fonts import measure_coverage
from server.settings import Settings
from tests.conftest import TEST_TEMPLATES_DIR, pdf_text
from tests.deploy.container import Container, Started, image_config

pytestmark = pytest.mark.timeout(1800)  # the first test builds the image

USER = "10001"
TEST_TEMPLATES = "/srv/texrender-test-templates"  # where tests/templates is mounted
READY_WAIT_S = 120.0  # a bound on waiting, so a broken image fails instead of hanging
GRACE_S = Settings().graceful_timeout_s + Settings().drain_delay_s  # the image's defaults
# The slow test template's loop count: about 1.5 s of TeX, in flight when SIGTERM is sent.
SLOW_COUNT = 3_000_000
DRAINED_ID = "image-test-drained"
# What the server logs once the fast path's zygotes are started (rendering/loaded_engines.py),
# or when it cannot use them.
ZYGOTES_STARTED = re.compile(r"loaded engines: (\d+) TeX zygote\(s\) ready")
ZYGOTES_OFF = "loaded engines off"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    subprocess.run(["chown", f"{USER}:{USER}", str(folder)], check=True)
    return folder


@pytest.fixture
def container(image: str, data: Path) -> Iterator[Container]:
    with Container(image, data, binds={TEST_TEMPLATES: str(TEST_TEMPLATES_DIR)}) as made:
        yield made


def test_the_image_runs_as_a_numeric_user_and_is_told_everything_by_variables(
    image: str,
) -> None:
    config = image_config(image)
    assert config["User"] == f"{USER}:{USER}"
    assert config["Entrypoint"] == ["/usr/bin/tini", "--"]
    assert config["Cmd"] == ["texrender", "serve"]  # no flags: the variables rule
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["TEXRENDER_BIND"] == "0.0.0.0:8000"
    assert env["TEXRENDER_DATA_DIR"] in config["Volumes"]
    assert "/tmp" in config["Volumes"]


def test_the_build_ca_is_not_in_the_image(container: Container) -> None:
    # The host's bundle (a proxy's CA may be in it) is a build secret, mounted over the image's
    # own bundle by the steps that download: none of the host's own CAs may be left in it.
    extras = list(Path("/usr/local/share/ca-certificates").glob("*.crt"))
    if not extras:
        pytest.skip("this host adds no CA of its own to look for")
    bundle = container.run(["cat", "/etc/ssl/certs/ca-certificates.crt"])
    assert "BEGIN CERTIFICATE" in bundle
    for extra in extras:
        body = "".join(extra.read_text().split("-----")[2].split())  # the base64 alone
        assert body[:200] not in "".join(bundle.split()), f"{extra.name} is in the image"


def test_the_fonts_cut_from_the_image_cost_the_unicode_path_nothing(
    container: Container,
) -> None:
    # The image keeps only the Noto files texrender names: what the Unicode path covers there
    # must be what it covers on this host, with every Noto file installed.
    script = (
        "import trio; from rendering.typesetting._fonts import measure_coverage; "
        "print(repr(trio.run(measure_coverage).ranges))"
    )
    inside = container.run(["python", "-c", script])
    host = trio.run(measure_coverage)
    assert host is not None, "this host has no Unicode path to compare with"
    assert inside.strip() == repr(host.ranges)


def test_fontconfig_finds_its_caches_valid(container: Container) -> None:
    # Caches that look stale (a layer keeps folder times to the second) would be rebuilt into
    # $HOME/.cache, that is /tmp, at every start: seconds of scanning the CJK collections.
    assert container.run(["sh", "-c", 'fc-match "Noto Serif" >/dev/null && ls -A /tmp']) == ""


def test_the_image_has_no_compiler_but_the_shim_its_build_stage_made(
    image: str, container: Container
) -> None:
    # gcc and libc6-dev stay in the shim stage (deploy/build-packages.txt): no compiler, no
    # assembler or linker, no libc headers here. The shim the server is told of is a shared
    # library of root's that the image's user (TeX's) can read and not change.
    found = container.run(
        ["sh", "-c", "for tool in cc gcc c99 cpp as ld; do command -v $tool; done; true"]
    )
    assert found == ""
    packages = container.run(["sh", "-c", "dpkg-query -W gcc libc6-dev 2>&1; true"])
    assert "no packages found matching gcc" in packages
    assert "no packages found matching libc6-dev" in packages
    assert not container.run(["sh", "-c", "ls /usr/include/stdio.h 2>/dev/null; true"])
    shim = dict(item.split("=", 1) for item in image_config(image)["Env"])["TEXRENDER_ZYGOTE_SHIM"]
    assert container.run(["stat", "-c", "%U %a", shim]).split() == ["root", "644"]
    assert container.run(["head", "-c", "4", shim]) == "\x7fELF"
    assert container.run(["sh", "-c", f"test -r {shim} && ! test -w {shim} && id -u"]) == (
        f"{USER}\n"
    )


def test_the_images_server_forks_renders_from_loaded_engines(
    container: Container, tmp_path: Path
) -> None:
    key = create_key(container)
    with container.start({"TEXRENDER_BIND": "127.0.0.1:0"}, tmp_path / "serve.log") as server:
        url = wait_ready(server)
        started = wait_zygotes(server)
        print(f"\nimage: {started} zygote(s) ready")
        assert started >= 1
        assert metric(url, "texrender_zygotes_ready") >= started
        sample = json.loads((DEFAULT_TEMPLATES_DIR / "resume-classic/sample.json").read_text())
        with httpx.Client(base_url=url, headers={"authorization": f"Bearer {key}"}) as client:

            def render(name: str) -> None:
                # A name of its own each time: the same body twice would be the cache's answer.
                body = sample | {"basics": sample["basics"] | {"name": name}}
                rendered = client.post("/v1/render/resume-classic", json=body, timeout=60)
                assert rendered.status_code == 200, rendered.text
                assert name in pdf_text(rendered.content)

            for number in range(1, 4):
                render(f"{sample['basics']['name']} {number}")
            forked = metric(url, "texrender_zygote_jobs_total", how="forked")
            # The template's zygote was ready before the first: each of the three was forked.
            assert forked >= 3, server.log.read_text()[-3000:]

            # The Unicode path's zygote (XeTeX) starts on the first render that needs it (run
            # afresh meanwhile); the next is forked from it.
            render("エイダ・ラブレス 1")
            wait_for(
                lambda: metric(url, "texrender_zygotes_ready") > started,
                "the Unicode path's zygote to start",
                server,
            )
            render("エイダ・ラブレス 2")
            assert metric(url, "texrender_zygote_jobs_total", how="forked") > forked
        declined = metric(url, "texrender_zygote_jobs_total", how="declined")
        print(
            f"image: renders forked {metric(url, 'texrender_zygote_jobs_total', how='forked'):g}"
            f", declined {declined:g}"
        )


def test_serve_render_and_drain_on_a_read_only_root(
    container: Container, data: Path, tmp_path: Path
) -> None:
    key = create_key(container)
    assert any(data.iterdir()), "the key was not stored on the data volume"
    templates = container.run(
        ["python", "-c", "import rendering; print(rendering.DEFAULT_TEMPLATES_DIR)"]
    ).strip()
    env = {
        "TEXRENDER_BIND": "127.0.0.1:0",  # the host's loopback: chroot isolation shares it
        "TEXRENDER_TEMPLATE_DIRS": f"{templates},{TEST_TEMPLATES}",
    }
    started_at = time.monotonic()
    with container.start(env, tmp_path / "serve.log") as server:
        url = wait_ready(server)
        print(f"\nimage: ready {time.monotonic() - started_at:.1f} s after buildah run")
        readiness = httpx.get(f"{url}/readyz").json()
        assert set(readiness["formats"].values()) <= {"ready", "none"}, readiness
        assert "format folder /opt/texrender/formats is read-only" in server.log.read_text()

        with httpx.Client(base_url=url, headers={"authorization": f"Bearer {key}"}) as client:
            sample = json.loads((DEFAULT_TEMPLATES_DIR / "resume-classic/sample.json").read_text())
            rendered = client.post("/v1/render/resume-classic", json=sample, timeout=60)
            assert rendered.status_code == 200, rendered.text
            assert sample["basics"]["name"] in pdf_text(rendered.content)

            answer: dict[str, httpx.Response] = {}
            slow = threading.Thread(
                target=lambda: answer.update(
                    response=client.post(
                        "/v1/render/slow",
                        json={"text": "drained", "count": SLOW_COUNT},
                        headers={"x-request-id": DRAINED_ID},
                        timeout=60,
                    )
                )
            )
            # The zygotes are pdfTeX processes too: the render's is any other (forked or not).
            wait_zygotes(server)
            zygotes = set(server.processes("pdflatex"))
            slow.start()
            wait_for(
                lambda: set(server.processes("pdflatex")) - zygotes,
                "the slow render's TeX to start",
            )
            pid1 = server.pid1()
            assert pid1 is not None
            signalled = time.monotonic()
            subprocess.run(["kill", "-TERM", str(pid1)], check=True)
            slow.join(timeout=GRACE_S)
            exit_code = server.process.wait(timeout=GRACE_S)
            print(f"image: stopped {time.monotonic() - signalled:.1f} s after SIGTERM")
    assert answer["response"].status_code == 200, answer["response"].text
    assert "drained" in pdf_text(answer["response"].content)
    assert exit_code == 0, server.log.read_text()[-3000:]
    # The server's own log says it in order: SIGTERM came, then the render was answered.
    events = [(str(e.get("event")), e.get("request_id")) for e in log_events(server.log)]
    signalled_at = next(n for n, (text, _) in enumerate(events) if text.startswith("received SIG"))
    answered_at = events.index(("request", DRAINED_ID))
    assert signalled_at < answered_at, events


def create_key(container: Container) -> str:
    printed = container.run(["texrender", "keys", "create", "image-test"])
    return next(line for line in printed.split() if line.startswith("trk_"))


def wait_ready(server: Started) -> str:
    """The server's URL once its log says where it listens and ``/readyz`` answers 200."""
    found: list[str] = []

    def listening() -> bool:
        found[:] = re.findall(r"Running on (http://127\.0\.0\.1:\d+)", server.log.read_text())
        return bool(found)

    wait_for(listening, "the server to listen", server)
    url = found[0]
    wait_for(lambda: ready(url), "/readyz to answer 200", server)
    return url


def wait_zygotes(server: Started) -> int:
    """How many zygotes the server started for the fast path's formats, once it says so; the
    test fails if it says they are off."""
    found: list[int] = []

    def said() -> bool:
        text = server.log.read_text()
        if ZYGOTES_OFF in text:
            pytest.fail(f"the image's server runs without its loaded engines: {text[-3000:]}")
        found[:] = [int(n) for n in ZYGOTES_STARTED.findall(text)]
        return bool(found)

    wait_for(said, "the zygotes to start", server)
    return found[0]


def metric(url: str, name: str, **labels: str) -> float:
    """The value of one sample of the server's /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    pytest.fail(f"/metrics has no {name} {labels}")


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(check: Callable[[], object], what: str, server: Started | None = None) -> None:
    """Poll ``check`` until it is true; fail after READY_WAIT_S, or at once if the server ended."""
    deadline = time.monotonic() + READY_WAIT_S
    while not check():
        if server is not None and server.process.poll() is not None:
            pytest.fail(f"the container ended before {what}: {server.log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"waited {READY_WAIT_S:g} s for {what}")
        time.sleep(0.05)


def log_events(log: Path) -> list[dict[str, Any]]:
    events = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    return events
