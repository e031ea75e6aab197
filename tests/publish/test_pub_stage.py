"""The publish stage against the loopback simulator and a real store: outcome -> state,
lateness, grace window, per-account ordering, DST, quota, auth pause, dead letters,
reconcile."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from contentloop.domain import Account, Format, Post, PostState, SimulatedClock, Variant
from contentloop.domain.models import Asset, PostingWindow
from contentloop.instagram import GraphClient
from contentloop.orchestrator.planner import plan_calendar
from contentloop.orchestrator.publish_worker import reconcile
from contentloop.orchestrator.publishing import PublishStage, make_job
from contentloop.publish import MediaHost, Publisher
from contentloop.sim import SimConfig, SimWorld, apply_fault_spec, serve_in_thread
from contentloop.store import Store
from contentloop.store.publish_repo import dead_letters, lateness, requeue

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    Image.new("RGB", (1080, 1350), "#f2c14e").save(d / "a.jpg", "JPEG", quality=80)
    with MediaHost(d) as host:
        yield d, host


@dataclass
class Rig:
    clock: SimulatedClock
    world: SimWorld
    store: Store
    stage: PublishStage
    clients: dict[str, GraphClient]
    media: object

    def add(self, pid: str, account: str, at: datetime, caption: str | None = None) -> Post:
        d, _ = self.media
        self.store.add_post(Post(id=pid, account=account, local_date=at.date().isoformat(),
                                 scheduled_at=at, state=PostState.SCHEDULED,
                                 format=Format.IMAGE))
        v = Variant(id=pid + "-v", post_id=pid, account=account, format=Format.IMAGE,
                    hook="h", hook_style="plain", caption=caption or f"caption of {pid}",
                    hashtags=[], chosen=True)
        self.store.save_variants([v])
        self.store.save_assets(pid, [Asset("0" * 64, str(d / "a.jpg"), "image/jpeg",
                                           1080, 1350)])
        self.store.update_post(pid, variant_id=v.id)
        return self.store.get_post(pid)


@pytest.fixture
def rig(tmp_path, media):
    yield from _rig(f"sqlite:///{tmp_path / 'rig.db'}", media)


@pytest.fixture
def any_db_rig(db_url, media):
    """SQLite and PostgreSQL (the core path only, to keep the file fast)."""
    yield from _rig(db_url, media)


def _rig(db_url, media):
    clock = SimulatedClock(START)
    world = SimWorld(clock, SimConfig(seed=3, quota_total=3))
    base, stop = serve_in_thread(world)
    store = Store(db_url, clock)
    clients: dict[str, GraphClient] = {}
    pubs: dict[str, Publisher] = {}
    for h in ("alpha", "beta"):
        ig, tok = world.create_account(h)
        store.ensure_account(Account(handle=h))
        store.set_ig_user_id(h, ig)
        clients[h] = GraphClient(base, tok, clock=clock, timeout=10, backoff_base_s=0.1)
        pubs[h] = Publisher(clients[h], clock, store, rng=random.Random(1))
    _, host = media
    stage = PublishStage(store=store, clock=clock, publisher_for=pubs.__getitem__,
                         job_for=lambda p: make_job(store, p, host.url_for), worker="w1",
                         grace=timedelta(hours=2), concurrency=2)
    yield Rig(clock, world, store, stage, clients, media)
    for c in clients.values():
        c.close()
    stop()
    store.close()


def test_due_posts_publish_once_with_lateness(any_db_rig):
    rig = any_db_rig
    rig.add("p1", "alpha", START + timedelta(minutes=10))
    rig.add("p2", "beta", START + timedelta(minutes=10))
    assert rig.stage.publish_due() == 0  # not due yet
    rig.clock.advance(timedelta(minutes=10, seconds=7))
    assert rig.stage.publish_due() == 2
    posts = {p.id: p for p in rig.store.posts()}
    assert {p.state for p in posts.values()} == {PostState.PUBLISHED}
    assert len(rig.world.published_records()) == 2
    late = {row.post_id: row.lateness_s for row in lateness(rig.store)}
    assert late == {"p1": pytest.approx(7, abs=1), "p2": pytest.approx(7, abs=1)}
    rig.clock.advance(60)
    assert rig.stage.publish_due() == 0 and len(rig.world.published_records()) == 2


def test_grace_window_skips_old_posts_and_publishes_recent_ones(rig):
    rig.add("old", "alpha", START)
    rig.add("recent", "beta", START + timedelta(hours=2, minutes=30))
    rig.clock.advance(timedelta(hours=3))  # the worker was down for 3 h
    rig.stage.publish_due()
    old, recent = rig.store.get_post("old"), rig.store.get_post("recent")
    assert old.state is PostState.FAILED and "grace window" in old.last_error
    assert recent.state is PostState.PUBLISHED
    rows = {r.post_id: r for r in lateness(rig.store)}
    assert rows["old"].outcome == "skipped" and rows["recent"].outcome == "published"
    assert rows["recent"].lateness_s == pytest.approx(1800, abs=2)
    assert [p.id for p in dead_letters(rig.store)] == ["old"]
    requeue(rig.store, "old", actor="test", at=None)  # an operator retries it
    assert rig.store.get_post("old").state is PostState.SCHEDULED


def test_quota_reschedules_and_holds_later_posts_in_order(rig):
    for i in range(5):
        rig.add(f"q{i}", "alpha", START + timedelta(minutes=i))
    rig.clock.advance(timedelta(minutes=10))
    rig.stage.publish_due()
    states = [rig.store.get_post(f"q{i}").state for i in range(5)]
    assert states[:3] == [PostState.PUBLISHED] * 3  # quota_total=3
    assert states[3:] == [PostState.RETRY_WAIT] * 2
    q3, q4 = rig.store.get_post("q3"), rig.store.get_post("q4")
    # waits until the oldest publish leaves the 24 h window, not a failure
    assert q3.next_attempt_at >= START + timedelta(hours=24, minutes=10)
    assert q4.next_attempt_at == q3.next_attempt_at
    times = [r["timestamp"] for r in rig.world.published_records()]
    assert times == sorted(times)
    rig.clock.set(q3.next_attempt_at + timedelta(seconds=1))
    rig.stage.publish_due()
    assert rig.store.get_post("q3").state is PostState.PUBLISHED
    caps = [r["caption"] for r in rig.world.published_records()]
    assert caps.index("caption of q3") < caps.index("caption of q4")


def test_auth_error_pauses_the_account_and_keeps_its_queue(rig):
    rig.stage.concurrency = 1  # alpha first, so alpha's call meets the one-shot fault
    apply_fault_spec(rig.world, "media:190")
    rig.add("a1", "alpha", START)
    rig.add("a2", "alpha", START + timedelta(seconds=30))
    rig.add("b1", "beta", START)
    rig.clock.advance(60)
    rig.stage.publish_due()
    assert rig.store.is_paused("alpha")[0]
    assert rig.store.get_post("a1").state is PostState.SCHEDULED
    assert rig.store.get_post("a2").state is PostState.SCHEDULED
    assert "token" in rig.store.get_post("a1").last_error.lower()
    assert rig.store.get_post("b1").state is PostState.PUBLISHED
    rig.clock.advance(60)
    rig.stage.publish_due()  # still paused: nothing goes out
    assert len(rig.world.published_records()) == 1
    rig.store.set_paused("alpha", False)  # a new token arrived
    rig.stage.publish_due()
    assert rig.store.get_post("a1").state is PostState.PUBLISHED
    assert rig.store.get_post("a2").state is PostState.PUBLISHED


@pytest.mark.parametrize("spec,cls", [
    ("media_publish:500x3", "transient"), ("media_publish:80002=2", "throttled"),
    ("media_publish:613=2", "throttled"), ("media_publish:9007x9", "not_ready"),
])
def test_retryable_errors_wait_then_publish_once(rig, spec, cls):
    apply_fault_spec(rig.world, spec)
    rig.add("r1", "alpha", START)
    rig.clock.advance(1)
    rig.stage.publish_due()
    post = rig.store.get_post("r1")
    assert post.state is PostState.RETRY_WAIT, post.last_error
    assert rig.store.attempts("r1")[-1].error_class == cls
    if cls == "throttled":  # honours estimated_time_to_regain_access (2 min)
        assert post.next_attempt_at >= rig.clock.now() + timedelta(minutes=1, seconds=59)
    rig.world.faults.clear()
    rig.clock.set(post.next_attempt_at)
    rig.stage.publish_due()
    assert rig.store.get_post("r1").state is PostState.PUBLISHED
    assert len(rig.world.published_records()) == 1


def test_permanent_error_is_dead_lettered_with_explanation(rig):
    apply_fault_spec(rig.world, "media:error=2207026,media:error=2207026")
    rig.add("bad", "alpha", START)
    rig.clock.advance(1)
    rig.stage.publish_due()
    post = rig.store.get_post("bad")
    assert post.state is PostState.FAILED
    assert "2207026" in post.last_error and "MP4" in post.last_error
    assert rig.world.published_records() == []


def test_dropped_publish_answer_is_recovered_not_reposted(rig):
    apply_fault_spec(rig.world, "media_publish:drop")
    rig.add("d1", "alpha", START)
    rig.clock.advance(1)
    rig.stage.publish_due()
    post = rig.store.get_post("d1")
    assert post.state is PostState.PUBLISHED
    recs = rig.world.published_records()
    assert len(recs) == 1 and post.media_id == recs[0]["media_id"]


def test_reconcile_finds_and_repairs_live_but_failed(rig):
    rig.add("x1", "alpha", START)
    rig.clock.advance(1)
    rig.stage.publish_due()
    # the store is told otherwise (e.g. an old bug); and one published post vanished
    rig.add("x2", "beta", START)
    live = rig.store.get_post("x1")
    with rig.store.session() as s:
        from contentloop.store.tables import PostRow
        s.get(PostRow, "x1").state = "failed"
        s.get(PostRow, "x2").state = "published"
        s.get(PostRow, "x2").media_id = "179000000000000"
    found = reconcile(rig.store, rig.clients.__getitem__, repair=False)
    kinds = {(d.post_id, d.kind) for d in found}
    assert kinds == {("x1", "live_but_not_published"), ("x2", "published_but_absent")}
    assert rig.store.get_post("x1").state is PostState.FAILED
    reconcile(rig.store, rig.clients.__getitem__, repair=True)
    fixed = rig.store.get_post("x1")
    assert fixed.state is PostState.PUBLISHED and fixed.media_id == live.media_id


def test_dst_slots_publish_at_local_wall_time(media, tmp_path):
    """Across the US spring-forward (2026-03-08), 09:00 local stays 09:00 local."""
    tz = ZoneInfo("America/New_York")
    acc = Account(handle="nyc", timezone="America/New_York",
                  posting_windows=(PostingWindow("09:00", "09:00"),))
    clock = SimulatedClock(datetime(2026, 3, 6, 0, 0, tzinfo=UTC))
    world = SimWorld(clock, SimConfig(seed=2))
    base, stop = serve_in_thread(world)
    store = Store(f"sqlite:///{tmp_path / 'dst.db'}", clock)
    ig, tok = world.create_account("nyc")
    store.ensure_account(acc)
    store.set_ig_user_id("nyc", ig)
    client = GraphClient(base, tok, clock=clock, timeout=10)
    d, host = media
    stage = PublishStage(store=store, clock=clock,
                         publisher_for=lambda h: Publisher(client, clock, store),
                         job_for=lambda p: make_job(store, p, host.url_for))
    try:
        slots = [p for p in plan_calendar(acc, datetime(2026, 3, 6).date(), 4)]
        for i, s in enumerate(slots):
            r = Rig(clock, world, store, stage, {}, media)
            r.add(s.id, "nyc", s.scheduled_at, caption=f"dst {i}")
        utc_hours = []
        for s in slots:
            clock.set(s.scheduled_at)
            assert stage.publish_due() == 1
            utc_hours.append(s.scheduled_at.hour)
        local = [datetime.fromisoformat(r["timestamp"]).astimezone(tz)
                 for r in world.published_records()]
        assert [t.hour for t in local] == [9, 9, 9, 9]
        assert [t.day for t in local] == [6, 7, 8, 9]
        assert utc_hours == [14, 14, 13, 13]  # EST (UTC-5) then EDT (UTC-4)
        assert all(r.lateness_s == 0 for r in lateness(store))
    finally:
        client.close()
        stop()
        store.close()
