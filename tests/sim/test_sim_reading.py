"""Media listing with cursor paging, field selection, hashtag search budget, comments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import httpx2

from contentloop.sim import TrendPulse

from .conftest import Sim, error_of

IMG = "http://127.0.0.1:9/a.jpg"


def _publish_n(s: Sim, n: int) -> list[str]:
    ids = []
    for i in range(n):
        ids.append(s.publish(s.container(image_url=IMG, caption=f"post {i}")).json()["id"])
        s.clock.advance(60)
    return ids


def test_paging_follows_next_links_to_own_base_url(sim: Sim) -> None:
    ids = _publish_n(sim, 5)
    first = sim.get(f"/v24.0/{sim.ig}/media", fields="id,caption", limit=2).json()
    seen = [m["id"] for m in first["data"]]
    nxt = first["paging"]["next"]
    assert nxt.startswith(sim.url + "/v24.0/")
    while nxt:
        page = httpx2.get(nxt, timeout=10).json()
        seen += [m["id"] for m in page["data"]]
        nxt = page["paging"].get("next")
    assert seen == list(reversed(ids))  # newest first, each once
    assert "previous" in page["paging"]
    prev = httpx2.get(page["paging"]["previous"], timeout=10).json()
    assert [m["id"] for m in prev["data"]] == seen[2:4]


def test_next_link_omits_token_sent_as_header(sim: Sim) -> None:
    _publish_n(sim, 3)
    r = sim.client.get(f"/{sim.ig}/media", params={"limit": 1},
                       headers={"Authorization": f"Bearer {sim.token}"})
    nxt = r.json()["paging"]["next"]
    assert "access_token" not in parse_qs(urlparse(nxt).query)
    assert sim.token not in nxt


def test_media_fields(sim: Sim) -> None:
    (mid,) = _publish_n(sim, 1)
    sim.clock.advance(timedelta(days=3))
    fields = ("id,caption,media_type,media_product_type,media_url,permalink,shortcode,"
              "timestamp,like_count,comments_count,username")
    got = sim.get(f"/{mid}", fields=fields).json()
    assert set(got) == set(fields.split(","))
    assert got["username"] == "creator"
    assert got["timestamp"].endswith("+0000")
    assert got["like_count"] > 0
    assert got["permalink"].endswith(f"/p/{got['shortcode']}/")
    only = sim.get(f"/{mid}", fields="caption").json()
    assert set(only) == {"caption", "id"}
    bad = sim.get(f"/{mid}", fields="nope")
    assert error_of(bad)["code"] == 100


def test_hashtag_search_budget(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(hashtag_weekly_unique=3)
    ids = [s.get("/ig_hashtag_search", user_id=s.ig, q=q).json()["data"][0]["id"]
           for q in ("coffee", "tea", "#Matcha")]
    assert len(set(ids)) == 3
    again = s.get("/ig_hashtag_search", user_id=s.ig, q="coffee").json()["data"][0]["id"]
    assert again == ids[0]  # static id; re-query is free
    r = s.get("/ig_hashtag_search", user_id=s.ig, q="juice")
    assert r.status_code == 400 and error_of(r)["code"] == 100
    recent = s.get(f"/{s.ig}/recently_searched_hashtags").json()["data"]
    assert {h["id"] for h in recent} == set(ids)
    s.clock.advance(timedelta(days=7, seconds=1))
    assert s.get("/ig_hashtag_search", user_id=s.ig, q="juice").status_code == 200


def test_hashtag_search_rejects_emoji_and_missing_user(sim: Sim) -> None:
    assert error_of(sim.get("/ig_hashtag_search", user_id=sim.ig, q="coffee☕"))["code"] == 100
    assert error_of(sim.get("/ig_hashtag_search", q="coffee"))["code"] == 100


def test_recent_media_window_paging_and_username(sim: Sim) -> None:
    hid = sim.get("/ig_hashtag_search", user_id=sim.ig, q="coffee").json()["data"][0]["id"]
    first = sim.get(f"/{hid}/recent_media", user_id=sim.ig, fields="id,timestamp,caption",
                    limit=200).json()
    assert len(first["data"]) <= 50
    assert set(first["paging"]["cursors"]) == {"after"}
    now = sim.clock.now()
    for m in first["data"]:
        assert "#coffee" in m["caption"]
        from datetime import datetime
        t = datetime.strptime(m["timestamp"], "%Y-%m-%dT%H:%M:%S%z")
        assert now - timedelta(hours=24) <= t <= now
    r = sim.get(f"/{hid}/recent_media", user_id=sim.ig, fields="id,username")
    assert error_of(r)["code"] == 100
    assert error_of(sim.get(f"/{hid}/recent_media", user_id=sim.ig, before="x"))["code"] == 100


def test_trending_tag_has_more_recent_media(sim: Sim) -> None:
    world = sim.world
    for tag in ("quietcalm", "hotnewthing"):
        world.hashtags.register(tag)
    base = len(world.hashtags.recent_media("hotnewthing", sim.clock.now()))
    world.hashtags.add_trend("hotnewthing", TrendPulse(sim.clock.now(), amplitude=8.0,
                                                       rise_days=1.0))
    sim.clock.advance(timedelta(days=2))
    hot = len(world.hashtags.recent_media("hotnewthing", sim.clock.now()))
    calm = len(world.hashtags.recent_media("quietcalm", sim.clock.now()))
    assert hot > 2 * max(base, calm, 1)


def test_comments_create_list_hide_delete(make_sim: Callable[..., Sim]) -> None:
    sim = make_sim(followers=200_000)
    (mid,) = _publish_n(sim, 1)
    sim.clock.advance(timedelta(days=2))
    own = sim.post(f"/{mid}/comments", message="first!").json()["id"]
    listed = sim.get(f"/{mid}/comments", fields="id,text,username,hidden", limit=50).json()
    ids = [c["id"] for c in listed["data"]]
    assert own in ids
    count = sim.get(f"/{mid}", fields="comments_count").json()["comments_count"]
    assert len(ids) == min(count, 51)  # audience comments (max 50) plus ours
    fan = next(c for c in listed["data"] if c["id"] != own)
    assert sim.post(f"/{fan['id']}", hide="true").json() == {"success": True}
    assert sim.get(f"/{fan['id']}", fields="hidden").json()["hidden"] is True
    assert error_of(sim.post(f"/{own}", hide="true"))["code"] == 100  # owner's own comment
    reply = sim.post(f"/{fan['id']}/replies", message="thanks").json()["id"]
    replies = sim.get(f"/{fan['id']}/replies", fields="id,text").json()["data"]
    assert [r["id"] for r in replies] == [reply]
    assert sim.client.delete(f"/{own}", params={"access_token": sim.token}).json() == {
        "success": True}
    assert own not in [c["id"] for c in sim.get(f"/{mid}/comments", limit=50).json()["data"]]
    assert sim.post(f"/{mid}", comment_enabled="false").json() == {"success": True}
    assert error_of(sim.post(f"/{mid}/comments", message="x"))["code"] == 100
