"""GraphClient against the loopback simulator: shapes agree end to end."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from contentloop.domain.clock import SimulatedClock
from contentloop.instagram import ErrorClass, GraphAPIError, GraphClient, classify
from contentloop.instagram.wait import wait_until_finished
from contentloop.publish import MediaHost
from contentloop.sim import SimConfig, SimWorld, serve_in_thread


@pytest.fixture
def world_client(tmp_path):
    Image.new("RGB", (1080, 1080), "#f2c14e").save(tmp_path / "sq.jpg", "JPEG")
    clock = SimulatedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    world = SimWorld(clock, SimConfig(seed=2))
    ig, token = world.create_account("brand_two")
    base, stop = serve_in_thread(world)
    with MediaHost(tmp_path) as host, GraphClient(base, token, clock=clock) as client:
        yield world, client, ig, token, host, clock
    stop()


def _publish_image(client, ig, host, clock, caption):
    cid = client.create_image_container(ig, host.url_for("sq.jpg"), caption)
    wait_until_finished(client, cid, clock)
    return client.publish(ig, cid)


def test_publish_read_back_and_insights(world_client):
    world, client, ig, token, host, clock = world_client
    assert client.me()["username"] == "brand_two"
    mid = _publish_image(client, ig, host, clock, "Hello sim")
    assert client.container_status(world.published_records()[0]["container_id"]).status_code \
        == "PUBLISHED"
    media = list(client.iter_media(ig, ("id", "caption", "timestamp"), limit=1))
    assert [m["id"] for m in media] == [mid] and media[0]["caption"] == "Hello sim"
    assert client.get_media(mid, ("id", "media_type"))["media_type"] == "IMAGE"
    q = client.publishing_limit(ig)
    assert q.usage == 1 and q.total == 50 and q.duration_s == 86400
    clock.advance(timedelta(hours=6))
    ins = client.media_insights(mid, ["reach", "likes", "saved", "impressions"])
    assert "reach" in ins and "impressions" not in ins  # deprecated metric dropped, not fatal
    assert all(isinstance(v, float) for v in ins.values())


def test_paging_follows_next_across_pages(world_client):
    world, client, ig, token, host, clock = world_client
    ids = []
    for i in range(5):
        ids.append(_publish_image(client, ig, host, clock, f"post {i}"))
        clock.advance(60)
    got = [m["id"] for m in client.iter_media(ig, ("id",), limit=2)]
    assert got == list(reversed(ids))


def test_expired_token_is_auth_and_redacted(world_client, caplog):
    caplog.set_level(logging.DEBUG)
    world, client, ig, token, host, clock = world_client
    world.expire_token(token)
    with pytest.raises(GraphAPIError) as ei:
        client.me()
    assert ei.value.code == 190 and classify(ei.value) is ErrorClass.AUTH
    assert token not in str(ei.value) and token not in caplog.text


def test_refresh_needs_a_day_then_adopts_new_token(world_client):
    world, client, ig, token, host, clock = world_client
    with pytest.raises(GraphAPIError) as ei:
        client.refresh_token()
    assert classify(ei.value) is ErrorClass.PERMANENT
    clock.advance(timedelta(hours=25))
    new, expires_in = client.refresh_token()
    assert new != token and expires_in == 5184000
    assert client.me()["username"] == "brand_two"  # works with the adopted token


def test_discovery_and_comments(world_client):
    world, client, ig, token, host, clock = world_client
    hid = client.hashtag_id(ig, "coffee")
    assert hid.isdigit()
    top = client.hashtag_media(hid, ig, edge="top_media", limit=5)
    assert isinstance(top, list) and len(top) <= 5
    bd = client.business_discovery(ig, "rival_shop", ["username", "followers_count"])
    assert bd.get("username") == "rival_shop" and bd["followers_count"] >= 0
    mid = _publish_image(client, ig, host, clock, "comment me")
    assert client.post_comment(mid, "First!").isdigit()
    hours = client.online_followers(ig, clock.now() - timedelta(days=7), clock.now())
    assert hours and set(hours) <= set(range(24)) and all(v >= 0 for v in hours.values())
    world.config.online_followers_mode = "empty"
    assert client.online_followers(ig, clock.now() - timedelta(days=7), clock.now()) == {}
