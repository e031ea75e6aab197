"""The simulator downloads media from loopback hosting and judges it like Instagram."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .conftest import Sim, error_of


@pytest.fixture
def vsim(make_sim: Callable[..., Sim]) -> Sim:
    return make_sim(validate_media=True, container_finish_polls_video=0)


def test_good_jpeg_accepted(vsim: Sim, media_host: Callable[[str], str]) -> None:
    for name in ("square.jpg", "portrait.jpg"):
        cid = vsim.container(image_url=media_host(name))
        assert vsim.finish(cid) == "FINISHED"


@pytest.mark.parametrize(
    ("name", "code", "subcode", "needle"),
    [
        ("bad.png", 36001, 2207005, "PNG"),
        ("big.jpg", 36000, 2207004, "8 MiB"),
        ("wide.jpg", 36003, 2207009, "('4')"),
        ("story.jpg", 36003, 2207009, "('0.5625')"),
        ("missing.jpg", 9004, 2207052, "missing.jpg"),
    ],
)
def test_bad_images_rejected(vsim: Sim, media_host: Callable[[str], str], name: str,
                             code: int, subcode: int, needle: str) -> None:
    r = vsim.post(f"/{vsim.ig}/media", image_url=media_host(name))
    assert r.status_code == 400
    e = error_of(r)
    assert (e["code"], e["error_subcode"]) == (code, subcode)
    assert needle in e["error_user_msg"]


def test_unreachable_host_is_fetch_failure(vsim: Sim) -> None:
    r = vsim.post(f"/{vsim.ig}/media", image_url="http://127.0.0.1:9/nothing.jpg")
    assert (error_of(r)["code"], error_of(r)["error_subcode"]) == (9004, 2207052)


def test_story_and_cover_allow_nine_sixteen(vsim: Sim, media_host: Callable[[str], str]) -> None:
    cid = vsim.container(media_type="STORIES", image_url=media_host("story.jpg"))
    assert vsim.finish(cid) == "FINISHED"
    reel = vsim.container(media_type="REELS", video_url=media_host("good.mp4"),
                          cover_url=media_host("story.jpg"))
    assert vsim.finish(reel) == "FINISHED"
    r = vsim.post(f"/{vsim.ig}/media", media_type="REELS", video_url=media_host("good.mp4"),
                  cover_url=media_host("bad.png"))
    assert error_of(r)["code"] == 36001


def test_good_reel_publishes(vsim: Sim, media_host: Callable[[str], str]) -> None:
    cid = vsim.container(media_type="REELS", video_url=media_host("good.mp4"), thumb_offset="1000")
    assert vsim.finish(cid) == "FINISHED"
    assert vsim.publish(cid).status_code == 200


@pytest.mark.parametrize("name", ["short.mp4", "slow.mp4"])
def test_bad_video_ends_in_error_status(vsim: Sim, media_host: Callable[[str], str],
                                        name: str) -> None:
    cid = vsim.container(media_type="REELS", video_url=media_host(name))
    st = vsim.get(f"/{cid}", fields="status_code,status").json()
    assert st["status_code"] == "ERROR"
    assert st["status"] == "Error: Media upload has failed with error code 2207026"


def test_image_served_as_video_is_error(vsim: Sim, media_host: Callable[[str], str]) -> None:
    cid = vsim.container(media_type="REELS", video_url=media_host("square.jpg"))
    assert vsim.get(f"/{cid}", fields="status_code").json()["status_code"] == "ERROR"


def test_thumb_offset_beyond_duration(vsim: Sim, media_host: Callable[[str], str]) -> None:
    r = vsim.post(f"/{vsim.ig}/media", media_type="REELS", video_url=media_host("good.mp4"),
                  thumb_offset="9000")
    e = error_of(r)
    assert (e["code"], e["error_subcode"]) == (1, 2207057)


def test_story_video_length_limit(vsim: Sim, media_host: Callable[[str], str]) -> None:
    cid = vsim.container(media_type="STORIES", video_url=media_host("good.mp4"))
    assert vsim.finish(cid) == "FINISHED"
    mid = vsim.publish(cid).json()["id"]
    assert vsim.get(f"/{mid}", fields="media_type").json()["media_type"] == "VIDEO"
