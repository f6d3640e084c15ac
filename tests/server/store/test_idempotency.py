"""A create with an idempotency key, in the store: once per key and owner, the first answer
replayed, another request under the same key refused, records dropped after their time. On
both backends (the ``store`` fixture of this folder's conftest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import trio

from server.store import (
    DocumentInput,
    DocumentQuotaExceeded,
    IdempotencyKey,
    IdempotencyKeyReused,
    Store,
)

DAY = timedelta(hours=24)


def doc(name: str = "Ada") -> DocumentInput:
    return DocumentInput("resume-classic", {"basics": {"name": name}}, title=f"{name}'s CV")


def once(key: str = "k-1", fingerprint: str = "f" * 64) -> IdempotencyKey:
    return IdempotencyKey(key, fingerprint)


async def test_the_same_key_and_request_answer_the_first_document_again(store: Store) -> None:
    first, replayed = await store.create_once("alice", doc(), quota=10, once=once(), keep=DAY)
    assert not replayed
    again, replayed = await store.create_once("alice", doc(), quota=10, once=once(), keep=DAY)
    assert replayed
    assert again == first
    page = await store.list_documents("alice", limit=10)
    assert [item.id for item in page.items] == [first.id]


async def test_the_replay_is_the_first_answer_not_the_document_now(store: Store) -> None:
    first, _ = await store.create_once("alice", doc(), quota=10, once=once(), keep=DAY)
    await store.replace("alice", first.id, doc("Ada King"))
    again, replayed = await store.create_once("alice", doc(), quota=10, once=once(), keep=DAY)
    assert replayed
    assert (again.revision, again.data, again.id) == (1, first.data, first.id)
    await store.delete("alice", first.id)
    gone, replayed = await store.create_once("alice", doc(), quota=10, once=once(), keep=DAY)
    assert replayed
    assert gone == first
    assert (await store.list_documents("alice", limit=10)).items == []


async def test_the_same_key_with_another_request_is_refused(store: Store) -> None:
    await store.create_once("alice", doc(), quota=10, once=once(fingerprint="a" * 64), keep=DAY)
    with pytest.raises(IdempotencyKeyReused):
        await store.create_once(
            "alice", doc("Bob"), quota=10, once=once(fingerprint="b" * 64), keep=DAY
        )
    assert len((await store.list_documents("alice", limit=10)).items) == 1


async def test_keys_belong_to_their_owner(store: Store) -> None:
    mine, _ = await store.create_once("alice", doc(), quota=10, once=once(), keep=DAY)
    theirs, replayed = await store.create_once("bob", doc(), quota=10, once=once(), keep=DAY)
    assert not replayed
    assert theirs.id != mine.id
    # Another owner's use of the key says nothing about it either: a new request is not refused.
    other, replayed = await store.create_once(
        "carol", doc("Carol"), quota=10, once=once(fingerprint="c" * 64), keep=DAY
    )
    assert not replayed
    assert other.data == {"basics": {"name": "Carol"}}


async def test_a_key_past_its_time_makes_a_new_document(store: Store) -> None:
    first, _ = await store.create_once(
        "alice", doc(), quota=10, once=once(), keep=timedelta(microseconds=1)
    )
    await trio.sleep(0.01)
    second, replayed = await store.create_once("alice", doc(), quota=10, once=once(), keep=DAY)
    assert not replayed
    assert second.id != first.id


async def test_a_create_over_quota_keeps_nothing_of_the_key(store: Store) -> None:
    await store.create("alice", doc("one"), quota=1)
    with pytest.raises(DocumentQuotaExceeded):
        await store.create_once("alice", doc(), quota=1, once=once(), keep=DAY)
    made, replayed = await store.create_once("alice", doc(), quota=2, once=once(), keep=DAY)
    assert not replayed
    assert made.revision == 1


async def test_retries_racing_each_other_make_one_document(store: Store) -> None:
    answers: list[tuple[str, bool]] = []

    async def send() -> None:
        made, replayed = await store.create_once("alice", doc(), quota=100, once=once(), keep=DAY)
        answers.append((made.id, replayed))

    async with trio.open_nursery() as nursery:
        for _ in range(8):
            nursery.start_soon(send)
    assert len({made for made, _ in answers}) == 1
    assert sorted(replayed for _, replayed in answers) == [False] + [True] * 7
    assert len((await store.list_documents("alice", limit=100)).items) == 1
