"""Exactly-once publishing against the loopback simulator, media served by MediaHost."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from contentloop.domain.clock import SimulatedClock
from contentloop.domain.models import Format, PublishAttempt
from contentloop.instagram import ErrorClass, GraphClient
from contentloop.publish import MediaHost, Publisher, PublishJob, PublishOutcome
from contentloop.sim import SimConfig, SimWorld, serve_in_thread


class Crash(Exception):
    """Stands for the worker process dying at a chosen point."""


@dataclass
class MemJournal:
    """The store's side of the protocol, checking the durability order as it goes."""

    world: SimWorld
    crash_after_container: bool = False
    crash_after_published: bool = False
    containers: dict[str, str] = field(default_factory=dict)
    published: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    attempts: list[PublishAttempt] = field(default_factory=list)

    def record_container(self, post_id: str, container_id: str) -> None:
        # durable before media_publish: the world must not have published it yet
        assert all(r["container_id"] != container_id for r in self.world.published_records())
        self.containers[post_id] = container_id
        if self.crash_after_container:
            raise Crash("died after recording the container")

    def record_published(self, post_id: str, media_id: str, at: datetime) -> None:
        self.published[post_id] = (media_id, at)
        if self.crash_after_published:
            raise Crash("died before committing published")

    def record_attempt(self, attempt: PublishAttempt) -> None:
        self.attempts.append(attempt)


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    for i, color in enumerate(["#1f2a44", "#f2c14e", "#f7f4ea"]):
        Image.new("RGB", (1080, 1350), color).save(d / f"slide{i}.jpg", "JPEG", quality=85)
    Image.new("RGB", (1080, 1920), "#1f2a44").save(d / "cover.jpg", "JPEG", quality=85)
    if shutil.which("ffmpeg"):
        subprocess.run(
            ["ffmpeg", "-y", "-loglevel", "error",
             "-f", "lavfi", "-i", "color=c=blue:s=1080x1920:r=30:d=4",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4",
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-ar", "48000", "-b:a", "128k", "-shortest",
             "-movflags", "+faststart", str(d / "reel.mp4")],
            check=True, timeout=60,
        )
    return d


@pytest.fixture(scope="module")
def host(media_dir):
    with MediaHost(media_dir) as h:
        yield h


@dataclass
class Env:
    clock: SimulatedClock
    world: SimWorld
    client: GraphClient
    ig: str
    token: str
    host: MediaHost

    def publisher(self, journal: MemJournal) -> Publisher:
        import random
        return Publisher(self.client, self.clock, journal, rng=random.Random(3))

    def image_job(self, post_id: str, caption: str, **kw) -> PublishJob:
        return PublishJob(post_id=post_id, ig_user_id=self.ig, format=Format.IMAGE,
                          caption=caption, image_url=self.host.url_for("slide0.jpg"), **kw)


def _make_env(host, **cfg) -> Env:
    clock = SimulatedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    world = SimWorld(clock, SimConfig(seed=1, **cfg))
    ig, token = world.create_account("brand_one")
    base_url, stop = serve_in_thread(world)
    client = GraphClient(base_url, token, clock=clock, timeout=10)
    env = Env(clock, world, client, ig, token, host)
    env._stop = stop  # type: ignore[attr-defined]
    return env


@pytest.fixture
def env(host):
    e = _make_env(host)
    yield e
    e.client.close()
    e._stop()  # type: ignore[attr-defined]


def _records(env: Env) -> list[dict]:
    return env.world.published_records()


def test_image_publishes_once_with_first_comment(env):
    j = MemJournal(env.world)
    res = env.publisher(j).publish(env.image_job("p1", "Morning tip #coffee",
                                                 first_comment="Saved for later?"))
    assert res.outcome is PublishOutcome.PUBLISHED and not res.recovered
    recs = _records(env)
    assert len(recs) == 1 and recs[0]["media_id"] == res.media_id
    assert j.containers["p1"] == recs[0]["container_id"] == res.container_id
    assert j.published["p1"][0] == res.media_id
    assert [a.outcome for a in j.attempts] == ["ok"]
    assert any(c.media_id == res.media_id for c in env.world.comments.values())


def test_carousel_publishes_parent_once(env):
    j = MemJournal(env.world)
    urls = tuple(env.host.url_for(f"slide{i}.jpg") for i in range(3))
    res = env.publisher(j).publish(PublishJob(
        post_id="c1", ig_user_id=env.ig, format=Format.CAROUSEL, caption="3 ideas",
        slide_urls=urls))
    assert res.outcome is PublishOutcome.PUBLISHED, res.message
    recs = _records(env)
    assert len(recs) == 1 and recs[0]["media_type"] == "CAROUSEL"
    assert recs[0]["media_id"] == res.media_id


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_reel_waits_for_processing_then_publishes(env):
    j = MemJournal(env.world)
    start = env.clock.now()
    res = env.publisher(j).publish(PublishJob(
        post_id="r1", ig_user_id=env.ig, format=Format.REEL, caption="Watch this",
        video_url=env.host.url_for("reel.mp4"), cover_url=env.host.url_for("cover.jpg")))
    assert res.outcome is PublishOutcome.PUBLISHED, res.message
    assert len(_records(env)) == 1 and _records(env)[0]["media_type"] == "REELS"
    assert env.clock.now() > start  # polling slept on the simulated clock


def test_not_ready_then_success(env):
    env.world.faults.push("media_publish", "9007")
    j = MemJournal(env.world)
    res = env.publisher(j).publish(env.image_job("p2", "Not ready yet"))
    assert res.outcome is PublishOutcome.PUBLISHED
    assert len(_records(env)) == 1


def test_drop_after_publish_is_recovered_exactly_once(env):
    env.world.faults.push("media_publish", "drop_after_publish")
    j = MemJournal(env.world)
    res = env.publisher(j).publish(env.image_job("p3", "Dropped answer"))
    assert res.outcome is PublishOutcome.PUBLISHED and res.recovered
    recs = _records(env)
    assert len(recs) == 1 and res.media_id == recs[0]["media_id"]
    assert j.published["p3"][0] == recs[0]["media_id"]
    assert [a.outcome for a in j.attempts] == ["recovered"]


def test_crash_before_publish_resumes_with_same_container(env):
    j = MemJournal(env.world, crash_after_container=True)
    with pytest.raises(Crash):
        env.publisher(j).publish(env.image_job("p4", "Crash before publish"))
    assert _records(env) == []
    cid = j.containers["p4"]
    j.crash_after_container = False
    res = env.publisher(j).publish(env.image_job("p4", "Crash before publish", container_id=cid))
    assert res.outcome is PublishOutcome.PUBLISHED and res.container_id == cid
    assert [r["container_id"] for r in _records(env)] == [cid]


def test_crash_after_publish_resumes_without_second_publish(env):
    j = MemJournal(env.world, crash_after_published=True)
    with pytest.raises(Crash):
        env.publisher(j).publish(env.image_job("p5", "Crash after publish"))
    assert len(_records(env)) == 1
    j2 = MemJournal(env.world)
    job = env.image_job("p5", "Crash after publish", container_id=j.containers["p5"])
    res = env.publisher(j2).publish(job)  # a fresh worker, journal says "container made"
    assert res.outcome is PublishOutcome.PUBLISHED and res.recovered
    assert len(_records(env)) == 1
    assert res.media_id == _records(env)[0]["media_id"] == j2.published["p5"][0]


def test_expired_container_is_replaced(env):
    j = MemJournal(env.world, crash_after_container=True)
    with pytest.raises(Crash):
        env.publisher(j).publish(env.image_job("p6", "Old container"))
    old = j.containers["p6"]
    env.clock.advance(timedelta(hours=25))
    j.crash_after_container = False
    res = env.publisher(j).publish(env.image_job("p6", "Old container", container_id=old))
    assert res.outcome is PublishOutcome.PUBLISHED
    assert res.container_id != old and _records(env)[0]["container_id"] == res.container_id


def test_quota_reached_gives_retry_at_when_a_slot_frees(host):
    env = _make_env(host, quota_total=2)
    try:
        j = MemJournal(env.world)
        p = env.publisher(j)
        first_at = env.clock.now()
        assert p.publish(env.image_job("q1", "one")).outcome is PublishOutcome.PUBLISHED
        env.clock.advance(3600)
        assert p.publish(env.image_job("q2", "two")).outcome is PublishOutcome.PUBLISHED
        env.clock.advance(600)
        res = p.publish(env.image_job("q3", "three"))
        assert res.outcome is PublishOutcome.QUOTA and res.error_class is ErrorClass.QUOTA
        assert res.retry_at is not None
        assert first_at + timedelta(hours=24) <= res.retry_at <= first_at + timedelta(hours=25)
        assert len(_records(env)) == 2
        env.clock.set(res.retry_at)
        assert p.publish(env.image_job("q3", "three")).outcome is PublishOutcome.PUBLISHED
    finally:
        env.client.close()
        env._stop()  # type: ignore[attr-defined]


def test_quota_error_at_publish_time(env):
    env.world.faults.push("media_publish", "9")
    j = MemJournal(env.world)
    res = env.publisher(j).publish(env.image_job("q4", "raced the limit"))
    assert res.outcome is PublishOutcome.QUOTA and res.retry_at > env.clock.now()
    assert _records(env) == [] and [a.outcome for a in j.attempts] == ["retry"]


def test_expired_token_is_auth_outcome(env):
    env.world.expire_token(env.token)
    j = MemJournal(env.world)
    res = env.publisher(j).publish(env.image_job("a1", "no token"))
    assert res.outcome is PublishOutcome.AUTH and res.error_class is ErrorClass.AUTH
    assert res.error_code == 190 and "Reconnect" in res.explanation
    assert env.token not in res.message and _records(env) == []
    assert [a.outcome for a in j.attempts] == ["failed"]


def test_throttle_uses_estimated_time_to_regain_access(host):
    # a budget of 3 calls/hour: limit check, create, status pass; media_publish is throttled
    env = _make_env(host, rate_limit_calls_per_hour=3)
    try:
        j = MemJournal(env.world)
        now = env.clock.now()
        res = env.publisher(j).publish(env.image_job("t1", "busy"))
        assert res.outcome is PublishOutcome.RETRY and res.error_class is ErrorClass.THROTTLED
        assert res.error_code == 80002
        # the sim says 60 minutes in X-Business-Use-Case-Usage; the result honours it
        assert res.retry_at == now + timedelta(minutes=60)
        assert _records(env) == []
        env.clock.set(res.retry_at)
        again = env.publisher(j).publish(env.image_job("t1", "busy", container_id=res.container_id))
        assert again.outcome is PublishOutcome.PUBLISHED and len(_records(env)) == 1
    finally:
        env.client.close()
        env._stop()  # type: ignore[attr-defined]


def test_spam_block_backs_off_for_hours(env):
    env.world.faults.push("media_publish", "spam")
    res = env.publisher(MemJournal(env.world)).publish(env.image_job("s1", "too eager"))
    assert res.outcome is PublishOutcome.RETRY and res.error_subcode == 2207051
    assert res.retry_at is not None and res.retry_at - env.clock.now() >= timedelta(hours=2)


def test_bad_media_fails_with_a_reason_and_no_publish(env, media_dir):
    Image.new("RGB", (1080, 2400), "#000000").save(media_dir / "tall.jpg", "JPEG")
    j = MemJournal(env.world)
    res = env.publisher(j).publish(PublishJob(
        post_id="b1", ig_user_id=env.ig, format=Format.IMAGE, caption="too tall",
        image_url=env.host.url_for("tall.jpg")))
    assert res.outcome is PublishOutcome.FAILED, res.message
    assert res.error_class is ErrorClass.PERMANENT and "aspect ratio" in res.explanation
    assert _records(env) == [] and [a.outcome for a in j.attempts] == ["failed"]


def test_server_errors_on_create_are_retried_by_the_client(env):
    env.world.faults.push("media", "500", times=2)
    res = env.publisher(MemJournal(env.world)).publish(env.image_job("e1", "flaky"))
    assert res.outcome is PublishOutcome.PUBLISHED and len(_records(env)) == 1


def test_story_lost_answer_is_recovered_from_stories_edge(env):
    env.world.faults.push("media_publish", "drop_after_publish")
    j = MemJournal(env.world)
    res = env.publisher(j).publish(PublishJob(
        post_id="st1", ig_user_id=env.ig, format=Format.STORY,
        image_url=env.host.url_for("cover.jpg"), not_before=env.clock.now()))
    assert res.outcome is PublishOutcome.PUBLISHED and res.recovered, res.message
    recs = _records(env)
    assert len(recs) == 1 and res.media_id == recs[0]["media_id"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_mixed_carousel_uses_a_video_child(env):
    urls = (env.host.url_for("slide0.jpg"), env.host.url_for("reel.mp4"))
    res = env.publisher(MemJournal(env.world)).publish(PublishJob(
        post_id="mc", ig_user_id=env.ig, format=Format.CAROUSEL, caption="mixed",
        slide_urls=urls))
    assert res.outcome is PublishOutcome.PUBLISHED, res.message
    kids = [c for c in env.world.containers.values() if c.is_carousel_item]
    assert sorted(c.media_type for c in kids) == ["IMAGE", "VIDEO"]
    assert len(_records(env)) == 1


def test_publish_answered_5xx_is_checked_then_retried_at_once(env):
    env.world.faults.push("media_publish", "500")
    j = MemJournal(env.world)
    res = env.publisher(j).publish(env.image_job("f0", "one hiccup"))
    assert res.outcome is PublishOutcome.PUBLISHED and not res.recovered, res.message
    assert "checked not live" in res.message
    assert [r["container_id"] for r in _records(env)] == [res.container_id]
    assert [a.outcome for a in j.attempts] == ["ok"]


def test_publish_5xx_beyond_quick_retries_checks_status_then_retries_later(env):
    env.world.faults.push("media_publish", "500", 3)  # the publisher retries at once twice
    j = MemJournal(env.world)
    res = env.publisher(j).publish(env.image_job("f1", "server hiccup"))
    assert res.outcome is PublishOutcome.RETRY and res.error_class is ErrorClass.TRANSIENT
    assert res.retry_at is not None and res.retry_at >= env.clock.now()
    assert _records(env) == [] and res.container_id == j.containers["f1"]
    env.clock.set(res.retry_at)
    again = env.publisher(j).publish(env.image_job("f1", "server hiccup",
                                                   container_id=res.container_id, attempt=1))
    assert again.outcome is PublishOutcome.PUBLISHED and not again.recovered
    assert [r["container_id"] for r in _records(env)] == [res.container_id]
    assert [a.outcome for a in j.attempts] == ["retry", "ok"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_resume_waits_for_an_in_progress_reel(env):
    j = MemJournal(env.world, crash_after_container=True)
    job = PublishJob(post_id="r2", ig_user_id=env.ig, format=Format.REEL, caption="resume",
                     video_url=env.host.url_for("reel.mp4"))
    with pytest.raises(Crash):
        env.publisher(j).publish(job)
    cid = j.containers["r2"]
    c = env.world.containers[cid]
    assert c.polls < c.polls_needed  # still processing when the worker died
    j.crash_after_container = False
    res = env.publisher(j).publish(dataclasses.replace(job, container_id=cid))
    assert c.polls >= c.polls_needed
    assert res.outcome is PublishOutcome.PUBLISHED and res.container_id == cid
    assert [r["container_id"] for r in _records(env)] == [cid]
