"""Three instances behind HAProxy, from a client's side: clients keep rendering and writing
documents while one instance is drained (SIGTERM) and started again, then another is killed
(SIGKILL) and started again. Through the drain no request fails or needs a retry; through the
crash every request succeeds after the client's own retries (counted, with HAProxy's); every
acknowledged write is in the database exactly once, with its last acknowledged value. A key
made once works on every instance, and once revoked stops on all of them within the key
memory's lifetime."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from server.store.keys import KEY_MEMORY_S
from tests.cluster._cluster import GUARD_S, Cluster, Instance, cli
from tests.cluster._load import Client, Ledger, Outcome

pytestmark = [pytest.mark.tex, pytest.mark.cluster]

CLIENTS = 4
ROUNDS_BETWEEN = 24  # answers the clients get between two events, so each phase has load


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def wait_for_answers(ledger: Ledger, more: int) -> None:
    """Until the clients have had ``more`` answers beyond those they had."""
    target = ledger.done() + more
    pause = threading.Event()
    for _ in range(int(GUARD_S / 0.05)):
        if ledger.done() >= target:
            return
        pause.wait(0.05)
    pytest.fail(f"the clients got fewer than {more} answers in {GUARD_S:g} s")


def busy(instance: Instance) -> bool:
    """Whether a render is under way there (asked of the instance itself)."""
    return bool(httpx.get(f"{instance.url}/readyz", timeout=GUARD_S).json()["renders_in_flight"])


def retries(outcomes: list[Outcome]) -> int:
    return sum(o.attempts - 1 for o in outcomes)


def haproxy_retries(cluster: Cluster) -> dict[str, int]:
    rows = [r for r in cluster.proxy.stats() if r["svname"] == "BACKEND"]
    return {
        "retries": sum(int(r["wretr"] or 0) for r in rows),
        "redispatches": sum(int(r["wredis"] or 0) for r in rows),
    }


def troubles(cluster: Cluster, instance: Instance) -> dict[str, int]:
    """What HAProxy met sending to ``instance`` (every backend): connections that failed
    (refused), responses that failed (closed unanswered), retries and redispatches away."""
    rows = [r for r in cluster.proxy.stats() if r["svname"] == instance.name]
    names = {"econ": "connection errors", "eresp": "response errors"}
    names |= {"wretr": "retries", "wredis": "redispatches"}
    return {label: sum(int(r[field] or 0) for r in rows) for field, label in names.items()}


class Load:
    """``CLIENTS`` clients of the proxy with the ``load`` key, until :meth:`stop`."""

    def __init__(self, cluster: Cluster) -> None:
        self.ledger, self._stop = Ledger(), threading.Event()
        headers = bearer(cluster.keys["load"])
        self._https = [
            httpx.Client(base_url=cluster.proxy.url, headers=headers, timeout=GUARD_S)
            for _ in range(CLIENTS)
        ]
        self._threads = [
            threading.Thread(target=Client(http, self.ledger, f"c{n}").run, args=(self._stop,))
            for n, http in enumerate(self._https)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop sending; every request sent has been answered (or given up) when this returns."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=GUARD_S)
        for http in self._https:
            http.close()


@pytest.fixture
def load(cluster: Cluster) -> Iterator[Load]:
    running = Load(cluster)
    try:
        yield running
    finally:
        running.stop()


def test_a_drain_and_a_crash_under_load(cluster: Cluster, load: Load) -> None:
    drained, crashed = cluster.instances[0], cluster.instances[1]
    ledger = load.ledger
    wait_for_answers(ledger, ROUNDS_BETWEEN)

    ledger.phase = "drain"
    before_drain = troubles(cluster, drained)
    drained.signal(signal.SIGTERM)
    cluster.proxy.wait_for(drained.name, "DOWN")
    assert drained.wait() == 0
    # HAProxy saw it leave (503 from /readyz) before it refused a connection or closed one
    # unanswered: nothing had to be sent again.
    assert troubles(cluster, drained) == before_drain
    events = drained.events()
    for phase in ("drain: /readyz answers 503", "drain: no longer accepting connections"):
        assert any(phase in event for event in events), (phase, events[-10:])
    drained.start()
    cluster.proxy.wait_for(drained.name, "UP")
    wait_for_answers(ledger, ROUNDS_BETWEEN)

    ledger.phase = "crash"
    before = haproxy_retries(cluster)
    wait_until_busy(crashed)
    crashed.signal(signal.SIGKILL)
    crashed.wait()
    cluster.proxy.wait_for(crashed.name, "DOWN")
    crashed.start()
    cluster.proxy.wait_for(crashed.name, "UP")
    ledger.phase = "after"
    wait_for_answers(ledger, ROUNDS_BETWEEN)
    after = haproxy_retries(cluster)

    drain, crash = ledger.in_phase("drain"), ledger.in_phase("crash")
    summary = {
        "drain": (len(drain), retries(drain)),
        "crash": (len(crash), retries(crash)),
        "haproxy during the crash": {k: after[k] - before[k] for k in after},
    }
    print(f"requests and client retries: {summary}")
    assert drain, summary
    assert crash, summary
    assert [o for o in drain if not o.ok or o.attempts > 1] == [], "a request failed in the drain"
    assert [o for o in crash if not o.ok] == [], "a request failed through the crash"
    assert [o for o in ledger.in_phase("after") if not o.ok] == []
    # Something was under way on the killed instance: HAProxy sent it again, or the client did.
    assert sum(after.values()) - sum(before.values()) + retries(crash) > 0, summary
    load.stop()
    check_the_writes(cluster, ledger)


def wait_until_busy(instance: Instance) -> None:
    pause = threading.Event()
    for _ in range(int(GUARD_S / 0.01)):
        if busy(instance):
            return
        pause.wait(0.01)
    pytest.fail(f"{instance.name} never had a render under way")


def check_the_writes(cluster: Cluster, ledger: Ledger) -> None:
    """Every acknowledged document is stored once, with the last value acknowledged for it,
    and no other document was made (a create sent twice made one)."""
    with httpx.Client(base_url=cluster.proxy.url, headers=bearer(cluster.keys["load"])) as http:
        stored: Counter[str] = Counter()
        page: str | None = "/v1/documents?limit=100"
        while page is not None:
            listing = http.get(page).json()
            stored.update(item["id"] for item in listing["items"])
            page = listing["next"]
        assert [d for d, n in stored.items() if n > 1] == []
        assert set(stored) == set(ledger.documents)
        for document, text in ledger.documents.items():
            assert http.get(f"/v1/documents/{document}").json()["data"] == {"text": text}


def test_a_key_made_once_works_everywhere_and_a_revoked_one_stops_everywhere(
    cluster: Cluster,
) -> None:
    headers = bearer(cluster.keys["revoked"])
    for instance in cluster.instances:
        assert httpx.get(f"{instance.url}/v1/documents", headers=headers).status_code == 200
    cli(cluster.database_url, "keys", "revoke", "revoked")
    threading.Event().wait(KEY_MEMORY_S)  # what each instance remembered has expired
    for instance in cluster.instances:
        answer = httpx.get(f"{instance.url}/v1/documents", headers=headers)
        assert answer.status_code == 401, instance.name
    assert httpx.get(f"{cluster.proxy.url}/v1/documents", headers=headers).status_code == 401
