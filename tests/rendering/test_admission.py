"""Slots handed to owners in turn, each owner's share of the queue, and per-owner rates."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from rendering.admission import Admission, FairSlots
from rendering.config import RenderLimits
from rendering.errors import OwnerQueueFull, OwnerRateLimited, QueueTimeout, RenderQueueFull


async def test_a_free_slot_goes_to_whoever_asks() -> None:
    slots = FairSlots(2)
    await slots.acquire("a")
    await slots.acquire("b")
    assert (slots.busy, slots.waiting()) == (2, 0)
    slots.release()
    slots.release()
    assert slots.busy == 0


async def test_waiting_owners_are_served_in_turn_not_in_arrival_order() -> None:
    slots = FairSlots(1)
    await slots.acquire("holder")
    served: list[str] = []

    async def take(owner: str, name: str) -> None:
        await slots.acquire(owner)
        served.append(name)

    async with trio.open_nursery() as nursery:
        # The flood arrives first: five of "flood", then one of "probe".
        for n in range(5):
            nursery.start_soon(take, "flood", f"flood-{n}")
            await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(take, "probe", "probe")
        await trio.testing.wait_all_tasks_blocked()
        assert slots.waiting() == 6
        assert slots.waiting("flood") == 5
        assert slots.owners_waiting == 2
        for _ in range(6):
            slots.release()  # each release hands the one slot to the next in turn
            await trio.testing.wait_all_tasks_blocked()
    assert served[:2] == ["flood-0", "probe"]
    assert served[2:] == ["flood-1", "flood-2", "flood-3", "flood-4"]
    slots.release()
    assert (slots.busy, slots.waiting()) == (0, 0)


async def test_an_owner_with_nothing_waiting_goes_before_the_owners_taking_turns() -> None:
    slots = FairSlots(1)
    await slots.acquire("holder")
    served: list[str] = []

    async def take(owner: str, name: str) -> None:
        await slots.acquire(owner)
        served.append(name)

    async with trio.open_nursery() as nursery:
        for owner in ("a", "b"):
            for n in range(3):
                nursery.start_soon(take, owner, f"{owner}{n}")
                await trio.testing.wait_all_tasks_blocked()
        for _ in range(2):  # a0, b0: both now take turns
            slots.release()
            await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(take, "light", "light")
        await trio.testing.wait_all_tasks_blocked()
        assert slots.waiting_ahead("light2") == 1
        for _ in range(5):
            slots.release()
            await trio.testing.wait_all_tasks_blocked()
    assert served == ["a0", "b0", "light", "a1", "b1", "a2", "b2"]
    slots.release()


async def test_a_cancelled_waiter_leaves_the_queue_and_a_granted_one_passes_the_slot_on() -> None:
    slots = FairSlots(1)
    await slots.acquire("holder")
    async with trio.open_nursery() as nursery:
        gone = trio.CancelScope()

        async def cancelled_waiter() -> None:
            with gone:
                await slots.acquire("a")

        nursery.start_soon(cancelled_waiter)
        await trio.testing.wait_all_tasks_blocked()
        gone.cancel()
        await trio.testing.wait_all_tasks_blocked()
        assert slots.waiting() == 0

        # Granted and cancelled in the same instant: the slot must not be lost.
        late = trio.CancelScope()

        async def late_waiter() -> None:
            with late:
                await slots.acquire("b")
                slots.release()  # had it after all: give it back, as Admission.slot does

        nursery.start_soon(late_waiter)
        await trio.testing.wait_all_tasks_blocked()
        slots.release()  # granted to "b"...
        late.cancel()  # ...which is cancelled before it runs
        await trio.testing.wait_all_tasks_blocked()
    assert (slots.busy, slots.waiting()) == (0, 0)


def limits(**changes: float) -> RenderLimits:
    base = {"slots": 1, "queue_max": 4, "owner_queue_max": 2}
    return RenderLimits(**{**base, **changes})  # type: ignore[arg-type]


async def fill(
    admission: Admission, nursery: trio.Nursery, owner: str, count: int, *, check: bool = True
) -> None:
    """``count`` renders of ``owner`` taking or waiting for the slot (let in at the door first,
    unless not ``check``)."""

    async def wait() -> None:
        async with admission.slot(owner):
            await trio.sleep_forever()

    for _ in range(count):
        if check:
            admission.check(owner)
        nursery.start_soon(wait)
        await trio.testing.wait_all_tasks_blocked()


async def test_one_owner_alone_may_use_the_whole_queue() -> None:
    admission = Admission(limits())
    async with trio.open_nursery() as nursery:
        await fill(admission, nursery, "local", 5)  # one running, four waiting
        assert admission.statistics().queue_full
        with pytest.raises(RenderQueueFull) as caught:
            admission.check("local")
        assert type(caught.value) is RenderQueueFull
        nursery.cancel_scope.cancel()


async def test_a_flood_from_one_owner_never_locks_another_out() -> None:
    admission = Admission(limits())
    async with trio.open_nursery() as nursery:
        await fill(admission, nursery, "flood", 5)
        assert admission.statistics().queue_full
        admission.check("probe")  # within its share: let in, though the queue is full
        await fill(admission, nursery, "probe", 2)
        with pytest.raises(RenderQueueFull):
            admission.check("probe")  # its share used, and the queue full
        nursery.cancel_scope.cancel()


async def test_past_its_share_an_owner_is_refused_while_others_wait() -> None:
    admission = Admission(limits(queue_max=10))
    async with trio.open_nursery() as nursery:
        await fill(admission, nursery, "flood", 4)  # alone: past its share of 2 is fine
        await fill(admission, nursery, "probe", 1)
        with pytest.raises(OwnerQueueFull) as caught:
            admission.check("flood")
        assert "'flood'" in caught.value.detail
        assert caught.value.status == 429
        admission.check("probe")
        nursery.cancel_scope.cancel()


async def test_the_expected_wait_counts_the_turns_of_others_not_their_whole_queues(
    autojump_clock: trio.testing.MockClock,
) -> None:
    admission = Admission(limits(queue_max=100, owner_queue_max=50, queue_max_wait_s=1.0))
    admission.timed(0.25)
    async with trio.open_nursery() as nursery:
        await fill(admission, nursery, "flood", 21, check=False)  # one running, twenty waiting
        assert admission.expected_wait_s("flood") == pytest.approx(21 * 0.25)
        # A newcomer waits for one of the flood's renders, then its own turn comes.
        assert admission.expected_wait_s("probe") == pytest.approx(2 * 0.25)
        with pytest.raises(RenderQueueFull):
            admission.check("flood")  # 5.25 s expected: past the 1 s maximum
        admission.check("probe")
        nursery.cancel_scope.cancel()


async def test_an_owner_past_its_rate_is_refused_until_it_has_a_token_again(
    autojump_clock: trio.testing.MockClock,
) -> None:
    admission = Admission(limits(owner_renders_per_minute=12))  # bursts of 2, one every 5 s
    admission.check("a")
    admission.check("a")
    with pytest.raises(OwnerRateLimited) as caught:
        admission.check("a")
    assert caught.value.retry_after_s == 5
    assert "'a'" in caught.value.detail
    admission.check("b")  # another owner has its own bucket
    await trio.sleep(5)
    admission.check("a")


async def test_a_slot_not_had_in_time_is_a_queue_timeout(
    autojump_clock: trio.testing.MockClock,
) -> None:
    admission = Admission(limits(queue_timeout_s=3))
    async with trio.open_nursery() as nursery:
        await fill(admission, nursery, "a", 1)
        started = trio.current_time()
        with pytest.raises(QueueTimeout):
            async with admission.slot("b"):
                pass
        assert trio.current_time() - started == pytest.approx(3)
        assert admission.statistics().waiting == 0
        nursery.cancel_scope.cancel()


async def test_asking_what_the_refusal_would_be_takes_nothing_from_the_owners_rate() -> None:
    admission = Admission(limits(queue_max=10, owner_renders_per_minute=12))  # bursts of 2
    for _ in range(5):
        assert admission.refusal("a") is None
    admission.check("a")
    admission.check("a")  # the whole burst is still there after the questions
    with pytest.raises(OwnerRateLimited):
        admission.check("a")


async def test_the_refusal_asked_for_is_the_one_check_raises() -> None:
    admission = Admission(limits(queue_max=10))
    async with trio.open_nursery() as nursery:
        await fill(admission, nursery, "flood", 4)
        await fill(admission, nursery, "probe", 1)
        refused = admission.refusal("flood")
        assert isinstance(refused, OwnerQueueFull)
        with pytest.raises(OwnerQueueFull) as caught:
            admission.check("flood")
        assert caught.value.detail == refused.detail
        assert admission.refusal("probe") is None
        nursery.cancel_scope.cancel()
