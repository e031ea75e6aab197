"""The persisted hashtag budget and source health, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from pytest_httpserver import HTTPServer
from trends_graph_fake import FakeGraph, GraphHashtagClient
from trends_helpers import NOW

from contentloop.domain.clock import SimulatedClock
from contentloop.store import Store
from contentloop.store.trends_repo import StoreHashtagBudget, record_outcome, source_health
from contentloop.trends.hashtags import InstagramHashtagSource


def test_budget_never_exceeds_30_and_survives_restart(db_url: str) -> None:
    clock = SimulatedClock(NOW)
    store = Store(db_url, clock)
    budget = StoreHashtagBudget(store)
    granted = [t for t in (f"tag{i}" for i in range(40)) if budget.acquire("u1", t, NOW)]
    assert granted == [f"tag{i}" for i in range(30)]
    assert budget.remaining("u1", NOW) == 0
    assert budget.acquire("u1", "#TAG3", NOW + timedelta(days=1))  # counted already: free
    assert budget.acquire("u2", "tag35", NOW)  # another IG user has its own budget
    store.close()

    again = StoreHashtagBudget(Store(db_url, clock))  # a restart: a new process, same database
    try:
        assert not again.acquire("u1", "fresh", NOW + timedelta(days=6, hours=23))
        assert again.remaining("u1", NOW + timedelta(days=6)) == 0
        later = NOW + timedelta(days=7)
        assert again.remaining("u1", later) == 30  # the rolling window has passed
        assert again.acquire("u1", "fresh", later)
        assert again.acquire("u1", "tag0", later)  # expired tag counts afresh
        assert set(again.counted("u1", later)) == {"fresh", "tag0"}
    finally:
        again.store.close()


def test_concurrent_acquires_never_exceed_the_limit(db_url: str) -> None:
    clock = SimulatedClock(NOW)
    stores = [Store(db_url, clock) for _ in range(4)]
    budgets = [StoreHashtagBudget(s, limit=10) for s in stores]
    granted: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(8):
                tag = f"w{k}t{i}"
                if budgets[k].acquire("shared", tag, NOW):
                    with lock:
                        granted.append(tag)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert len(granted) == 10
        assert set(budgets[0].counted("shared", NOW)) == set(granted)
    finally:
        for s in stores:
            s.close()


def test_hashtag_source_with_persisted_budget_never_trips_the_api(
    httpserver: HTTPServer, tmp_path: Any
) -> None:
    clock = SimulatedClock(NOW)

    def media(tag: str, now: Any) -> list[dict[str, Any]]:
        ts = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")
        return [{"id": "1", "caption": f"#{tag}", "like_count": 3, "comments_count": 1,
                 "timestamp": ts, "permalink": "https://instagram.com/p/x"}]

    fake = FakeGraph(httpserver, clock, media)
    client = GraphHashtagClient(httpserver.url_for(""))
    url = f"sqlite:///{tmp_path / 'b.db'}"
    try:
        for day in range(10):  # ten daily runs, each with a fresh process (new Store)
            store = Store(url, clock)
            tags = [f"d{day}t{i}" for i in range(8)] + ["coldbrew"]
            source = InstagramHashtagSource(client, "ig1", tags, StoreHashtagBudget(store))
            source.fetch(clock.now())
            store.close()
            clock.advance(timedelta(days=1))
    finally:
        client.close()
    assert fake.errors == []  # the API never had to refuse a query
    assert fake.max_unique_seen == 30


def test_source_health_tracks_success_and_failure_streaks(db_url: str) -> None:
    store = Store(db_url, SimulatedClock(NOW))
    try:
        record_outcome(store, "acc", "feed-a", ok=True, now=NOW, kind="rss", signals=5)
        record_outcome(store, "acc", "feed-a", ok=False, now=NOW + timedelta(hours=1),
                       error="HTTP 500 from https://x/feed")
        record_outcome(store, "acc", "feed-a", ok=False, now=NOW + timedelta(hours=2),
                       error="timed out after 10s")
        record_outcome(store, "acc", "feed-b", ok=True, now=NOW, kind="reddit", signals=2)
        [a, b] = source_health(store, "acc")
        assert (a.source, a.status, a.consecutive_failures) == ("feed-a", "failing", 2)
        assert a.last_error == "timed out after 10s"
        assert a.last_success_at == NOW and a.total_signals == 5 and a.kind == "rss"
        assert (b.source, b.status, b.total_signals) == ("feed-b", "ok", 2)
        record_outcome(store, "acc", "feed-a", ok=True, now=NOW + timedelta(hours=3), signals=1)
        [a, _] = source_health(store, "acc")
        assert a.status == "ok" and a.consecutive_failures == 0 and a.total_signals == 6
    finally:
        store.close()
