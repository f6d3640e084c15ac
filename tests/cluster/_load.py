"""Clients of the cluster, as a careful client is written: renders, documents made with an
``Idempotency-Key``, changed with ``If-Match`` and rendered by id, each retried when the
connection failed or the proxy answered 502, 503 or 504 (every one of them is safe to send
again: that is what the key and the condition are for). Every answer is written down with the
phase it began in, and every write that was acknowledged is kept, to be found in the database
afterwards exactly once, with its last acknowledged value."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

RETRYABLE = {502, 503, 504}
ATTEMPTS = 6
BACKOFF_S = 0.2  # times the attempt number
SHARED_BODIES = 12  # renders cycle through this many bodies: the rest are cache hits


@dataclass
class Outcome:
    operation: str
    phase: str
    attempts: int
    status: int | None  # the last answer's status; None if the last attempt had none
    error: str = ""
    # What each attempt before the last met (a status and its problem type, or the transport
    # error): why the request was sent again.
    retried_for: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Ledger:
    """Outcomes, and each document's last acknowledged value, shared by the client threads."""

    phase: str = "start"
    outcomes: list[Outcome] = field(default_factory=list)
    documents: dict[str, str] = field(default_factory=dict)  # id -> last acknowledged text
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def acknowledge(self, document: str, text: str) -> None:
        with self.lock:
            self.documents[document] = text

    def done(self) -> int:
        with self.lock:
            return len(self.outcomes)

    def in_phase(self, phase: str) -> list[Outcome]:
        with self.lock:
            return [o for o in self.outcomes if o.phase == phase]


def with_retries(
    ledger: Ledger, operation: str, send: Callable[[int], httpx.Response]
) -> httpx.Response | None:
    """``send(attempt)`` until it is answered with something not worth retrying; the outcome
    goes into the ledger under the phase the first attempt began in."""
    phase = ledger.phase
    response: httpx.Response | None = None
    error = ""
    attempt = 0
    troubles: list[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response, error = send(attempt), ""
        except httpx.TransportError as exc:
            response, error = None, f"{type(exc).__name__}: {exc}"
        if response is not None and response.status_code not in RETRYABLE:
            break
        troubles.append(error or _trouble(response))
        threading.Event().wait(BACKOFF_S * attempt)
    status = response.status_code if response is not None else None
    retried_for = tuple(troubles[: attempt - 1])
    ledger.add(Outcome(operation, phase, attempt, status, error, retried_for))
    return response


def _trouble(response: httpx.Response | None) -> str:
    """A retried answer, told briefly: its status and what its body says it was."""
    if response is None:
        return "no answer"
    kind = ""
    if "json" in response.headers.get("content-type", ""):
        try:
            kind = str(response.json().get("type", ""))
        except ValueError:
            kind = ""
    return f"{response.status_code} {kind or response.text[:80]!r}"


@dataclass
class Client:
    """One client thread's work, in a loop until ``stop``: a render of a shared body, every
    third round a new document, then a change to one of its documents and its PDF."""

    http: httpx.Client
    ledger: Ledger
    name: str
    mine: list[tuple[str, str]] = field(default_factory=list)  # (id, ETag) of my documents

    def run(self, stop: threading.Event) -> None:
        for round_ in itertools.count():
            if stop.is_set():
                return
            self.render(round_)
            if round_ % 3 == 0:
                self.create(round_)
            if self.mine:
                index = round_ % len(self.mine)
                self.change(index, round_)
                self.pdf(self.mine[index][0])

    def render(self, round_: int) -> None:
        body = {"text": f"shared body {round_ % SHARED_BODIES}"}
        with_retries(self.ledger, "render", lambda _: self.http.post("/v1/render/echo", json=body))

    def create(self, round_: int) -> None:
        text = f"{self.name} document {round_} v0"
        key = str(uuid.uuid4())  # the same for every attempt: one document, however many
        body = {"template": "echo", "data": {"text": text}}
        headers = {"Idempotency-Key": f'"{key}"'}
        answer = with_retries(
            self.ledger,
            "create",
            lambda _: self.http.post("/v1/documents", json=body, headers=headers),
        )
        if answer is not None and answer.status_code == 201:
            document = answer.json()["id"]
            self.mine.append((document, answer.headers["etag"]))
            self.ledger.acknowledge(document, text)

    def change(self, index: int, round_: int) -> None:
        document, etag = self.mine[index]
        text = f"{self.name} document changed in round {round_}"
        patch = {"data": {"text": text}}
        headers = {"If-Match": etag, "Content-Type": "application/merge-patch+json"}

        def send(attempt: int) -> httpx.Response:
            path = f"/v1/documents/{document}"
            answer = self.http.patch(path, content=json.dumps(patch), headers=headers)
            if answer.status_code == 412 and attempt > 1:
                # An earlier attempt may have been applied, its answer lost: then the document
                # holds what this one sent (RFC 9110: If-Match makes the retry safe).
                now = self.http.get(f"/v1/documents/{document}")
                if now.status_code == 200 and now.json()["data"] == patch["data"]:
                    return now
            return answer

        answer = with_retries(self.ledger, "change", send)
        if answer is not None and answer.status_code == 200:
            self.mine[index] = (document, answer.headers["etag"])
            self.ledger.acknowledge(document, text)

    def pdf(self, document: str) -> None:
        with_retries(self.ledger, "pdf", lambda _: self.http.get(f"/v1/documents/{document}/pdf"))
