"""GraphClient against a real loopback HTTP server (pytest-httpserver)."""

from __future__ import annotations

import json
import logging
import socket
import time
from typing import Any

import pytest
from pydantic import SecretStr
from werkzeug import Request, Response

from contentloop.domain.clock import SimulatedClock
from contentloop.instagram import (
    ErrorClass,
    GraphAPIError,
    GraphClient,
    GraphNetworkError,
    PublishOutcomeUnknown,
    classify,
)

TOKEN = "IGAAsecretTOKENvalue123"
V = "/v25.0"


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def client(httpserver, clock):
    c = GraphClient(httpserver.url_for("/"), SecretStr(TOKEN), clock=clock, timeout=2.0)
    yield c
    c.close()


def _json(data, status=200, headers=None):
    return Response(json.dumps(data), status=status, headers=headers,
                    content_type="application/json")


def test_create_image_container_sends_bearer_and_form(httpserver, client):
    httpserver.expect_request(
        f"{V}/1784/media", method="POST", headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json({"id": "17889"})
    cid = client.create_image_container(
        "1784", "http://127.0.0.1/a.jpg", "Hello #tips", alt_text="a cat",
        user_tags=[{"username": "bob", "x": 0.5, "y": 0.5}],
    )
    assert cid == "17889"
    req, _ = httpserver.log[0]
    assert TOKEN not in req.url
    assert req.form["image_url"] == "http://127.0.0.1/a.jpg"
    assert req.form["caption"] == "Hello #tips"
    assert json.loads(req.form["user_tags"]) == [{"username": "bob", "x": 0.5, "y": 0.5}]
    assert "is_carousel_item" not in req.form


def test_carousel_reel_story_and_child_params(httpserver, client):
    httpserver.expect_request(f"{V}/1784/media", method="POST").respond_with_json({"id": "1"})
    client.create_image_container("1784", "http://h/x.jpg", "ignored", is_carousel_item=True)
    client.create_video_child("1784", "http://h/v.mp4")
    client.create_carousel_container("1784", ["11", "12"], "cap")
    client.create_reel_container("1784", "http://h/r.mp4", "reel", cover_url="http://h/c.jpg",
                                 thumb_offset=500, share_to_feed=False)
    client.create_story_container("1784", image_url="http://h/s.jpg")
    forms = [r.form for r, _ in httpserver.log]
    assert forms[0]["is_carousel_item"] == "true" and "caption" not in forms[0]
    assert forms[1]["media_type"] == "VIDEO" and forms[1]["is_carousel_item"] == "true"
    assert forms[2]["media_type"] == "CAROUSEL" and forms[2]["children"] == "11,12"
    assert forms[3]["media_type"] == "REELS" and forms[3]["share_to_feed"] == "false"
    assert "thumb_offset" not in forms[3]  # cover_url wins
    assert forms[4]["media_type"] == "STORIES" and "video_url" not in forms[4]
    with pytest.raises(ValueError):
        client.create_story_container("1784")


def test_transient_errors_retry_through_the_clock(httpserver, client, clock):
    calls = {"n": 0}

    def handler(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] < 3:
            return _json({"error": {"message": "Service unavailable", "code": 2,
                                    "is_transient": True}}, status=503)
        return _json({"status_code": "FINISHED", "id": "55"})

    httpserver.expect_request(f"{V}/55").respond_with_handler(handler)
    before = clock.now()
    t0 = time.monotonic()
    st = client.container_status("55")
    assert st.status_code == "FINISHED" and calls["n"] == 3
    assert clock.now() >= before  # slept on the simulated clock, not the wall clock
    assert time.monotonic() - t0 < 2


def test_retries_are_bounded(httpserver, clock):
    c = GraphClient(httpserver.url_for("/"), TOKEN, clock=clock, max_attempts=3)
    httpserver.expect_request(f"{V}/me").respond_with_json(
        {"error": {"message": "unknown", "code": 1}}, status=500)
    with pytest.raises(GraphAPIError) as ei:
        c.me()
    assert classify(ei.value) is ErrorClass.TRANSIENT
    assert len(httpserver.log) == 3


def test_permanent_errors_are_not_retried(httpserver, client):
    httpserver.expect_request(f"{V}/1784/media", method="POST").respond_with_json(
        {"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100,
                   "error_subcode": 2207028}}, status=400)
    with pytest.raises(GraphAPIError) as ei:
        client.create_carousel_container("1784", ["1"], "x")
    assert ei.value.subcode == 2207028 and len(httpserver.log) == 1


def test_token_never_in_errors_or_logs(httpserver, client, caplog):
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(f"{V}/me").respond_with_json(
        {"error": {"message": f"Invalid OAuth access token {TOKEN} (access_token={TOKEN})",
                   "type": "OAuthException", "code": 190, "error_subcode": 463,
                   "error_user_msg": f"token {TOKEN} expired"}}, status=400)
    with pytest.raises(GraphAPIError) as ei:
        client.me()
    e = ei.value
    assert classify(e) is ErrorClass.AUTH
    for text in (str(e), repr(e), e.message, e.user_msg, repr(client), caplog.text):
        assert TOKEN not in text
    assert "***" in e.message


def test_paging_next_strips_token_from_url(httpserver, client, caplog):
    caplog.set_level(logging.DEBUG)
    nxt = httpserver.url_for(f"{V}/1784/media") + f"?after=C2&limit=2&access_token={TOKEN}"
    httpserver.expect_ordered_request(f"{V}/1784/media", query_string={
        "fields": "id,caption", "limit": "2"}).respond_with_json(
        {"data": [{"id": "1"}, {"id": "2"}], "paging": {"next": nxt}})
    httpserver.expect_ordered_request(f"{V}/1784/media").respond_with_json(
        {"data": [], "paging": {"next": nxt.replace("C2", "C3")}})
    httpserver.expect_ordered_request(f"{V}/1784/media").respond_with_json(
        {"data": [{"id": "3"}], "paging": {"cursors": {"after": "C4"}}})
    ids = [m["id"] for m in client.iter_media("1784", ("id", "caption"), limit=2)]
    assert ids == ["1", "2", "3"]  # an empty page with next keeps going
    for req, _ in httpserver.log:
        assert TOKEN not in req.url and req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert httpserver.log[1][0].args["after"] == "C2"
    assert TOKEN not in "\n".join(r.getMessage() for r in caplog.records
                                   if r.name != "werkzeug")


def test_publish_read_timeout_is_outcome_unknown_and_not_retried(httpserver, clock):
    c = GraphClient(httpserver.url_for("/"), TOKEN, clock=clock, timeout=0.3)

    def slow(request: Request) -> Response:
        time.sleep(0.8)
        return _json({"id": "999"})

    httpserver.expect_request(f"{V}/1784/media_publish", method="POST").respond_with_handler(slow)
    with pytest.raises(PublishOutcomeUnknown) as ei:
        c.publish("1784", "17889")
    assert ei.value.creation_id == "17889"
    assert len(httpserver.log) <= 1
    time.sleep(0.6)
    assert len(httpserver.log) == 1  # exactly one publish request reached the server


def test_publish_5xx_is_not_retried(httpserver, client):
    httpserver.expect_request(f"{V}/1784/media_publish", method="POST").respond_with_json(
        {"error": {"message": "unknown", "code": 2, "is_transient": True}}, status=500)
    with pytest.raises(GraphAPIError):
        client.publish("1784", "17889")
    assert len(httpserver.log) == 1
    assert httpserver.log[0][0].form["creation_id"] == "17889"


def test_connect_error_is_network_error_not_unknown(clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = GraphClient(f"http://127.0.0.1:{port}", TOKEN, clock=clock, max_attempts=2)
    with pytest.raises(GraphNetworkError) as ei:
        c.publish("1784", "1")
    assert not isinstance(ei.value, PublishOutcomeUnknown)
    assert TOKEN not in str(ei.value)


def test_container_status_error_subcode_and_quota(httpserver, client):
    httpserver.expect_request(f"{V}/77", query_string={"fields": "status_code,status,id"}
                              ).respond_with_json(
        {"status_code": "ERROR", "status": "Error: Media upload has failed with error code 2207026",
         "id": "77"})
    httpserver.expect_request(f"{V}/1784/content_publishing_limit").respond_with_json(
        {"data": [{"quota_usage": 7, "config": {"quota_total": 50, "quota_duration": 86400}}]})
    st = client.container_status("77")
    assert (st.status_code, st.subcode) == ("ERROR", 2207026)
    q = client.publishing_limit("1784")
    assert (q.usage, q.total, q.duration_s, q.remaining) == (7, 50, 86400, 43)


def test_media_insights_drops_rejected_metrics_once(httpserver, client):
    def handler(request: Request) -> Response:
        metrics = request.args["metric"].split(",")
        bad = [m for m in metrics if m in ("follows", "profile_visits")]
        if bad:
            return _json({"error": {"message": "(#100) The Media Insights API does not support "
                                    f"the {', '.join(bad)} metric for this media product type.",
                                    "type": "IGApiException", "code": 100}}, status=400)
        data: list[dict[str, Any]] = [
            {"name": "reach", "period": "lifetime", "values": [{"value": 224}]},
            {"name": "views", "total_value": {"value": 1000}},
        ]
        return _json({"data": [d for d in data if d["name"] in metrics]})

    httpserver.expect_request(f"{V}/m1/insights").respond_with_handler(handler)
    out = client.media_insights("m1", ["reach", "follows", "views", "profile_visits"])
    assert out == {"reach": 224.0, "views": 1000.0}
    assert len(httpserver.log) == 2
    assert httpserver.log[1][0].args["metric"] == "reach,views"


def test_media_insights_other_errors_raise(httpserver, client):
    httpserver.expect_request(f"{V}/m2/insights").respond_with_json(
        {"error": {"message": "(#10) Not enough viewers", "code": 10}}, status=400)
    with pytest.raises(GraphAPIError):
        client.media_insights("m2", ["reach"])
    assert len(httpserver.log) == 1


def test_account_insights_and_online_followers(httpserver, client):
    httpserver.expect_ordered_request(f"{V}/1784/insights", query_string={
        "metric": "reach", "period": "day", "since": "1700000000", "until": "1700086400",
        "metric_type": "total_value"}).respond_with_json(
        {"data": [{"name": "reach", "total_value": {"value": 224}}]})
    httpserver.expect_ordered_request(f"{V}/1784/insights").respond_with_json(
        {"data": [{"name": "online_followers", "period": "lifetime", "values": [
            {"value": {"0": 10, "1": 20}, "end_time": "2025-06-09T07:00:00+0000"},
            {"value": {"0": 30}, "end_time": "2025-06-10T07:00:00+0000"}]}]})
    httpserver.expect_ordered_request(f"{V}/1784/insights").respond_with_json(
        {"data": [{"name": "online_followers", "values": [{"value": {}}]}]})
    rows = client.account_insights("1784", ["reach"], since=1700000000, until=1700086400,
                                   metric_type="total_value")
    assert rows[0]["total_value"]["value"] == 224
    assert client.online_followers("1784", 1700000000, 1700086400) == {0: 20.0, 1: 20.0}
    assert httpserver.log[1][0].args["period"] == "lifetime"
    assert client.online_followers("1784", None, None) == {}


def test_discovery_comment_and_token_refresh(httpserver, client):
    httpserver.expect_request(f"{V}/ig_hashtag_search", query_string={
        "user_id": "1784", "q": "bluebottle"}).respond_with_json({"data": [{"id": "1784385"}]})
    httpserver.expect_request(f"{V}/1784385/recent_media").respond_with_json(
        {"data": [{"id": "a", "caption": "x"}]})
    httpserver.expect_request(f"{V}/1784", query_string={
        "fields": "business_discovery.username(rival){followers_count,media_count}"}
    ).respond_with_json({"business_discovery": {"followers_count": 5, "media_count": 2},
                         "id": "1784"})
    httpserver.expect_request(f"{V}/m9/comments", method="POST").respond_with_json({"id": "c1"})
    httpserver.expect_request("/refresh_access_token", query_string={
        "grant_type": "ig_refresh_token"}).respond_with_json(
        {"access_token": "NEWtokenVALUE", "token_type": "bearer", "expires_in": 5184000})
    assert client.hashtag_id("1784", "#bluebottle") == "1784385"
    assert client.hashtag_media("1784385", "1784", edge="recent_media")[0]["id"] == "a"
    bd = client.business_discovery("1784", "rival", ["followers_count", "media_count"])
    assert bd == {"followers_count": 5, "media_count": 2}
    assert client.post_comment("m9", "first!") == "c1"
    assert httpserver.log[3][0].form["message"] == "first!"
    assert client.refresh_token() == ("NEWtokenVALUE", 5184000)
    httpserver.expect_request(f"{V}/me").respond_with_json({"user_id": "1784"})
    client.me()
    assert httpserver.log[-1][0].headers["Authorization"] == "Bearer NEWtokenVALUE"
    assert "NEWtokenVALUE" not in client.redact("x NEWtokenVALUE y") and TOKEN not in \
        client.redact(f"old {TOKEN}")


def test_exchange_token_secret_not_logged(httpserver, client, caplog):
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(f"{V}/oauth/access_token").respond_with_json(
        {"access_token": "LONGlivedTOKEN", "token_type": "bearer", "expires_in": 5183944})
    assert client.exchange_token("appSECRET42", app_id="123") == ("LONGlivedTOKEN", 5183944)
    req = httpserver.log[0][0]
    assert req.args["grant_type"] == "fb_exchange_token" and req.args["client_id"] == "123"
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")
    assert "client_secret=***" in ours  # httpx2's request line was seen, and scrubbed
    for secret in ("appSECRET42", TOKEN):
        assert secret not in ours  # (the fake server's own access log is not ours)
