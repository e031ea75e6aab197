"""Insights sync against Graph-shaped responses on loopback; snapshot scheduling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from contentloop.analytics import (
    METRICS_BY_PRODUCT,
    SNAPSHOT_AGES_H,
    InsightsSource,
    due_snapshots,
    sync_media,
)
from contentloop.analytics.insights import hourly_profile

from .graph_fake import HttpInsightsSource

DEPRECATED = {
    "impressions",
    "plays",
    "video_views",
    "clips_replays_count",
    "ig_reels_aggregated_all_plays_count",
}


def entry(name: str, value: float, total: bool = False) -> dict:
    e: dict[str, object] = {"name": name, "period": "lifetime", "id": f"m/insights/{name}/lifetime"}
    if total:
        e["total_value"] = {"value": value}
    else:
        e["values"] = [{"value": value}]
    return e


def error(code: int, message: str, status: int = 400) -> Response:
    import json

    body = {"error": {"message": message, "type": "IGApiException", "code": code}}
    return Response(json.dumps(body), status=status, content_type="application/json")


def test_metric_lists_are_current() -> None:
    for product, metrics in METRICS_BY_PRODUCT.items():
        assert "views" in metrics and "reach" in metrics, product
        assert not DEPRECATED & set(metrics), product
    assert "follows" not in METRICS_BY_PRODUCT["REELS"]  # the API rejects it for reels
    assert "ig_reels_avg_watch_time" in METRICS_BY_PRODUCT["REELS"]
    assert "likes" not in METRICS_BY_PRODUCT["STORY"]


def test_due_snapshots() -> None:
    pub = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert due_snapshots(pub, pub + timedelta(minutes=30), ()) == []
    assert due_snapshots(pub, pub + timedelta(hours=7), ()) == [1, 6]
    assert due_snapshots(pub, pub + timedelta(hours=7), (1,)) == [6]
    assert due_snapshots(pub, pub + timedelta(days=30), (1, 6, 24, 72)) == [168]
    assert due_snapshots(pub, pub + timedelta(days=30), SNAPSHOT_AGES_H) == []
    assert due_snapshots(pub, pub - timedelta(hours=1), ()) == []
    # Stories: nothing after 24 h, and never a 24 h+ snapshot.
    assert due_snapshots(pub, pub + timedelta(hours=23), (), "STORY") == [1, 6]
    assert due_snapshots(pub, pub + timedelta(hours=25), (), "STORY") == []


def test_sync_feed_parses_both_value_shapes(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/111/insights").respond_with_json(
        {"data": [entry("reach", 500), entry("likes", 40), entry("views", 900, total=True)]}
    )
    source = HttpInsightsSource(httpserver.url_for("/"))
    assert isinstance(source, InsightsSource)
    result = sync_media(source, "111", "FEED")
    assert dict(result) == {"reach": 500.0, "likes": 40.0, "views": 900.0}
    assert result.ok and result.reason == ""
    assert source.calls == [METRICS_BY_PRODUCT["FEED"]]


def test_not_enough_viewers_is_a_reason_not_an_exception(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/222/insights").respond_with_response(
        error(10, "(#10) Not enough viewers for the media to show insights")
    )
    result = sync_media(HttpInsightsSource(httpserver.url_for("/")), "222", "STORY")
    assert result == {} and not result.ok
    assert result.reason == "not_enough_viewers" and result.retry


def test_empty_data_means_not_yet(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/333/insights").respond_with_json({"data": []})
    result = sync_media(HttpInsightsSource(httpserver.url_for("/")), "333", "REELS")
    assert result == {} and result.reason == "no_data" and result.retry


def test_unsupported_metrics_are_dropped_and_retried(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        metrics = request.args["metric"].split(",")
        if "follows" in metrics or "profile_visits" in metrics:
            return error(
                100,
                "(#100) The Media Insights API does not support the "
                "profile_visits, follows metric for this media product type.",
            )
        import json

        data = [entry(m, 7) for m in metrics]
        return Response(json.dumps({"data": data}), content_type="application/json")

    httpserver.expect_request("/444/insights").respond_with_handler(handler)
    source = HttpInsightsSource(httpserver.url_for("/"))
    result = sync_media(source, "444", "FEED")
    assert len(source.calls) == 2
    assert set(result.dropped) == {"follows", "profile_visits"}
    assert set(result) == set(METRICS_BY_PRODUCT["FEED"]) - {"follows", "profile_visits"}
    assert result.ok and result.reason == "unsupported_metrics"


def test_other_errors_are_reported_without_secrets(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/555/insights").respond_with_response(
        error(190, "Invalid OAuth access token: access_token=EAAB-secret-123 expired", 401)
    )
    result = sync_media(HttpInsightsSource(httpserver.url_for("/")), "555", "FEED")
    assert result == {} and result.reason == "error"
    assert "GraphError" in result.detail
    assert "EAAB-secret-123" not in result.detail


def test_unknown_product_type(httpserver: HTTPServer) -> None:
    result = sync_media(HttpInsightsSource(httpserver.url_for("/")), "1", "CAROUSEL_CHILD")
    assert result.reason == "unknown_product_type" and "FEED" in result.detail
    assert httpserver.log == []  # nothing was asked


def test_online_followers_profile(httpserver: HTTPServer) -> None:
    days = [
        {"value": {str(h): 10 + h for h in range(24)}, "end_time": f"2026-01-0{d}T07:00:00+0000"}
        for d in (1, 2)
    ]
    httpserver.expect_request("/999/insights").respond_with_json(
        {"data": [{"name": "online_followers", "period": "lifetime", "values": days}]}
    )
    source = HttpInsightsSource(httpserver.url_for("/"))
    now = datetime(2026, 1, 10, tzinfo=UTC)
    prof = source.online_followers("999", now - timedelta(days=7), now)
    assert prof[0] == 20 and prof[23] == 66
    assert hourly_profile({"3": 5, 3: 1, "x": 9, "30": 2}) == {3: 6.0}
    assert hourly_profile({}) == {}


@pytest.mark.parametrize(
    "code,msg", [(10, "(#10) Some other wording"), (0, "Not enough viewers to show insights")]
)
def test_not_enough_viewers_by_code_or_text(httpserver: HTTPServer, code: int, msg: str) -> None:
    httpserver.expect_request("/777/insights").respond_with_response(error(code, msg))
    result = sync_media(HttpInsightsSource(httpserver.url_for("/")), "777", "FEED")
    assert result.reason == "not_enough_viewers"
