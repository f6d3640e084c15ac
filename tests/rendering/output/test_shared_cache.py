"""The shared cache tier on a real Redis: values, TTL and size cap; a Redis that is down, hangs
or refuses writes costs a lookup no more than its timeout, is counted, logged now and then, and
skipped by the breaker; and two in-process caches share what either one wrote."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import pytest
import trio

from rendering.output import Cached, PdfCache, RedisCache
from rendering.output._breaker import Breaker, BreakerState
from rendering.output._redis import BREAKER_COOLDOWN_S, BREAKER_FAILURES, KEY_PREFIX, LOG_EVERY_S
from rendering.output._shared import LATENCY_BUCKETS_S, BadEntry, Latencies, pack, unpack
from tests.redis_server import RedisServer

TIMEOUT_S = 0.1


class Clock:
    """A clock the test moves by hand (the breaker's and the log's, not Trio's)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def shared(redis_server: RedisServer, clock: Clock) -> AsyncIterator[RedisCache]:
    cache = RedisCache(
        redis_server.url, ttl_s=60, timeout_s=TIMEOUT_S, max_value_bytes=1000, clock=clock
    )
    try:
        yield cache
    finally:
        await cache.aclose()


# --- pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "notes"),
    [(b"%PDF-1.5 body", b""), (b"%PDF", b'[["/a", "wide"]]'), (b"", b"notes only"), (b"", b"")],
)
def test_a_value_packs_and_unpacks(body: bytes, notes: bytes) -> None:
    assert unpack(pack(body, notes)) == (body, notes)


@pytest.mark.parametrize("value", [b"", b"TRC", b"%PDF-1.5 not ours", b"TRC1\x00\x00\x01\x00ab"])
def test_a_value_not_packed_here_is_refused(value: bytes) -> None:
    with pytest.raises(BadEntry):
        unpack(value)


def test_latencies_are_cumulative() -> None:
    latencies = Latencies().observe(0.0002).observe(0.003).observe(7.0)
    buckets = dict(latencies.buckets())
    assert buckets[LATENCY_BUCKETS_S[0]] == 1
    assert buckets[0.005] == 2
    assert buckets[LATENCY_BUCKETS_S[-1]] == 2
    assert buckets[float("inf")] == latencies.count == 3
    assert latencies.sum_s == pytest.approx(7.0032)


def state(breaker: Breaker) -> BreakerState:
    """The breaker's state now (a call, so that mypy does not hold it fixed between asserts)."""
    return breaker.state


def test_the_breaker_opens_after_failures_in_a_row_and_lets_one_trial_through(
    clock: Clock,
) -> None:
    breaker = Breaker(clock, failures=3, cooldown_s=5.0)
    assert breaker.allow()
    assert not breaker.failed()
    breaker.succeeded()  # a success in between: the count starts again
    assert [breaker.failed() for _ in range(3)] == [False, False, True]
    assert state(breaker) is BreakerState.OPEN
    assert not breaker.allow()
    clock.now += 5.0
    assert state(breaker) is BreakerState.TRIAL
    assert breaker.allow()
    assert not breaker.allow()  # one trial at a time
    assert not breaker.failed()  # the trial failed: open again (not newly)
    assert not breaker.allow()
    clock.now += 5.0
    assert breaker.allow()
    breaker.succeeded()
    assert state(breaker) is BreakerState.CLOSED
    assert breaker.allow()
    assert breaker.allow()


def test_a_trial_given_up_lets_the_next_call_try(clock: Clock) -> None:
    breaker = Breaker(clock, failures=1, cooldown_s=5.0)
    assert breaker.failed()
    clock.now += 5.0
    assert breaker.allow()
    assert not breaker.allow()
    breaker.gave_up()  # its caller was cancelled: no verdict
    assert state(breaker) is BreakerState.TRIAL
    assert breaker.allow()


# --- on a real Redis -------------------------------------------------------------------------


def calls_made(shared: RedisCache) -> int:
    """Calls to Redis so far, answered or not (each one is timed)."""
    stats = shared.statistics()
    return stats.get_seconds.count + stats.put_seconds.count


async def test_a_value_comes_back_with_its_ttl_and_counts(
    shared: RedisCache, redis_server: RedisServer
) -> None:
    assert shared.statistics().state == "unknown"
    assert await shared.get("k") is None
    await shared.put("k", b"%PDF-shared")
    assert await shared.get("k") == b"%PDF-shared"
    ttl_ms = int(redis_server.command("PTTL", KEY_PREFIX + "k").removeprefix(b":"))
    assert 0 < ttl_ms <= 60_000
    stats = shared.statistics()
    assert (stats.state, stats.hits, stats.misses, stats.writes, stats.errors) == (
        "up",
        1,
        1,
        1,
        0,
    )
    assert stats.get_seconds.count == 2
    assert stats.put_seconds.count == 1
    assert stats.get_seconds.sum_s < 2 * TIMEOUT_S


async def test_a_value_over_the_cap_is_not_written(
    shared: RedisCache, redis_server: RedisServer
) -> None:
    await shared.put("big", b"x" * 1001)
    await shared.put("fits", b"x" * 1000)
    assert redis_server.command("EXISTS", KEY_PREFIX + "big") == b":0"
    assert redis_server.command("EXISTS", KEY_PREFIX + "fits") == b":1"
    stats = shared.statistics()
    assert (stats.too_large, stats.writes, stats.put_seconds.count) == (1, 1, 1)


async def test_a_hanging_redis_costs_a_lookup_its_timeout_and_is_counted(
    shared: RedisCache, redis_server: RedisServer
) -> None:
    await shared.put("k", b"%PDF")
    redis_server.pause()
    try:
        started = time.perf_counter()
        assert await shared.get("k") is None
        waited = time.perf_counter() - started
    finally:
        redis_server.resume()
    assert TIMEOUT_S * 0.9 <= waited < TIMEOUT_S + 0.4  # the timeout, not the socket's default
    stats = shared.statistics()
    assert (stats.errors, stats.hits, stats.state) == (1, 0, "down")
    # Answered again: the next lookup finds the value (the abandoned thread has let go).
    with trio.fail_after(5):
        while await shared.get("k") is None:
            await trio.sleep(0.01)
    assert shared.statistics().state == "up"


async def test_a_dead_redis_is_skipped_after_a_few_failures_then_tried_again(
    shared: RedisCache, redis_server: RedisServer, clock: Clock
) -> None:
    await shared.put("k", b"%PDF")
    redis_server.kill()
    for _ in range(BREAKER_FAILURES):
        assert await shared.get("k") is None
    assert shared.statistics().errors == BREAKER_FAILURES
    calls = calls_made(shared)
    for _ in range(100):  # while the breaker is open: no call is made at all
        assert await shared.get("k") is None
        await shared.put("k", b"%PDF")
    assert calls_made(shared) == calls
    stats = shared.statistics()
    assert (stats.errors, stats.skipped, stats.state) == (BREAKER_FAILURES, 200, "down")
    redis_server.start()  # back, empty (no persistence)
    assert await shared.get("k") is None  # still within the cooldown: skipped
    clock.now += BREAKER_COOLDOWN_S
    assert await shared.get("k") is None  # the trial: answered, a miss
    await shared.put("k", b"%PDF-again")
    assert await shared.get("k") == b"%PDF-again"
    stats = shared.statistics()
    assert (stats.state, stats.errors, stats.skipped, stats.hits) == (
        "up",
        BREAKER_FAILURES,
        201,
        1,
    )


async def test_a_trial_cancelled_by_its_caller_does_not_stop_the_next(
    shared: RedisCache, redis_server: RedisServer, clock: Clock
) -> None:
    redis_server.kill()
    for _ in range(BREAKER_FAILURES):
        await shared.get("k")
    redis_server.start()
    redis_server.pause()
    clock.now += BREAKER_COOLDOWN_S
    try:
        with trio.move_on_after(TIMEOUT_S / 4) as gone:  # the client went away mid-trial
            await shared.get("k")
        assert gone.cancelled_caught
    finally:
        redis_server.resume()
    errors = shared.statistics().errors
    await shared.put("k", b"%PDF")  # tried, not skipped
    assert await shared.get("k") == b"%PDF"
    assert shared.statistics().errors == errors == BREAKER_FAILURES


async def test_a_write_redis_refuses_is_counted_but_lookups_go_on(
    shared: RedisCache, redis_server: RedisServer
) -> None:
    await shared.put("kept", b"%PDF")
    redis_server.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
    redis_server.command("CONFIG", "SET", "maxmemory", "1")  # full: every write is refused
    for index in range(BREAKER_FAILURES + 2):
        await shared.put(f"new{index}", b"%PDF")
    assert await shared.get("kept") == b"%PDF"  # not skipped: Redis answers, it is just full
    stats = shared.statistics()
    assert (stats.errors, stats.skipped, stats.writes, stats.state) == (
        BREAKER_FAILURES + 2,
        0,
        1,
        "up",
    )


async def test_failures_are_logged_once_a_minute_with_a_count(
    shared: RedisCache, redis_server: RedisServer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    redis_server.kill()
    with caplog.at_level(logging.WARNING, logger="texrender"):
        for _ in range(BREAKER_FAILURES + 20):
            await shared.get("k")
        (first,) = caplog.records
        assert "Redis at 127.0.0.1" in first.getMessage()
        assert "renders go on without it" in first.getMessage()
        clock.now += LOG_EVERY_S
        await shared.get("k")  # the breaker's trial, after the cooldown
        second = caplog.records[-1].getMessage()
    assert len(caplog.records) == 2
    # Two more failures, and the 20 skipped lookups, which are no failures
    assert f"({BREAKER_FAILURES - 1} more since the last report)" in second


async def test_the_start_up_line_names_redis_and_warns_of_no_eviction(
    shared: RedisCache, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    line = await shared.describe()
    assert "Redis 7" in line
    assert "allkeys-lru" in line
    assert not caplog.records
    redis_server.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
    with caplog.at_level(logging.WARNING, logger="texrender"):
        await shared.describe()
    assert "once full it refuses new PDFs" in caplog.records[0].getMessage()


async def test_a_url_never_shows_its_password(redis_server: RedisServer) -> None:
    url = redis_server.url.replace("redis://", "redis://user:s3cret@")
    cache = RedisCache(url, ttl_s=1, timeout_s=TIMEOUT_S, max_value_bytes=10)
    try:
        assert cache.location == f"127.0.0.1:{redis_server.port}/0"
        assert "s3cret" not in await cache.describe()
    finally:
        await cache.aclose()


# --- the PDF cache with a shared tier --------------------------------------------------------


async def test_what_one_cache_wrote_is_a_hit_in_another_with_its_notes(
    shared: RedisCache, redis_server: RedisServer, clock: Clock
) -> None:
    other_tier = RedisCache(
        redis_server.url, ttl_s=60, timeout_s=TIMEOUT_S, max_value_bytes=1000, clock=clock
    )
    first, second = PdfCache(10_000, shared=shared), PdfCache(10_000, shared=other_tier)
    try:
        assert first.enabled
        assert PdfCache(0, shared=shared).enabled  # the memory tier off, the shared one on
        await first.put("key", b"%PDF-from-first", b'[["/a", "wide"]]')
        assert second.peek("key") is None  # peek never leaves memory
        assert await second.fetch("key") == Cached(b"%PDF-from-first", b'[["/a", "wide"]]')
        assert second.peek("key") == b"%PDF-from-first"  # now in its memory too
        redis_server.command("SET", KEY_PREFIX + "foreign", "not-a-texrender-entry")
        assert await second.get("foreign") is None
        stats = second.statistics()
        assert (stats.hits, stats.misses, stats.entries) == (2, 1, 1)
        assert stats.shared is not None
        assert (stats.shared.hits, stats.shared.misses) == (2, 0)  # "foreign" was found
        assert first.statistics().shared == shared.statistics()
        assert PdfCache(10).statistics().shared is None
    finally:
        await other_tier.aclose()
