"""Store-level coordination on SQLite and PostgreSQL: leases, once-marks, heartbeats, reclaim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contentloop.domain import Post, PostState, SimulatedClock
from contentloop.store import Store
from contentloop.store.scale_repo import Coordination


def _coord(db_url: str, clock: SimulatedClock) -> tuple[Store, Coordination, SimulatedClock]:
    store = Store(db_url, clock)
    wall = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    return store, Coordination(store, wall), wall


def test_lease_is_exclusive_until_expiry_or_holder_death(db_url, clock) -> None:
    store, c, wall = _coord(db_url, clock)
    assert c.acquire("scheduler", "a", 30)
    assert not c.acquire("scheduler", "b", 30)
    assert c.acquire("scheduler", "a", 30)  # renew
    assert not c.acquire("scheduler", "a", 30, renew=False)
    assert c.holder("scheduler") == "a"
    assert c.acquire("scheduler", "b", 30, live={"b"})  # a is not alive: taken over
    assert c.holder("scheduler") == "b"
    wall.advance(31)
    assert c.holder("scheduler") is None
    assert c.acquire("scheduler", "a", 30)
    c.release("scheduler", "b")  # not the holder: no effect
    assert c.holder("scheduler") == "a"
    c.release("scheduler", "a")
    assert c.acquire("scheduler", "b", 30)
    store.close()


def test_once_marks_fire_once_across_callers(db_url, clock) -> None:
    store, c, _ = _coord(db_url, clock)
    assert c.once("plan:2026-03-02T06", "a")
    assert not c.once("plan:2026-03-02T06", "b")
    assert c.once("plan:2026-03-02T07", "b")
    store.close()


def test_heartbeats_and_orphaned_claims_are_reclaimed_by_one(db_url, clock) -> None:
    store, c, wall = _coord(db_url, clock)
    c.beat("w1", "host", 1)
    c.beat("w2", "host", 2)
    post = Post("acc-2026-03-02-0", "acc", "2026-03-02", clock.now(), PostState.SCHEDULED)
    from contentloop.domain import Account, BrandProfile

    store.ensure_account(Account(handle="acc", brand=BrandProfile()))
    store.add_post(post)
    [claimed] = store.claim_due(clock.now() + timedelta(minutes=1), worker="w1")
    assert claimed.state is PostState.PUBLISHING
    assert c.orphaned_publishing(c.live_workers(10)) == []  # w1 alive
    wall.advance(5)
    c.beat("w2", "host", 2)
    wall.advance(6)  # w1 silent for 11 s
    assert c.live_workers(10) == {"w2"}
    assert c.orphaned_publishing(c.live_workers(10)) == [(post.id, "w1")]
    assert c.reclaim(post.id, "w1", "w2")
    assert not c.reclaim(post.id, "w1", "w3")  # only one taker
    assert c.orphaned_publishing({"w2"}) == []
    c.forget("w2")
    assert c.orphaned_publishing(c.live_workers(10)) == [(post.id, "w2")]
    assert c.count_states() == {"publishing": 1}
    store.close()
