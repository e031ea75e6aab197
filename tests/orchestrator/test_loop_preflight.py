"""Pre-flight runs on every rendered post before it is scheduled."""

from __future__ import annotations

from datetime import UTC, datetime

from contentloop.domain import Account, Format, PostState, SimulatedClock
from contentloop.orchestrator.wiring import build_loop


def test_unreachable_media_fails_the_post_before_scheduling(tmp_path):
    clock = SimulatedClock(datetime(2026, 1, 5, tzinfo=UTC))
    acc = Account(handle="pf_account", niche="specialty coffee", formats=(Format.IMAGE,))
    parts = build_loop(accounts=[acc], clock=clock, database_url=f"sqlite:///{tmp_path}/db.sqlite",
                       media_dir=tmp_path / "media", seed=1)
    try:
        loop = parts.loop
        loop.plan(days=2)
        loop.generate()
        loop.review()
        # A misconfigured public media URL (nothing listens there): Instagram could not fetch it.
        from dataclasses import replace

        def unreachable(path: str) -> str:
            return f"http://127.0.0.1:9/{path.rsplit('/', 1)[-1]}"

        loop.preflight = replace(loop.preflight, media_url=unreachable)
        loop.render()
        posts = parts.store.posts()
        assert posts and all(p.state is PostState.FAILED for p in posts)
        assert all("pre-flight: url" in p.last_error for p in posts)
    finally:
        parts.close()


def test_reachable_media_is_scheduled(tmp_path):
    clock = SimulatedClock(datetime(2026, 1, 5, tzinfo=UTC))
    acc = Account(handle="pf_ok", niche="specialty coffee", formats=(Format.IMAGE,))
    parts = build_loop(accounts=[acc], clock=clock, database_url=f"sqlite:///{tmp_path}/db.sqlite",
                       media_dir=tmp_path / "media", seed=1)
    try:
        loop = parts.loop
        loop.plan(days=1)
        loop.generate()
        loop.review()
        loop.render()
        assert {p.state for p in parts.store.posts()} == {PostState.SCHEDULED}
    finally:
        parts.close()
