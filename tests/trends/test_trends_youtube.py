"""YouTube Data API v3 (videos mostPopular chart, search + statistics) over loopback."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from trends_fixture_data import fixture_bytes
from trends_helpers import NOW

from contentloop.trends.source import SourceError
from contentloop.trends.youtube import YouTubeSource, engagement_of, parse_videos

KEY = "AIzaSy-test-key-000"


def make(server: HTTPServer, **kw: Any) -> YouTubeSource:
    return YouTubeSource(
        KEY, base_url=server.url_for("/youtube/v3"), allow_private=True, timeout=2, **kw
    )


def test_most_popular_chart_by_region_and_category(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/youtube/v3/videos",
        query_string={"part": "snippet,statistics", "chart": "mostPopular", "regionCode": "DE",
                      "videoCategoryId": "26", "maxResults": "10", "key": KEY},
    ).respond_with_data(fixture_bytes("youtube_most_popular.json"),
                        content_type="application/json")
    source = make(httpserver, region="de", category="26", max_results=10)
    signals = source.fetch(NOW)
    assert [s.title for s in signals] == [
        "I Tried Every Cold Brew Method So You Don't Have To",
        "Latte art for total beginners",
    ]
    first = signals[0]
    assert first.term == "cold brew"
    assert first.url == "https://www.youtube.com/watch?v=Ks-_Mh1QhMc"
    assert first.engagement == pytest.approx(48000 + 2 * 3100 + 1_250_000 / 100)
    assert first.tags == ("cold brew", "coffee", "home barista")
    assert first.summary.startswith("Bean There: Six methods")
    assert first.published_at == datetime(2026, 1, 4, 15, 0, 6, tzinfo=UTC)
    assert signals[1].engagement == pytest.approx(5100 + 900)  # no commentCount → 0
    assert KEY not in repr(source)


def test_search_fills_statistics_with_a_second_call(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/youtube/v3/search").respond_with_data(
        fixture_bytes("youtube_search.json"), content_type="application/json"
    )
    httpserver.expect_request(
        "/youtube/v3/videos", query_string={"part": "statistics",
                                            "id": "abcDEF12345,zyx98765432", "key": KEY}
    ).respond_with_data(fixture_bytes("youtube_videos_stats.json"),
                        content_type="application/json")
    source = make(httpserver, mode="search", queries=["pour over"])
    signals = source.fetch(NOW)
    assert [s.url for s in signals] == [
        "https://www.youtube.com/watch?v=abcDEF12345",
        "https://www.youtube.com/watch?v=zyx98765432",
    ]
    assert signals[0].engagement == pytest.approx(2000 + 300 + 400)
    search = httpserver.log[0][0]
    assert search.args["q"] == "pour over" and search.args["type"] == "video"
    assert search.args["publishedAfter"] == "2025-12-29T12:00:00Z"  # 7 days before NOW


def test_quota_error_is_reported_without_the_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/youtube/v3/videos").respond_with_data(
        fixture_bytes("youtube_quota_error.json"), status=403, content_type="application/json"
    )
    with pytest.raises(SourceError) as info:
        make(httpserver).fetch(NOW)
    reason = info.value.reason
    assert "HTTP 403" in reason and "quotaExceeded" in reason
    assert KEY not in str(info.value) and "key=" not in reason


def test_one_failing_search_query_is_skipped(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/youtube/v3/search", query_string={
        "part": "snippet", "q": "broken", "type": "video", "order": "viewCount",
        "publishedAfter": "2025-12-29T12:00:00Z", "regionCode": "US", "maxResults": "25",
        "key": KEY}).respond_with_data("oops", status=500)
    httpserver.expect_request("/youtube/v3/search").respond_with_data(
        fixture_bytes("youtube_search.json"), content_type="application/json"
    )
    httpserver.expect_request("/youtube/v3/videos").respond_with_data(
        fixture_bytes("youtube_videos_stats.json"), content_type="application/json"
    )
    source = make(httpserver, mode="search", queries=["broken", "pour over"])
    assert len(source.fetch(NOW)) == 2
    assert [q for q, _ in source.skipped] == ["broken"]


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="key"):
        YouTubeSource("")
    with pytest.raises(ValueError, match="query"):
        YouTubeSource(KEY, mode="search")
    with pytest.raises(ValueError, match="category"):
        YouTubeSource(KEY, category="music")


_stat = st.one_of(
    st.integers(min_value=0, max_value=10**9).map(str), st.none(), st.text(max_size=5)
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["viewCount", "likeCount", "commentCount"]), _stat))
def test_engagement_is_never_negative_and_counts_digits(stats: dict[str, Any]) -> None:
    value = engagement_of(stats)
    assert value >= 0
    digits = {
        k: float(v) for k, v in stats.items() if isinstance(v, str) and v.isascii() and v.isdigit()
    }
    expected = (digits.get("likeCount", 0) + 2 * digits.get("commentCount", 0)
                + digits.get("viewCount", 0) / 100)
    assert value == pytest.approx(expected)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_arbitrary_json_never_raises_anything_but_source_error(body: Any) -> None:
    with contextlib.suppress(SourceError):
        parse_videos(body, "yt", NOW)
    with contextlib.suppress(SourceError):
        parse_videos({"items": [body]}, "yt", NOW)
