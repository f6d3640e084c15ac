"""Driving the load: the loopback guard, unique bodies, the closed loop's Retry-After and ramp
(the driver alone, on the mock clock), and the API key, problem types and Server-Timing read
from answers."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest
import trio
import trio.testing

from loadtest.drive import (
    Send,
    TemplateBody,
    auth_headers,
    closed_loop,
    is_loopback_address,
    key_label,
    load_client,
    poisson_arrivals,
    problem_type,
    refuse_remote,
    server_timing_ms,
    side_client,
    unique_path,
)
from loadtest.record import Recorder


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.4.5.6", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("192.0.2.1", False),
        ("fe80::1%eth0", False),
        ("not-an-address", False),
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback_address(address) is loopback


@pytest.mark.parametrize(
    "url", ["http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]:8000/"]
)
async def test_guard_accepts_loopback(url: str) -> None:
    assert await refuse_remote(url) is None


async def test_guard_refuses_remote_unless_allowed() -> None:
    reason = await refuse_remote("http://192.0.2.1:8000")
    assert reason is not None
    assert "192.0.2.1" in reason
    assert "--allow-remote" in reason
    assert await refuse_remote("http://192.0.2.1:8000", allow_remote=True) is None
    assert await refuse_remote("ftp://127.0.0.1/") is not None


# --- bodies ---------------------------------------------------------------------------------


def test_unique_bodies_change_a_visible_string() -> None:
    resume = {
        "$schema": "https://example.org/schema.json",
        "basics": {"name": "Zoë", "email": "z@example.org", "summary": "Builds things."},
    }
    assert unique_path(resume) == ("basics", "summary")
    assert unique_path({"$schema": "x", "meta": {"url": "u"}, "text": "hi"}) == ("text",)
    assert unique_path({"n": [1, {"deep": "first"}]}) == ("n", 1, "deep")
    assert unique_path({"n": 1}) is None
    body = TemplateBody.build("resume", resume, unique=True)
    first, second = json.loads(body.numbered(1)), json.loads(body.numbered(2))
    assert first["basics"]["summary"] == "Builds things. #1"
    assert second["basics"]["summary"] == "Builds things. #2"
    assert first["basics"]["name"] == "Zoë"
    assert first["$schema"] == resume["$schema"]
    same = TemplateBody.build("resume", resume, unique=False)
    assert same.numbered(1) == same.numbered(2)
    assert json.loads(same.numbered(1)) == resume


# --- Retry-After and the ramp (the driver alone, on the mock clock) -------------------------


def refusing_client(sent_at: list[float], retry_after: str = "2") -> httpx.AsyncClient:
    """A client whose every POST is answered at once with a 429 asking for ``retry_after``."""

    def answer(request: httpx.Request) -> httpx.Response:
        sent_at.append(trio.current_time())
        return httpx.Response(429, headers={"retry-after": retry_after})

    return httpx.AsyncClient(base_url="http://127.0.0.1", transport=httpx.MockTransport(answer))


async def closed_run(client: httpx.AsyncClient, **options: Any) -> Recorder:
    recorder = Recorder(trio.current_time())
    await closed_loop(
        client,
        lambda: ("/v1/render/echo", b"{}"),
        recorder,
        stop_at=recorder.start + 5.0,
        requests=options.pop("requests", None),
        drain_s=1.0,
        timeout_s=1.0,
        **options,
    )
    return recorder


async def test_a_polite_client_waits_as_retry_after_asks(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sent_at: list[float] = []
    async with refusing_client(sent_at) as client:
        recorder = await closed_run(client, concurrency=1)
    assert sent_at == pytest.approx([0.0, 2.0, 4.0])
    assert (recorder.backoffs, recorder.backoff_s) == (3, 6.0)
    assert recorder.status_counts == {"429": 3}


async def test_a_hostile_client_asks_again_at_once(autojump_clock: trio.testing.MockClock) -> None:
    sent_at: list[float] = []
    async with refusing_client(sent_at) as client:
        recorder = await closed_run(client, concurrency=1, honor_retry_after=False, requests=50)
    assert len(sent_at) == 50
    assert max(sent_at) == pytest.approx(0.0)
    assert recorder.backoffs == 0


async def test_a_retry_after_that_is_not_seconds_is_not_waited_for(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sent_at: list[float] = []
    async with refusing_client(sent_at, "Wed, 21 Oct 2026 07:28:00 GMT") as client:
        await closed_run(client, concurrency=1, requests=5)
    assert len(sent_at) == 5


async def test_the_ramp_spreads_the_first_requests(autojump_clock: trio.testing.MockClock) -> None:
    sent_at: list[float] = []
    async with refusing_client(sent_at, "10") as client:
        await closed_run(client, concurrency=4, ramp_s=2.0)
    assert sorted(sent_at) == pytest.approx([0.0, 0.5, 1.0, 1.5])


async def test_poisson_arrivals_end_at_the_request_count(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The schedule the open loop and the soak share: at most ``requests`` arrivals, each sent
    at its scheduled time, and the end of the schedule is when the last one left."""
    scheduled_at: list[float] = []

    def next_send() -> Send:
        async def send(scheduled: float) -> None:
            scheduled_at.append(scheduled)
            assert trio.current_time() == pytest.approx(scheduled)

        return send

    start = trio.current_time()
    sent, ended = await poisson_arrivals(
        start, next_send, rate=10.0, rng=random.Random(1), stop_at=start + 100.0,
        requests=5, drain_s=1.0, max_in_flight=2,
    )  # fmt: skip
    assert sent == len(scheduled_at) == 5
    assert scheduled_at == sorted(scheduled_at)
    assert ended == pytest.approx(scheduled_at[-1])


# --- API keys, problem types, Server-Timing --------------------------------------------------

KEY = "trk_0123456789abcdef_" + "s" * 43


async def test_both_clients_carry_the_key() -> None:
    """``Authorization: Bearer`` is a default header of the load's client and the side client
    (the wire itself: ``test_harness``); without a key there is none."""
    for client in (
        load_client("http://127.0.0.1", 2, 5.0, key=KEY),
        side_client("http://x", key=KEY),
    ):
        async with client:
            assert client.headers["authorization"] == f"Bearer {KEY}"
    for client in (load_client("http://127.0.0.1", 2, 5.0), side_client("http://127.0.0.1")):
        async with client:
            assert "authorization" not in client.headers


@pytest.mark.parametrize("key", ["", "two words", "tab\there", "new\nline", "nul\x00"])
def test_a_key_that_is_not_one_printable_word_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="one word"):
        auth_headers(key)


def test_a_report_names_a_key_by_its_public_id_only() -> None:
    assert key_label(KEY) == "trk_0123456789abcdef_…"
    assert "s" * 10 not in (key_label(KEY) or "")
    assert key_label("some-other-token") == "(set)"
    assert key_label(None) is None


def problem(
    status: int, kind: object, media_type: str = "application/problem+json"
) -> httpx.Response:
    body = json.dumps({"type": kind, "title": "t", "status": status}).encode()
    return httpx.Response(status, content=body, headers={"content-type": media_type})


def test_problem_types_are_read_from_problem_json() -> None:
    assert problem_type(problem(429, "/problems/owner-queue-full")) == "owner-queue-full"
    assert problem_type(problem(429, "/problems/queue-full")) == "queue-full"
    assert problem_type(problem(429, "https://example.org/p/rate-limited/")) == "rate-limited"
    assert problem_type(problem(429, "queue-full", "application/problem+json; charset=utf-8"))
    assert problem_type(problem(429, "/problems/x", "application/json")) is None
    assert problem_type(problem(429, 7)) is None
    assert problem_type(problem(200, "/problems/x")) is None
    broken = httpx.Response(
        429, content=b"{not json", headers={"content-type": "application/problem+json"}
    )
    assert problem_type(broken) is None


def test_server_timing_gives_one_metric_in_ms() -> None:
    response = httpx.Response(
        200,
        headers={"server-timing": "template;dur=3.5, queue;dur=120, tex;dur=141.2, total;dur=270"},
    )
    assert server_timing_ms(response, "tex") == 141.2
    assert server_timing_ms(response, "queue") == 120.0
    assert server_timing_ms(response, "cache") is None
    assert server_timing_ms(httpx.Response(429), "tex") is None
    odd = httpx.Response(200, headers={"server-timing": 'engine;desc="xelatex", tex;dur=x'})
    assert server_timing_ms(odd, "tex") is None


async def test_refusals_are_counted_by_problem_type(
    autojump_clock: trio.testing.MockClock,
) -> None:
    kinds = iter(["/problems/owner-queue-full", "/problems/queue-full"] * 3)

    def answer(request: httpx.Request) -> httpx.Response:
        return problem(429, next(kinds))

    transport = httpx.MockTransport(answer)
    async with httpx.AsyncClient(base_url="http://127.0.0.1", transport=transport) as client:
        recorder = await closed_run(client, concurrency=1, honor_retry_after=False, requests=6)
    assert recorder.status_counts == {"429": 6}
    assert recorder.problem_types() == {"429": {"owner-queue-full": 3, "queue-full": 3}}
