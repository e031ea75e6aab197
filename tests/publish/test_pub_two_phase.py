"""Two-phase publishing against the loopback simulator: containers made ahead of the slot,
never published before it, one call at the slot; the lane runner; and what a post carries
besides caption and media (alt text, user tags, location, collaborators, first comment)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from contentloop.domain import Account, Format, Post, PostState, SimulatedClock, Variant
from contentloop.domain.models import Asset
from contentloop.instagram import GraphClient
from contentloop.orchestrator.publishing import PublishStage, make_job, split_hashtags
from contentloop.publish import MediaHost, Publisher
from contentloop.sim import SimConfig, SimWorld, serve_in_thread
from contentloop.store import Store
from contentloop.store.publish_repo import (
    PublishOptions,
    get_publish_options,
    keep_prepared,
    lateness,
    set_publish_options,
)

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEAD = timedelta(minutes=15)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("media2")
    for name in ("a.jpg", "s1.jpg", "s2.jpg"):
        Image.new("RGB", (1080, 1350), "#3b6ea5").save(d / name, "JPEG", quality=80)
    with MediaHost(d) as host:
        yield d, host


class Rig:
    def __init__(self, tmp_path, media, *, lead=LEAD, first_comment_tags=False):
        self.d, self.host = media
        self.clock = SimulatedClock(T - timedelta(minutes=30))
        self.world = SimWorld(self.clock, SimConfig(seed=4, quota_total=25))
        self.base, self._stop = serve_in_thread(self.world)
        self.store = Store(f"sqlite:///{tmp_path / 'two.db'}", self.clock)
        self.clients: dict[str, GraphClient] = {}
        pubs: dict[str, Publisher] = {}
        for h in ("alpha", "beta"):
            ig, tok = self.world.create_account(h)
            self.store.ensure_account(Account(handle=h))
            self.store.set_ig_user_id(h, ig)
            self.clients[h] = GraphClient(self.base, tok, clock=self.clock, timeout=10,
                                          backoff_base_s=0.1)
            pubs[h] = Publisher(self.clients[h], self.clock, self.store, rng=random.Random(2))
        self.stage = PublishStage(
            store=self.store, clock=self.clock, publisher_for=pubs.__getitem__,
            job_for=lambda p: make_job(self.store, p, self.host.url_for, lead,
                                       hashtags_in_first_comment=first_comment_tags),
            worker="w2", publish_lead=lead, concurrency=2, grace=timedelta(hours=2))

    def add(self, pid, account, at, fmt=Format.IMAGE, caption=None, hashtags=(), slides=()):
        self.store.add_post(Post(id=pid, account=account, local_date=at.date().isoformat(),
                                 scheduled_at=at, state=PostState.SCHEDULED, format=fmt))
        self.store.save_variants([Variant(
            id=pid + "-v", post_id=pid, account=account, format=fmt, hook=f"hook of {pid}",
            hook_style="plain", caption=caption or f"caption of {pid}", hashtags=list(hashtags),
            slides=list(slides), chosen=True)])
        files = ["s1.jpg", "s2.jpg"] if fmt is Format.CAROUSEL else ["a.jpg"]
        role = "slide" if fmt is Format.CAROUSEL else "main"
        self.store.save_assets(pid, [Asset(f"{i}" * 64, str(self.d / f), "image/jpeg",
                                           1080, 1350, role=role)
                                     for i, f in enumerate(files)])
        self.store.update_post(pid, variant_id=pid + "-v")

    def close(self):
        for c in self.clients.values():
            c.close()
        self._stop()
        self.store.close()


@pytest.fixture
def rig(tmp_path, media):
    r = Rig(tmp_path, media)
    yield r
    r.close()


def test_container_is_prepared_ahead_and_only_published_at_the_slot(rig):
    rig.add("p1", "alpha", T)
    rig.clock.set(T - LEAD - timedelta(minutes=1))
    rig.stage.publish_due()
    assert rig.store.get_post("p1").container_id is None  # not within the lead yet
    rig.clock.set(T - LEAD + timedelta(seconds=5))
    assert rig.stage.publish_due() == 0
    post = rig.store.get_post("p1")
    assert post.state is PostState.SCHEDULED and post.container_id
    assert rig.world.containers[post.container_id].params["caption"] == "caption of p1"
    assert rig.world.published_records() == []
    assert rig.stage.next_due() == T  # prepared: the next wake-up is the slot itself
    rig.clock.set(T - timedelta(seconds=1))
    assert rig.stage.publish_due() == 0
    assert rig.world.published_records() == []  # never before its slot
    # A status check at the slot would meet this fault; phase one made it unnecessary.
    rig.world.faults.push("container_status", "500", 4)
    rig.clock.set(T)
    assert rig.stage.publish_due() == 1
    recs = rig.world.published_records()
    assert [r["container_id"] for r in recs] == [post.container_id]
    assert rig.world.faults.pending() == [("container_status", "500", 4)]
    done = rig.store.get_post("p1")
    assert done.state is PostState.PUBLISHED and done.media_id == recs[0]["media_id"]
    assert lateness(rig.store)[0].lateness_s == 0.0


def test_prepared_container_is_never_journalled_over_a_claimed_post(rig):
    rig.add("p2", "alpha", T)
    rig.clock.set(T)
    [claimed] = rig.store.claim_due(T, worker="other")
    assert claimed.state is PostState.PUBLISHING
    assert keep_prepared(rig.store, "p2", "17889000000000001") is False
    assert rig.store.get_post("p2").container_id is None
    rig.store.update_post("p2", container_id="c-mine")
    assert keep_prepared(rig.store, "p2", "17889000000000002") is False
    assert rig.store.get_post("p2").container_id == "c-mine"


def test_expired_prepared_container_is_made_again_and_published_once(rig):
    rig.add("p3", "beta", T)
    rig.clock.set(T - LEAD)
    rig.stage.publish_due()
    old = rig.store.get_post("p3").container_id
    assert old
    rig.store.set_paused("beta", True, "token problem")
    rig.clock.set(T + timedelta(hours=1))
    rig.stage.publish_due()  # paused: back to scheduled, queue intact
    rig.store.set_paused("beta", False)
    rig.clock.set(T + timedelta(hours=25))  # the container lives 24 h
    rig.stage.grace = timedelta(days=2)
    rig.stage.publish_due()
    post = rig.store.get_post("p3")
    assert post.state is PostState.PUBLISHED, post.last_error
    recs = rig.world.published_records()
    assert len(recs) == 1 and recs[0]["container_id"] != old
    assert rig.world.containers[old].published_media_id is None


def test_lane_runner_publishes_every_account_in_order_never_early(rig):
    slots = {"a1": ("alpha", T), "a2": ("alpha", T + timedelta(seconds=40)),
             "b1": ("beta", T + timedelta(seconds=10)), "b2": ("beta", T + timedelta(minutes=3))}
    for pid, (acc, at) in slots.items():
        rig.add(pid, acc, at)
    rig.clock.set(T - LEAD - timedelta(minutes=2))
    rig.world.faults.push("media_publish", "500")  # answered: checked, retried at once

    def done() -> bool:
        return len(rig.world.published_records()) >= 4

    rig.stage.run(stop=done, poll_s=5.0)
    recs = {r["caption"]: datetime.fromisoformat(r["timestamp"])
            for r in rig.world.published_records()}
    assert len(rig.world.published_records()) == 4
    for pid, (_, at) in slots.items():
        live = recs[f"caption of {pid}"]
        assert at <= live <= at + timedelta(seconds=10), (pid, live - at)
    assert recs["caption of a1"] < recs["caption of a2"]
    assert all(rig.store.get_post(p).state is PostState.PUBLISHED for p in slots)


def test_publish_options_reach_the_api_per_media_type(rig):
    rig.add("img", "alpha", T)
    rig.add("car", "alpha", T + timedelta(minutes=1), fmt=Format.CAROUSEL,
            slides=("first slide text", "second"))
    rig.add("sto", "beta", T, fmt=Format.STORY)
    tags = ({"username": "friend_one", "x": 0.25, "y": 0.5},)
    opts = PublishOptions(alt_text="A latte on a wooden table", user_tags=tags,
                          location_id="110843418940484", collaborators=("collab_a",),
                          first_comment="More tips in our bio")
    for pid in ("img", "car", "sto"):
        set_publish_options(rig.store, pid, opts)
    assert get_publish_options(rig.store, "img") == opts
    with pytest.raises(ValueError):
        PublishOptions(collaborators=("a", "b", "c", "d"))
    rig.clock.set(T + timedelta(minutes=1))
    rig.stage.publish_due()
    assert {p.state for p in rig.store.posts()} == {PostState.PUBLISHED}, [
        p.last_error for p in rig.store.posts()]
    by_type: dict[str, list] = {}
    for c in rig.world.containers.values():
        by_type.setdefault("child" if c.is_carousel_item else c.media_type, []).append(c.params)
    [img] = by_type["IMAGE"]
    assert img["alt_text"] == "A latte on a wooden table"
    assert json.loads(img["user_tags"]) == [dict(tags[0])]
    assert img["location_id"] == "110843418940484"
    assert json.loads(img["collaborators"]) == ["collab_a"]
    [parent] = by_type["CAROUSEL"]
    assert parent["location_id"] == "110843418940484" and "alt_text" not in parent
    kids = by_type["child"]
    assert [k.get("alt_text") for k in kids] == ["A latte on a wooden table"] * 2
    assert [("user_tags" in k) for k in kids] == [True, False]  # tags on the first slide
    [story] = by_type["STORIES"]
    assert "location_id" not in story and "collaborators" not in story
    assert json.loads(story["user_tags"])[0]["username"] == "friend_one"
    comments = [c.text for c in rig.world.comments.values()]
    assert comments.count("More tips in our bio") == 3


def test_alt_text_defaults_to_the_text_on_the_image(rig):
    rig.add("car2", "alpha", T, fmt=Format.CAROUSEL, slides=("Grind finer", "Then wait"))
    job = make_job(rig.store, rig.store.get_post("car2"), rig.host.url_for)
    assert job.alt_text == "Image with the text: hook of car2"
    assert list(job.slide_alt_texts) == ["Image with the text: Grind finer",
                                         "Image with the text: Then wait"]


def test_hashtags_go_to_the_first_comment_when_configured(tmp_path, media):
    r = Rig(tmp_path, media, first_comment_tags=True)
    try:
        r.add("h1", "alpha", T, caption="Fresh beans matter #Coffee here\n\n#coffee #brew",
              hashtags=("#coffee", "brew"))
        r.clock.set(T)
        r.stage.publish_due()
        [rec] = r.world.published_records()
        assert "#" not in rec["caption"] and rec["caption"].startswith("Fresh beans matter")
        [comment] = [c.text for c in r.world.comments.values()]
        assert comment == "#coffee #brew"
    finally:
        r.close()


def test_split_hashtags_keeps_other_tags():
    cap, comment = split_hashtags("Try it #today\n\n#coffee #latte", ["coffee", "#latte"])
    assert cap == "Try it #today" and comment == "#coffee #latte"


def test_reconcile_finds_a_post_live_with_its_hashtags_in_the_comment(rig):
    from contentloop.orchestrator.publish_worker import reconcile

    rig.add("r1", "alpha", T, caption="Slow pour wins\n\n#coffee #brew",
            hashtags=("coffee", "brew"))
    c = rig.clients["alpha"]
    ig = rig.store.ig_user_id("alpha")
    cid = c.create_image_container(ig, rig.host.url_for("a.jpg"), "Slow pour wins")
    media_id = c.publish(ig, cid)  # live (e.g. the worker died before its commit)
    found = reconcile(rig.store, rig.clients.__getitem__, repair=True)
    assert [(d.post_id, d.kind, d.repaired) for d in found] == [
        ("r1", "live_but_not_published", True)]
    post = rig.store.get_post("r1")
    assert post.state is PostState.PUBLISHED and post.media_id == media_id
