"""Hashtag source against a loopback Graph stand-in that enforces the 30-per-7-days rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from trends_graph_fake import FakeGraph, GraphHashtagClient

from contentloop.domain.clock import SimulatedClock
from contentloop.trends.hashtags import (
    HashtagBudget,
    InMemoryHashtagBudget,
    InstagramHashtagSource,
)
from contentloop.trends.ingest import ingest
from contentloop.trends.source import SourceError, TrendSource

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+0000")


def media_for(tag: str, now: datetime) -> list[dict[str, Any]]:
    """Deterministic media: (len(tag) % 5) + 2 items in the last day, one item 3 days old."""
    n = len(tag) % 5 + 2
    items = [
        {
            "id": f"{tag}-{i}",
            "caption": f"Loving #{tag} today #coffee #morning{i % 2}",
            "like_count": 10 * (i + 1),
            "comments_count": i,
            "timestamp": iso(now - timedelta(hours=i + 1)),
            "permalink": f"https://www.instagram.com/p/{tag}{i}/",
        }
        for i in range(n)
    ]
    items.append(
        {
            "id": f"{tag}-old",
            "caption": "old",
            "like_count": 10_000,
            "comments_count": 500,
            "timestamp": iso(now - timedelta(days=3)),
        }
    )
    return items


@pytest.fixture
def graph(httpserver: HTTPServer) -> Iterator[tuple[FakeGraph, GraphHashtagClient, SimulatedClock]]:
    clock = SimulatedClock(START)
    fake = FakeGraph(httpserver, clock, media_for)
    client = GraphHashtagClient(httpserver.url_for("/"))
    yield fake, client, clock
    client.close()


def test_engagement_weighted_signal_from_media(graph) -> None:  # type: ignore[no-untyped-def]
    fake, client, clock = graph
    budget = InMemoryHashtagBudget()
    assert isinstance(budget, HashtagBudget)
    src = InstagramHashtagSource(client, "17841400000", ["#ColdBrew"], budget, edge="top_media")
    assert isinstance(src, TrendSource)
    (signal,) = src.fetch(clock.now())
    expected = [m for m in media_for("coldbrew", clock.now()) if m["id"] != "coldbrew-old"]
    assert signal.term == "coldbrew" and signal.title == "#coldbrew"
    assert signal.volume == len(expected)  # the 3-day-old item is outside the 24 h window
    assert signal.engagement == sum(m["like_count"] + 2 * m["comments_count"] for m in expected)
    best = max(expected, key=lambda m: m["like_count"] + 2 * m["comments_count"])
    assert signal.url == best["permalink"]
    assert signal.tags[0] == "coldbrew" and "coffee" in signal.tags
    assert signal.published_at == clock.now() - timedelta(hours=1)


def test_budget_is_never_exceeded_over_weeks(graph) -> None:  # type: ignore[no-untyped-def]
    fake, client, clock = graph
    budget = InMemoryHashtagBudget()
    skipped_total = 0
    fetched_total = 0
    for day in range(16):
        # every day: 4 evergreen tags (re-queried) + 6 new ones
        tags = [f"ever{i}" for i in range(4)] + [f"d{day}t{i}" for i in range(6)]
        src = InstagramHashtagSource(client, "acct", tags, budget)
        signals = src.fetch(clock.now())
        assert not [r for _, r in src.skipped if "query failed" in r]
        fetched_total += len(signals)
        skipped_total += len(src.skipped)
        assert budget.remaining("acct", clock.now()) >= 0
        clock.advance(timedelta(days=1))
    assert fake.errors == []  # the platform never had to refuse us
    assert fake.max_unique_seen == 30  # the budget was used fully, not wasted
    assert skipped_total > 0 and fetched_total > 0


def test_requery_of_counted_tag_is_free_and_window_rolls(graph) -> None:  # type: ignore[no-untyped-def]
    fake, client, clock = graph
    budget = InMemoryHashtagBudget(limit=3)
    first = InstagramHashtagSource(client, "acct", ["a1", "b2", "c3"], budget)
    assert len(first.fetch(clock.now())) == 3
    clock.advance(timedelta(days=2))
    again = InstagramHashtagSource(client, "acct", ["a1", "zz9"], budget)
    signals = again.fetch(clock.now())
    assert [s.term for s in signals] == ["a1"]  # counted tag: free
    assert again.skipped == [("zz9", "hashtag budget exhausted (3 unique per rolling 7 days)")]
    # re-query did not reset a1's timer: 7 days after the first query all three expire
    clock.set(START + timedelta(days=7))
    assert budget.remaining("acct", clock.now()) == 3
    assert len(InstagramHashtagSource(client, "acct", ["zz9"], budget).fetch(clock.now())) == 1


def test_budget_is_per_account() -> None:
    budget = InMemoryHashtagBudget(limit=1)
    assert budget.acquire("a", "x", START)
    assert not budget.acquire("a", "y", START)
    assert budget.acquire("b", "y", START)


def test_invalid_tags_are_skipped_without_spending_budget(graph) -> None:  # type: ignore[no-untyped-def]
    fake, client, clock = graph
    budget = InMemoryHashtagBudget()
    src = InstagramHashtagSource(client, "acct", ["☕coffee", "two words", "ok"], budget)
    assert [s.term for s in src.fetch(clock.now())] == ["ok"]
    assert {t for t, _ in src.skipped} == {"☕coffee", "two words"}
    assert budget.remaining("acct", clock.now()) == 29
    assert fake.search_calls == 1


def test_all_queries_failing_is_a_source_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ig_hashtag_search").respond_with_json(
        {"error": {"message": "Invalid OAuth access token", "code": 190}}, status=400
    )
    client = GraphHashtagClient(httpserver.url_for("/"))
    src = InstagramHashtagSource(client, "acct", ["a", "b"], InMemoryHashtagBudget())
    with pytest.raises(SourceError, match="every hashtag query failed"):
        src.fetch(START)
    report = ingest([src], START)
    assert report.signals == [] and report.failures[0][0] == "instagram_hashtags"
    client.close()


def test_ingest_reports_budget_skips(graph) -> None:  # type: ignore[no-untyped-def]
    fake, client, clock = graph
    src = InstagramHashtagSource(client, "acct", ["a1", "b2"], InMemoryHashtagBudget(limit=1))
    report = ingest([src], clock.now())
    assert [s.term for s in report.signals] == ["a1"]
    assert report.skipped == [
        ("instagram_hashtags:b2", "hashtag budget exhausted (1 unique per rolling 7 days)")
    ]
    assert report.ok
