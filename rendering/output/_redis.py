"""The shared tier on Redis: redis-py's blocking client in worker threads, bounded and timed.

Why redis-py in threads: it is the client Redis itself maintains, and the calls are few (one
GET after a memory miss, one SET after TeX ran), so a thread hop of some tens of microseconds
is noise beside a render. The Trio-native choices are a recent rewrite with one maintainer
(coredis 6, on anyio) or unmaintained (redtrio).

Every call runs under a :class:`trio.CapacityLimiter` (at most :data:`CONNECTIONS` threads and
connections), within ``timeout_s`` on the Trio side (the thread is abandoned at the deadline;
its socket has the same timeout, so it ends by itself soon after) and behind a
:class:`~._breaker.Breaker`, so a Redis that is down costs a render nothing once a few calls
have failed. Failures are counted and logged at most once a minute; none is raised.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import trio

from ._breaker import Breaker, BreakerState
from ._shared import Latencies, SharedCacheStatistics

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger("texrender")
T = TypeVar("T")

# Threads (and so connections) at once: a loopback call takes well under a millisecond, so
# eight serve thousands of calls a second; more would only pile up behind a slow Redis.
CONNECTIONS = 8
KEY_PREFIX = "texrender:cache:"
LOG_EVERY_S = 60.0
BREAKER_FAILURES = 3
BREAKER_COOLDOWN_S = 5.0


def redis_location(url: str) -> str:
    """``host:port/db`` of a Redis URL, for logs: never its user name or password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix:{parts.path}"
    port = parts.port or 6379
    return f"{parts.hostname or 'localhost'}:{port}{parts.path or '/0'}"


class RedisCache:
    """A :class:`~._shared.SharedCache` on the Redis at ``url`` (``redis://host:port/db``,
    ``rediss://`` for TLS, ``unix:///path?db=0``). Values expire ``ttl_s`` after they were
    written; values over ``max_value_bytes`` are not written. No connection is made here.

    Raises:
        ValueError: ``url`` is not a Redis URL.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl_s: float,
        timeout_s: float,
        max_value_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.location = redis_location(url)
        self.ttl_ms = max(1, round(ttl_s * 1000))
        self.timeout_s = timeout_s
        self.max_value_bytes = max_value_bytes
        self._client: Redis = Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),  # one try: the breaker decides when to try again
            max_connections=CONNECTIONS,
            client_name="texrender",
        )
        self._limiter = trio.CapacityLimiter(CONNECTIONS)
        self._breaker = Breaker(clock, BREAKER_FAILURES, BREAKER_COOLDOWN_S)
        self._clock = clock
        self._answered: bool | None = None
        self._counts = {"hits": 0, "misses": 0, "errors": 0, "skipped": 0, "writes": 0}
        self._too_large = 0
        self._latency = {"get": Latencies(), "put": Latencies()}
        self._logged_at: float | None = None
        self._unlogged = 0

    # --- SharedCache ------------------------------------------------------------------------

    async def get(self, key: str) -> bytes | None:
        answered, value = await self._call("get", self._client.get, KEY_PREFIX + key)
        if not answered:
            return None
        found = value if isinstance(value, bytes) else None  # bytes: responses are not decoded
        self._counts["hits" if found is not None else "misses"] += 1
        return found

    async def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_value_bytes:
            self._too_large += 1
            return
        answered, _ = await self._call(
            "put", lambda: self._client.set(KEY_PREFIX + key, value, px=self.ttl_ms)
        )
        if answered:
            self._counts["writes"] += 1

    def statistics(self) -> SharedCacheStatistics:
        if self._breaker.state is not BreakerState.CLOSED or self._answered is False:
            state = "down"
        else:
            state = "unknown" if self._answered is None else "up"
        return SharedCacheStatistics(
            state,
            **self._counts,
            too_large=self._too_large,
            get_seconds=self._latency["get"],
            put_seconds=self._latency["put"],
        )

    async def aclose(self) -> None:
        await trio.to_thread.run_sync(self._client.close)

    # --- the server as a whole --------------------------------------------------------------

    async def describe(self) -> str:
        """One line on the Redis found (version, memory limit and eviction policy) for the
        start-up log, with a warning when it is unreachable or would grow without bound."""
        answered, info = await self._call("info", self._client.info)
        if not answered:
            return f"shared PDF cache: Redis at {self.location} does not answer (yet)"
        found = f"shared PDF cache: Redis {info.get('redis_version', '?')} at {self.location}"
        limit, policy = int(info.get("maxmemory", 0)), str(info.get("maxmemory_policy", "?"))
        trouble = [
            "no maxmemory: it grows until the machine's memory runs out" if limit == 0 else "",
            "maxmemory-policy noeviction: once full it refuses new PDFs"
            if policy == "noeviction"
            else "",
        ]
        if any(trouble):
            log.warning(
                "%s has %s; set maxmemory and maxmemory-policy allkeys-lru (see the README)",
                found,
                " and ".join(t for t in trouble if t),
            )
        return f"{found}, maxmemory {limit} bytes, {policy}, entries kept {self.ttl_ms / 1000:g} s"

    # --- one call ----------------------------------------------------------------------------

    async def _call(self, operation: str, call: Callable[..., T], *args: Any) -> tuple[bool, T]:
        """``(True, result)``, or ``(False, None)`` when the call was skipped, failed or did
        not finish in time (counted, logged now and then)."""
        from redis.exceptions import ConnectionError, RedisError, TimeoutError

        missing: Any = None
        if not self._breaker.allow():
            self._counts["skipped"] += 1
            return False, missing
        started = time.perf_counter()
        failure: Exception | None = None
        with trio.move_on_after(self.timeout_s) as deadline:
            try:
                result = await trio.to_thread.run_sync(
                    call, *args, limiter=self._limiter, abandon_on_cancel=True
                )
            except (RedisError, OSError) as exc:
                failure = exc
            except BaseException:  # cancelled from outside: the client went away
                self._breaker.gave_up()
                raise
        if deadline.cancelled_caught:
            failure = TimeoutError(f"no answer within {self.timeout_s * 1000:g} ms")
        if operation in self._latency:
            seconds = time.perf_counter() - started
            self._latency[operation] = self._latency[operation].observe(seconds)
        if failure is None:
            self._answered_again()
            return True, result
        self._counts["errors"] += 1
        # An error Redis answered with (out of memory, say) is counted, but Redis is up.
        unreachable = isinstance(failure, ConnectionError | TimeoutError | OSError)
        if unreachable:
            self._answered = False
            opened = self._breaker.failed()
        else:
            self._answered_again()
            opened = False
        self._warn(operation, failure, opened)
        return False, missing

    def _answered_again(self) -> None:
        if self._answered is False and self._logged_at is not None:
            log.info("shared PDF cache: Redis at %s answers again", self.location)
        self._answered = True
        self._breaker.succeeded()

    def _warn(self, operation: str, failure: Exception, opened: bool) -> None:
        """A warning for the first failure, then at most one every :data:`LOG_EVERY_S` saying
        how many there were: a Redis that is down must not write a line per request."""
        now = self._clock()
        if self._logged_at is not None and now - self._logged_at < LOG_EVERY_S:
            self._unlogged += 1
            return
        more = f" ({self._unlogged} more since the last report)" if self._unlogged else ""
        skipping = (
            f"; not asking it for {self._breaker.cooldown_s:g} s at a time while it fails"
            if opened or self._breaker.state is not BreakerState.CLOSED
            else ""
        )
        log.warning(
            "shared PDF cache: Redis at %s: %s failed: %s%s; renders go on without it%s",
            self.location,
            operation,
            str(failure).rstrip("."),
            more,
            skipping,
        )
        self._logged_at = now
        self._unlogged = 0
