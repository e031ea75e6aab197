"""Container creation, polling, publishing, quota and fault injection over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx2
import pytest

from .conftest import Sim, error_of

IMG = "http://127.0.0.1:9/a.jpg"
VID = "http://127.0.0.1:9/v.mp4"


def _err(r: httpx2.Response) -> tuple[int, int | None]:
    e = error_of(r)
    return e["code"], e.get("error_subcode")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"media_type": "GIF", "image_url": IMG}, (100, 2207023)),
        ({"image_url": IMG, "caption": "x" * 2201}, (36004, 2207010)),
        ({"image_url": IMG, "caption": " ".join(f"@u{i}" for i in range(21))}, (100, 2207040)),
        ({"image_url": IMG, "caption": " ".join(f"#t{i}" for i in range(31))}, (36004, 2207010)),
        ({"caption": "no url"}, (100, None)),
        ({"media_type": "REELS"}, (100, None)),
        ({"media_type": "CAROUSEL", "children": "1,2,3,4,5,6,7,8,9,10,11"}, (100, 2207028)),
        ({"media_type": "CAROUSEL", "children": "1"}, (100, 2207028)),
        ({"image_url": IMG, "is_carousel_item": "true", "is_ai_generated": "true"}, (100, None)),
        ({"image_url": IMG, "trial_params": '{"graduation_strategy":"MANUAL"}'}, (100, None)),
        ({"media_type": "REELS", "video_url": VID, "alt_text": "a"}, (100, None)),
        ({"media_type": "STORIES", "image_url": IMG, "video_url": VID}, (100, None)),
    ],
)
def test_synchronous_container_errors(sim: Sim, params: dict, expected: tuple) -> None:
    r = sim.post(f"/{sim.ig}/media", **params)
    assert r.status_code == 400
    assert _err(r) == expected


def test_hashtag_cap_is_configurable(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(hashtag_cap=5)
    caption = "tags " + " ".join(f"#t{i}" for i in range(6))
    assert _err(s.post(f"/{s.ig}/media", image_url=IMG, caption=caption)) == (36004, 2207010)
    ok = s.post(f"/{s.ig}/media", image_url=IMG, caption="ok #a #b #c #d #e")
    assert ok.status_code == 200


def test_carousel_children_must_be_items_and_finished(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(container_finish_polls_video=2)
    plain = s.container(image_url=IMG)
    item = s.container(image_url=IMG, is_carousel_item="true")
    r = s.post(f"/{s.ig}/media", media_type="CAROUSEL", children=f"{plain},{item}")
    assert _err(r)[0] == 100
    video_item = s.container(media_type="VIDEO", video_url=VID, is_carousel_item="true")
    r = s.post(f"/{s.ig}/media", media_type="CAROUSEL", children=f'["{item}","{video_item}"]')
    assert _err(r) == (9007, 2207027)
    assert s.finish(video_item) == "FINISHED"
    parent = s.container(media_type="CAROUSEL", children=f'["{item}","{video_item}"]',
                         caption="mixed")
    mid = s.publish(parent).json()["id"]
    got = s.get(f"/{mid}", fields="media_type,children{media_type}").json()
    assert [c["media_type"] for c in got["children"]["data"]] == ["IMAGE", "VIDEO"]
    # a carousel counts as one post
    usage = s.get(f"/{s.ig}/content_publishing_limit").json()["data"][0]["quota_usage"]
    assert usage == 1


def test_video_polls_in_progress_then_finished(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(container_finish_polls_video=2)
    cid = s.container(media_type="REELS", video_url=VID, caption="reel", share_to_feed="true")
    first = s.get(f"/{cid}", fields="status_code,status").json()
    assert first["status_code"] == "IN_PROGRESS"
    assert first["status"].startswith("In Progress")
    r = s.publish(cid)
    assert r.status_code == 400
    e = error_of(r)
    assert (e["code"], e["error_subcode"], e["message"]) == (9007, 2207027,
                                                             "Media ID is not available")
    assert s.get(f"/{cid}", fields="status_code").json()["status_code"] == "IN_PROGRESS"
    assert s.get(f"/{cid}", fields="status_code").json()["status_code"] == "FINISHED"
    mid = s.publish(cid).json()["id"]
    media = s.get(f"/{mid}", fields="media_type,media_product_type,permalink").json()
    assert (media["media_type"], media["media_product_type"]) == ("VIDEO", "REELS")
    assert "/reel/" in media["permalink"]
    assert s.get(f"/{cid}", fields="status_code").json()["status_code"] == "PUBLISHED"


def test_time_based_finish(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(container_finish_polls_video=100, container_finish_after_s=30)
    cid = s.container(media_type="REELS", video_url=VID)
    assert s.get(f"/{cid}", fields="status_code").json()["status_code"] == "IN_PROGRESS"
    s.clock.advance(31)
    assert s.get(f"/{cid}", fields="status_code").json()["status_code"] == "FINISHED"


def test_standalone_video_cannot_be_published(sim: Sim) -> None:
    cid = sim.container(media_type="VIDEO", video_url=VID)
    sim.finish(cid)
    r = sim.publish(cid)
    e = error_of(r)
    assert (e["code"], e["error_subcode"]) == (100, 2207089)
    assert "REELS" in e["error_user_msg"]


def test_publish_errors_for_unknown_foreign_published_and_expired(sim: Sim) -> None:
    assert _err(sim.publish("17889123456789012")) == (24, 2207008)
    assert _err(sim.post(f"/{sim.ig}/media_publish")) == (100, None)
    other_ig, other_token = sim.world.create_account("other")
    foreign = sim.client.post(f"/{other_ig}/media", params={
        "image_url": IMG, "access_token": other_token}).json()["id"]
    r = sim.publish(foreign)
    e = error_of(r)
    assert (e["code"], e["error_subcode"], e["type"]) == (100, 33, "GraphMethodException")
    cid = sim.container(image_url=IMG)
    assert sim.publish(cid).status_code == 200
    assert _err(sim.publish(cid))[0] == 100  # already published
    old = sim.container(image_url=IMG)
    sim.clock.advance(timedelta(hours=24, seconds=1))
    assert sim.get(f"/{old}", fields="status_code").json()["status_code"] == "EXPIRED"
    assert _err(sim.publish(old)) == (-2, 2207020)


def test_quota_rolling_window(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(quota_total=3)
    for _ in range(3):
        assert s.publish(s.container(image_url=IMG)).status_code == 200
        s.clock.advance(timedelta(hours=1))
    limit = s.get(f"/{s.ig}/content_publishing_limit", fields="quota_usage,config").json()
    assert limit["data"][0]["quota_usage"] == 3
    assert limit["data"][0]["config"]["quota_total"] == 3
    blocked = s.container(image_url=IMG)
    e = error_of(s.publish(blocked))
    assert (e["code"], e["error_subcode"]) == (9, 2207042)
    # the first publish leaves the 86400 s window 21 h later
    s.clock.advance(timedelta(hours=21, seconds=1))
    assert s.get(f"/{s.ig}/content_publishing_limit").json()["data"][0]["quota_usage"] == 2
    assert s.publish(blocked).status_code == 200
    since = int((s.clock.now() - timedelta(hours=1)).timestamp())
    assert s.get(f"/{s.ig}/content_publishing_limit",
                 since=since).json()["data"][0]["quota_usage"] == 1
    too_old = int((s.clock.now() - timedelta(hours=25)).timestamp())
    assert _err(s.get(f"/{s.ig}/content_publishing_limit", since=too_old))[0] == 100


def test_container_limit_per_day(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(container_limit_per_day=3)
    for _ in range(3):
        s.container(image_url=IMG)
    r = s.post(f"/{s.ig}/media", image_url=IMG)
    assert r.status_code == 400 and error_of(r)["code"] == 4
    s.clock.advance(timedelta(hours=24, seconds=1))
    assert s.post(f"/{s.ig}/media", image_url=IMG).status_code == 200


def test_drop_after_publish_commits_then_aborts(sim: Sim) -> None:
    cid = sim.container(image_url=IMG, caption="dropped")
    sim.world.faults.push("media_publish", "drop_after_publish")
    with pytest.raises(httpx2.TransportError):
        sim.publish(cid)
    status = sim.get(f"/{cid}", fields="status_code").json()["status_code"]
    assert status == "PUBLISHED"
    records = sim.world.published_records()
    assert [r["container_id"] for r in records] == [cid]
    assert records[0]["caption"] == "dropped"
    listed = sim.get(f"/{sim.ig}/media").json()["data"]
    assert [m["id"] for m in listed] == [records[0]["media_id"]]


def test_fault_queue_kinds(sim: Sim) -> None:
    cid = sim.container(image_url=IMG)
    sim.world.faults.push("media_publish", "9007", times=2)
    assert _err(sim.publish(cid)) == (9007, 2207027)
    assert _err(sim.publish(cid)) == (9007, 2207027)
    sim.world.faults.push("media_publish", "spam")
    assert _err(sim.publish(cid)) == (4, 2207051)
    sim.world.faults.push("media_publish", "500")
    r = sim.publish(cid)
    assert r.status_code == 500 and error_of(r)["is_transient"] is True
    assert sim.world.published_records() == []
    assert sim.publish(cid).status_code == 200
    assert sim.world.faults.pending() == []


def test_url_pattern_fault_gives_error_status(sim: Sim) -> None:
    sim.world.faults.fail_container("*broken*", subcode=2207076)
    cid = sim.container(media_type="REELS", video_url="http://127.0.0.1:9/broken.mp4")
    st = sim.get(f"/{cid}", fields="status_code,status").json()
    assert st["status_code"] == "ERROR"
    assert "2207076" in st["status"]
    assert _err(sim.publish(cid)) == (24, 2207008)


def test_stories_publish_and_list(sim: Sim) -> None:
    cid = sim.container(media_type="STORIES", image_url=IMG)
    mid = sim.publish(cid).json()["id"]
    got = sim.get(f"/{mid}", fields="media_type,media_product_type").json()
    assert (got["media_type"], got["media_product_type"]) == ("IMAGE", "STORY")
    assert [m["id"] for m in sim.get(f"/{sim.ig}/stories").json()["data"]] == [mid]
    assert sim.get(f"/{sim.ig}/media").json()["data"] == []
    sim.clock.advance(timedelta(hours=25))
    assert sim.get(f"/{sim.ig}/stories").json()["data"] == []


def test_resumable_upload(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(container_finish_polls_video=0)
    r = s.post(f"/{s.ig}/media", media_type="REELS", upload_type="resumable")
    body = r.json()
    assert body["uri"].endswith(body["id"])
    assert s.get(f"/{body['id']}", fields="status_code").json()["status_code"] == "IN_PROGRESS"
    bad = s.client.post(f"/ig-api-upload/v25.0/{body['id']}", content=b"x")
    assert bad.json()["debug_info"]["type"] == "ProcessingFailedError"
    ok = s.client.post(f"/ig-api-upload/v25.0/{body['id']}", content=b"\x00" * 10,
                       headers={"Authorization": f"OAuth {s.token}", "offset": "0",
                                "file_size": "10"})
    assert ok.json() == {"success": True, "message": "Upload successful."}
    assert s.get(f"/{body['id']}", fields="status_code").json()["status_code"] == "FINISHED"
