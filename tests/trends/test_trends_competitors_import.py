"""Business discovery through the real GraphClient, and CSV/JSON imports, over loopback."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from trends_fixture_data import FIXTURES, fixture_bytes
from trends_helpers import NOW
from werkzeug import Request, Response

from contentloop.domain.clock import SimulatedClock
from contentloop.instagram.client import GraphClient
from contentloop.trends.competitors import InstagramCompetitorSource
from contentloop.trends.importer import ImportSource, parse_import
from contentloop.trends.source import SourceError

TOKEN = "IGQ-secret-token-123"


def graph(server: HTTPServer) -> GraphClient:
    return GraphClient(server.url_for(""), TOKEN, "v25.0", clock=SimulatedClock(NOW),
                       max_attempts=1, timeout=2)


def discovery_handler(request: Request) -> Response:
    fields = request.args.get("fields", "")
    if "business_discovery.username(rivalroasters)" in fields and "media.limit(25)" in fields:
        return Response(fixture_bytes("business_discovery_bluebottle.json"),
                        content_type="application/json")
    body = {"error": {"message": "Invalid user id", "type": "OAuthException", "code": 110,
                      "error_subcode": 2207013}}
    return Response(json.dumps(body), status=400, content_type="application/json")


def test_competitor_posts_weighted_by_their_own_median(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v25.0/1784").respond_with_handler(discovery_handler)
    client = graph(httpserver)
    try:
        source = InstagramCompetitorSource(client, "1784", ["@rivalroasters", "ghost.account"])
        signals = source.fetch(NOW)
    finally:
        client.close()
    # 3 posts in the last 7 days; the December post only sets the baseline
    assert [s.url for s in signals] == [
        "https://www.instagram.com/p/AAA111/",
        "https://www.instagram.com/p/BBB222/",
        "https://www.instagram.com/p/CCC333/",
    ]
    engagements = [2400 + 2 * 180, 300 + 2 * 12, 280 + 2 * 20, 310 + 2 * 9]
    median = sorted(engagements)[1:3]
    median_value = sum(median) / 2
    top = signals[0]
    assert top.engagement == 2760
    assert top.volume == pytest.approx(min(2760 / median_value, 5.0))
    assert top.term == "cold brew"  # the first phrase of the caption's first line
    assert "coldbrew" in top.tags and "@rivalroasters" in top.tags
    assert top.published_at == datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
    assert "of followers" in top.summary
    assert [u for u, _ in source.skipped] == ["@ghost.account"]
    assert TOKEN not in source.skipped[0][1]


def test_all_competitors_failing_fails_the_source(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v25.0/1784").respond_with_handler(discovery_handler)
    client = graph(httpserver)
    try:
        with pytest.raises(SourceError, match="every competitor lookup failed"):
            InstagramCompetitorSource(client, "1784", ["nobody"]).fetch(NOW)
    finally:
        client.close()


def test_csv_file_import() -> None:
    signals = ImportSource(FIXTURES / "signals_import.csv").fetch(NOW)
    assert [s.term for s in signals] == ["cold brew", "nitro cold", "espresso tonic"]
    first = signals[0]
    assert (first.volume, first.engagement, first.tags) == (3.0, 120.0, ("drinks", "summer"))
    assert first.published_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert signals[1].tags == ("nitro", "gear") and signals[1].volume == 1.0
    assert signals[2].title == "espresso tonic"
    assert signals[2].published_at == datetime(2026, 1, 4, 19, 0, tzinfo=UTC)


def test_json_import_over_http(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/export.json").respond_with_data(
        fixture_bytes("signals_import.json"), content_type="application/json"
    )
    source = ImportSource(httpserver.url_for("/export.json"), allow_private=True)
    signals = source.fetch(NOW)
    assert [s.title for s in signals] == ["Cold brew pop-ups are everywhere",
                                          "Nitro cold brew at home"]
    assert signals[1].tags == ("nitro", "gear")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"name,score\nx,1\n", "header row"),
        (b"title,volume\nok,1\nbad,-3\n", "row 3: volume"),
        (b'[{"title": "a", "published_at": "yesterday"}]', "record|row 1: published_at"),
        (b'{"signals": 3}', "list of objects"),
        (b"title\n\xff\xfe\n", "not UTF-8"),
        (b'[{"summary": "no title"}]', "row 1: needs"),
    ],
)
def test_bad_imports_name_the_problem(data: bytes, match: str) -> None:
    with pytest.raises(SourceError, match=match):
        parse_import(data, "imp", NOW)


def test_missing_import_file_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read import file"):
        ImportSource(tmp_path / "nope.csv").fetch(NOW)


_record = st.fixed_dictionaries(
    {
        "title": st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs")),
                         min_size=1, max_size=40).filter(lambda t: t.strip()),
        "volume": st.floats(min_value=0, max_value=1e6),
        "engagement": st.floats(min_value=0, max_value=1e9),
        "tags": st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=8), max_size=4),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_record, max_size=10))
def test_json_records_round_trip(records: list[dict[str, Any]]) -> None:
    signals = parse_import(json.dumps(records).encode(), "imp", NOW)
    assert len(signals) == len(records)
    for sig, rec in zip(signals, records, strict=True):
        assert sig.volume == pytest.approx(rec["volume"])
        assert sig.engagement == pytest.approx(rec["engagement"])
        assert sig.tags == tuple(dict.fromkeys(rec["tags"]))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(["auto", "csv", "json"]))
def test_arbitrary_bytes_never_raise_anything_but_source_error(data: bytes, fmt: str) -> None:
    with contextlib.suppress(SourceError):
        parse_import(data, "imp", NOW, fmt)
