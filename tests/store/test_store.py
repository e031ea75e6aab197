from __future__ import annotations

from datetime import timedelta

import pytest

from contentloop.domain import (
    Account,
    Format,
    IllegalTransition,
    MetricSnapshot,
    Post,
    PostState,
    PublishAttempt,
    Severity,
    Variant,
    Verdict,
)
from contentloop.store import Store, current_revision, head_revision


def _store(db_url, clock) -> Store:
    store = Store(db_url, clock)
    store.ensure_account(Account(handle="acme", timezone="Europe/Berlin"))
    return store


def _post(clock, pid="p1", hours=2) -> Post:
    return Post(id=pid, account="acme", local_date="2026-03-02",
                scheduled_at=clock.now() + timedelta(hours=hours))


def test_migrations_run_automatically_and_are_idempotent(db_url, clock):
    store = _store(db_url, clock)
    assert current_revision(store.engine) == head_revision(store.engine) is not None
    again = Store(db_url, clock)  # second start: no error, same revision
    assert current_revision(again.engine) == head_revision(store.engine)


def test_post_slot_is_unique(db_url, clock):
    store = _store(db_url, clock)
    assert store.add_post(_post(clock)) is True
    assert store.add_post(_post(clock, pid="p2")) is False  # same account + time
    assert [p.id for p in store.posts()] == ["p1"]


def test_transitions_are_checked_and_recorded(db_url, clock):
    store = _store(db_url, clock)
    store.add_post(_post(clock))
    store.transition("p1", PostState.DRAFTED, actor="generator", reason="3 variants")
    clock.advance(60)
    store.transition("p1", PostState.IN_REVIEW, actor="guard")
    with pytest.raises(IllegalTransition) as exc:
        store.transition("p1", PostState.PUBLISHED, actor="bad")
    assert "in_review" in str(exc.value) and "published" in str(exc.value)
    assert store.get_post("p1").state is PostState.IN_REVIEW
    hist = store.transitions("p1")
    assert [(t.from_state.value, t.to_state.value) for t in hist][1:] == [
        ("planned", "drafted"), ("drafted", "in_review")]
    assert hist[1].actor == "generator" and hist[1].reason == "3 variants"
    assert hist[2].at - hist[1].at == timedelta(seconds=60)


def _to_scheduled(store, pid):
    for st in (PostState.DRAFTED, PostState.IN_REVIEW, PostState.APPROVED,
               PostState.RENDERED, PostState.SCHEDULED):
        store.transition(pid, st, actor="test")


def test_claim_due_claims_each_post_once(db_url, clock):
    store = _store(db_url, clock)
    store.add_post(_post(clock, "due", hours=1))
    store.add_post(_post(clock, "later", hours=5))
    _to_scheduled(store, "due")
    _to_scheduled(store, "later")
    assert store.claim_due(clock.now(), worker="w1") == []
    clock.advance(timedelta(hours=2))
    first = store.claim_due(clock.now(), worker="w1")
    second = store.claim_due(clock.now(), worker="w2")
    assert [p.id for p in first] == ["due"] and second == []
    assert first[0].state is PostState.PUBLISHING and first[0].attempts == 1


def test_retry_wait_respects_next_attempt(db_url, clock):
    store = _store(db_url, clock)
    store.add_post(_post(clock, "p", hours=0))
    _to_scheduled(store, "p")
    store.claim_due(clock.now(), worker="w")
    store.transition("p", PostState.RETRY_WAIT, actor="w", reason="transient",
                     next_attempt_at=clock.now() + timedelta(minutes=5))
    assert store.claim_due(clock.now(), worker="w") == []
    clock.advance(timedelta(minutes=6))
    assert [p.id for p in store.claim_due(clock.now(), worker="w")] == ["p"]


def test_variants_assets_journal_and_metrics_roundtrip(db_url, clock):
    store = _store(db_url, clock)
    store.add_post(_post(clock))
    v = Variant(id="p1-v0", post_id="p1", account="acme", format=Format.CAROUSEL,
                hook="3 mistakes", hook_style="listicle", caption="cap", hashtags=["#a"],
                slides=["one", "two"], verdicts=[Verdict("caption_length", Severity.WARN, "long")])
    store.save_variants([v])
    got = store.get_variant("p1-v0")
    assert got.slides == ["one", "two"] and got.verdicts[0].severity is Severity.WARN
    store.record_container("p1", "1789")
    store.record_attempt(PublishAttempt("p1", clock.now(), "retry", "transient", 2, None, "x"))
    store.record_published("p1", "1790", clock.now())
    p = store.get_post("p1")
    assert (p.container_id, p.media_id) == ("1789", "1790")
    assert store.attempts("p1")[0].error_code == 2
    snap = MetricSnapshot("p1", "1790", clock.now(), 24.0, {"reach": 10.0})
    assert store.save_snapshot(snap) is True
    assert store.save_snapshot(snap) is False  # idempotent per age
    assert store.latest_metrics("p1") == {"reach": 10.0}


def test_latest_decisions_keep_every_pause_of_the_latest_round(db_url, clock):
    from datetime import timedelta

    from contentloop.domain import Decision

    store = _store(db_url, clock)
    t0 = clock.now()
    t1 = t0 + timedelta(days=7)
    store.save_decisions([
        Decision("acme", "format", "image", "old", {"image": 1.0}, t0),
        Decision("acme", "pause", "pillar:news", "old pause", {}, t0),
        Decision("acme", "format", "reel", "new", {"reel": 1.0}, t1),
        Decision("acme", "pause", "pillar:gear", "low ER", {}, t1),
        Decision("acme", "pause", "hook_style:pov", "low ER", {}, t1),
    ])
    latest = store.decisions("acme")
    assert {(d.kind, d.choice) for d in latest} == {
        ("format", "reel"), ("pause", "pillar:gear"), ("pause", "hook_style:pov")}
