"""ingest(): one failing source is reported with its reason; the others still deliver."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pytest_httpserver import HTTPServer
from trends_helpers import NOW, rss

from contentloop.domain.models import Account, BrandProfile, Pillar, TrendSignal
from contentloop.trends.fixtures import fixture_path, fixture_paths
from contentloop.trends.ingest import ingest
from contentloop.trends.rss import FeedSource
from contentloop.trends.scoring import score_opportunities


class CrashingSource:
    """A source with a bug (not a fake remote service): ingest must survive it."""

    name = "buggy"

    def fetch(self, now: datetime) -> list[TrendSignal]:
        raise ZeroDivisionError("division by zero")


def test_failures_are_isolated_and_named(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/ok").respond_with_data(
        rss([{"title": "Cold brew tonic", "link": "https://example.org/1"}])
    )
    httpserver.expect_request("/down").respond_with_data(b"oops", status=503)
    sources = [
        FeedSource(httpserver.url_for("/down"), name="down", allow_private=True),
        CrashingSource(),
        FeedSource(tmp_path / "nope.xml", name="missing-file"),
        FeedSource(httpserver.url_for("/ok"), name="ok", allow_private=True),
        FeedSource(fixture_path("coffee"), name="coffee"),
    ]
    report = ingest(sources, NOW)
    failures = dict(report.failures)
    assert set(failures) == {"down", "buggy", "missing-file"}
    assert "HTTP 503" in failures["down"]
    assert "ZeroDivisionError" in failures["buggy"]
    assert "not found" in failures["missing-file"]
    assert not report.ok
    assert {s.source for s in report.signals} == {"ok", "coffee"}


def test_duplicate_signals_are_kept_once() -> None:
    path = fixture_path("fitness")
    report = ingest([FeedSource(path, name="f"), FeedSource(path, name="f")], NOW)
    single = FeedSource(path, name="f").fetch(NOW)
    assert len(report.signals) == len(single) > 0


def test_shipped_fixtures_parse_offline_and_feed_the_scorer() -> None:
    paths = fixture_paths()
    assert len(paths) == 3 and all(p.suffix == ".xml" for p in paths)
    report = ingest([FeedSource(p) for p in paths], NOW)
    assert report.failures == []
    by_source: dict[str, int] = {}
    for s in report.signals:
        by_source[s.source] = by_source.get(s.source, 0) + 1
        assert s.published_at is not None and s.url.startswith("https://example.org/")
    assert set(by_source) == {p.stem for p in paths} and min(by_source.values()) >= 5
    acct = Account(
        handle="beans",
        niche="coffee",
        brand=BrandProfile(pillars=(Pillar("recipes", 1.0, ("recipe", "brew", "drink")),)),
    )
    demo_now = datetime.fromisoformat("2026-01-05T00:00:00+00:00")
    opps = score_opportunities(
        acct, ingest([FeedSource(p) for p in paths], demo_now).signals, {}, demo_now
    )
    assert opps[0].topic == "cold brew" and opps[0].pillar == "recipes"
    assert "on 2 sources" in opps[0].explanation
