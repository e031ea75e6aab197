"""Google Trends daily trending searches (RSS with the ht: namespace) over loopback HTTP."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from trends_fixture_data import fixture_bytes
from trends_helpers import NOW

from contentloop.trends.google_trends import (
    GoogleTrendsSource,
    parse_traffic,
    parse_trending_rss,
    traffic_volume,
)
from contentloop.trends.source import SourceError, TrendSource


def make(server: HTTPServer, **kw: object) -> GoogleTrendsSource:
    return GoogleTrendsSource(
        "US", base_url=server.url_for("/trending/rss"), allow_private=True, timeout=2, **kw  # type: ignore[arg-type]
    )


def test_trending_searches_by_geo_become_signals(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/trending/rss", query_string="geo=US").respond_with_data(
        fixture_bytes("google_trends_us.xml"), content_type="application/rss+xml"
    )
    source = make(httpserver)
    assert isinstance(source, TrendSource)
    signals = source.fetch(NOW)
    assert [s.term for s in signals] == ["cold brew", "super bowl halftime", "pour over kettle"]
    cold = signals[0]
    assert cold.engagement == 200_000
    assert cold.volume == pytest.approx(traffic_volume(200_000))
    assert cold.url == "https://news.example.com/cold-brew-winter"
    assert "Cold brew sales keep climbing" in cold.summary and "200,000+" in cold.summary
    assert cold.tags[:3] == ("google trends", "food & wine", "eater")
    assert cold.published_at == datetime(2026, 1, 5, 11, 0, tzinfo=UTC)
    assert signals[1].engagement == 2_000_000
    assert signals[2].url == ""  # no news item and no http link of its own → none
    assert source.name == "google_trends:US"


def test_legacy_daily_feed_namespace_is_read(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/trending/rss").respond_with_data(
        fixture_bytes("google_trends_legacy.xml"), content_type="text/xml"
    )
    [signal] = make(httpserver).fetch(NOW)
    assert signal.title == "Espresso Martini" and signal.term == "espresso martini"
    assert signal.engagement == 50_000  # '50.000+' is a German thousands separator
    assert signal.summary.endswith("Espresso Martini zum Selbermachen")  # HTML stripped


def test_html_error_page_marks_the_source_failing(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/trending/rss").respond_with_data(
        b"<!doctype html><html><body>Sorry...</body></html>", content_type="text/html"
    )
    with pytest.raises(SourceError, match="HTML page"):
        make(httpserver).fetch(NOW)


def test_http_429_reports_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/trending/rss").respond_with_data(
        b"slow down", status=429, headers={"Retry-After": "120"}
    )
    with pytest.raises(SourceError) as info:
        make(httpserver).fetch(NOW)
    assert "HTTP 429" in info.value.reason and "Retry-After: 120" in info.value.reason
    assert "geo=" not in info.value.reason  # query strings are never echoed


def test_min_interval_skips_polls_on_the_injected_clock(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/trending/rss").respond_with_data(
        fixture_bytes("google_trends_us.xml")
    )
    source = make(httpserver, min_interval=3600)
    assert source.fetch(NOW)
    assert source.fetch(NOW + timedelta(minutes=30)) == []
    assert source.last_status == "rate_limited"
    assert source.fetch(NOW + timedelta(hours=1))
    assert len(httpserver.log) == 2


def test_loopback_refused_without_allow_private(httpserver: HTTPServer) -> None:
    source = GoogleTrendsSource("US", base_url=httpserver.url_for("/trending/rss"))
    with pytest.raises(SourceError, match="loopback"):
        source.fetch(NOW)
    assert httpserver.log == []


def test_bad_geo_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="geo"):
        GoogleTrendsSource("not a geo")


@pytest.mark.parametrize(
    ("text", "value"),
    [("200,000+", 200_000), ("2K+", 2_000), ("1.5M+", 1_500_000), ("", 0), ("lots", 0)],
)
def test_parse_traffic(text: str, value: int) -> None:
    assert parse_traffic(text) == value


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_traffic_round_trips_with_separators(n: int) -> None:
    assert parse_traffic(f"{n:,}+") == n
    assert traffic_volume(n) >= 1.0


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_text, _text), max_size=6))
def test_generated_feeds_parse_or_fail_cleanly(items: list[tuple[str, str]]) -> None:
    from xml.sax.saxutils import escape

    body = "".join(
        f"<item><title>{escape(t)}</title><ht:approx_traffic>{escape(a)}</ht:approx_traffic></item>"
        for t, a in items
    )
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:ht="https://trends.google.com/trending/rss"><channel>'
        f"{body}</channel></rss>"
    ).encode()
    signals = parse_trending_rss(doc, "gt", NOW)
    assert len(signals) == sum(1 for t, _ in items if t.strip() and _visible(t))
    assert all(s.volume >= 1.0 and s.engagement >= 0 for s in signals)


def _visible(text: str) -> bool:
    from contentloop.trends.text import strip_html

    return bool(strip_html(text))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_but_source_error(data: bytes) -> None:
    with contextlib.suppress(SourceError):
        parse_trending_rss(data, "gt", NOW)
