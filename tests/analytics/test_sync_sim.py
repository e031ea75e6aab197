"""Insights sync against the real simulator (Graph API shapes over loopback HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from contentloop.analytics.account_sync import SYNCED_MARKER
from contentloop.analytics.service import weekly_report
from contentloop.analytics.sync import sync_all
from contentloop.domain import Account, Format, Post, PostState, SimulatedClock
from contentloop.instagram.client import GraphClient
from contentloop.sim import SimConfig, SimWorld, serve_in_thread
from contentloop.store import Store

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday


@dataclass
class Rig:
    clock: SimulatedClock
    world: SimWorld
    store: Store
    clients: dict[str, GraphClient]
    accounts: list[Account]

    def publish(self, handle: str, n: int, fmt: Format = Format.IMAGE,
                gap: timedelta = timedelta(hours=5)) -> list[str]:
        """Publish n images (or stories) through the API; record them as published posts."""
        client, ig = self.clients[handle], self.store.ig_user_id(handle)
        ids = []
        for i in range(n):
            now = self.clock.now()
            url = f"http://127.0.0.1:9/{handle}{fmt.value}{i}.jpg"
            if fmt is Format.STORY:
                cid = client.create_story_container(ig, image_url=url)
            else:
                cid = client.create_image_container(ig, url, caption=f"Tip {i}: grind finer")
            media_id = client.publish(ig, cid)
            pid = f"{handle}-{fmt.value}-{i}"
            self.store.add_post(Post(pid, handle, now.date().isoformat(), now,
                                     state=PostState.PUBLISHED, format=fmt))
            self.store.record_published(pid, media_id, now)
            ids.append(media_id)
            self.clock.advance(gap)
        return ids


def _rig(db_url: str, **config: object) -> Iterator[Rig]:
    clock = SimulatedClock(START)
    world = SimWorld(clock, SimConfig(seed=5, validate_media=False, **config))  # type: ignore[arg-type]
    base, stop = serve_in_thread(world)
    store = Store(db_url, clock)
    clients, accounts = {}, []
    for handle, followers in (("big", 8000), ("tiny", 3)):
        ig, token = world.create_account(handle, followers=followers, timezone="Europe/Berlin")
        acc = Account(handle=handle, timezone="Europe/Berlin")
        store.ensure_account(acc)
        store.set_ig_user_id(handle, ig)
        clients[handle] = GraphClient(base, token, clock=clock, timeout=10, backoff_base_s=0.05)
        accounts.append(acc)
    try:
        yield Rig(clock, world, store, clients, accounts)
    finally:
        for c in clients.values():
            c.close()
        stop()
        store.close()


@pytest.fixture
def rig(tmp_path) -> Iterator[Rig]:  # type: ignore[no-untyped-def]
    yield from _rig(f"sqlite:///{tmp_path / 'sync.db'}")


def test_sync_is_idempotent_and_fills_the_report(db_url: str) -> None:
    for rig in _rig(db_url):
        media = rig.publish("big", 4)
        rig.clock.advance(timedelta(days=3))
        first = sync_all(rig.store, rig.accounts, rig.clients.__getitem__, rig.clock.now())
        assert first.snapshots >= 4 * 3  # 1 h, 6 h and 24 h (and 72 h for the oldest) each
        assert first.account_days >= 3 and first.account_values > 0
        again = sync_all(rig.store, rig.accounts, rig.clients.__getitem__, rig.clock.now())
        assert again.snapshots == 0 and again.account_days == 0  # nothing new to fetch
        latest = rig.store.latest_metrics("big-image-0")
        assert latest["reach"] > 0 and "views" in latest and "impressions" not in latest
        days = [d for d, _v, _p in rig.store.account_metrics("big", SYNCED_MARKER)]
        assert days == sorted(set(days))  # one marker per day, no duplicates
        online = rig.store.account_metrics("big", "online_followers")
        assert online and len(online[-1][2]["hours_utc"]) == 24

        report = weekly_report(rig.store, rig.accounts, START, rig.clock.now())
        big = report["accounts"]["big"]
        assert big["kpis"]["posts"] == 4
        assert {p["media_id"] for p in big["posts"]} == set(media)
        grid = big["heatmap"]["online"]
        assert grid is not None and len(grid) == 7 and len(grid[0]) == 24
        assert sum(v is not None for row in grid for v in row) >= 24
        assert [p["weekday"] for p in big["heatmap"]["posts"]] == [0, 0, 0, 0]  # all Monday
        gained = [d["gained"] for d in big["followers_daily"] if d["gained"] is not None]
        assert gained, big["followers_daily"]


def test_small_account_missing_data_is_noted_not_fatal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for rig in _rig(f"sqlite:///{tmp_path / 's.db'}", insights_min_age_s=3 * 3600):
        [image] = rig.publish("tiny", 1, gap=timedelta(minutes=1))
        [story] = rig.publish("tiny", 1, Format.STORY, gap=timedelta(hours=1, minutes=30))
        early = sync_all(rig.store, rig.accounts, rig.clients.__getitem__, rig.clock.now())
        assert early.skipped[image] == "no_data"  # insights arrive late: ask again later
        rig.clock.advance(timedelta(hours=2))
        mid = sync_all(rig.store, rig.accounts, rig.clients.__getitem__, rig.clock.now())
        assert mid.skipped[story] == "not_enough_viewers"  # a 3-follower account's story
        assert image not in mid.skipped and rig.store.latest_metrics("tiny-image-0")
        rig.clock.advance(timedelta(days=2))
        later = sync_all(rig.store, rig.accounts, rig.clients.__getitem__, rig.clock.now())
        assert story not in later.skipped  # stories are not asked for after 24 h
        assert later.missing["tiny"]["new_followers"] == "no data"  # under 100 followers
        assert "online_followers" in later.missing["tiny"]
        report = weekly_report(rig.store, rig.accounts, START, rig.clock.now())
        tiny = report["accounts"]["tiny"]
        assert tiny["heatmap"]["online"] is None
        quality = " ".join(tiny["data_quality"])
        assert "online_followers" in quality and "new_followers" in quality
        assert "no insights yet" in quality  # the story never got any


def test_online_followers_error_is_a_note(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for rig in _rig(f"sqlite:///{tmp_path / 'e.db'}", online_followers_mode="error"):
        rig.clock.advance(timedelta(days=2))
        summary = sync_all(rig.store, rig.accounts[:1], rig.clients.__getitem__,
                           rig.clock.now())
        assert "online_followers" in summary.missing["big"]
        assert rig.store.account_metrics("big", "reach")  # the other metrics still stored
        assert not rig.store.account_metrics("big", "online_followers")
