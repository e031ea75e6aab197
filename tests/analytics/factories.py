"""Build PostResult / AccountWeek fixtures with realistic, varied numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from contentloop.analytics import AccountWeek, PostResult
from contentloop.domain import Format

WEEK = datetime(2026, 2, 2, 0, 0, tzinfo=UTC)
FORMATS = (Format.IMAGE, Format.CAROUSEL, Format.REEL)


def make_week(
    account: str, seed: int, start: datetime = WEEK, n: int = 12, reel_boost: float = 2.0
) -> list[PostResult]:
    rng = np.random.default_rng(seed)
    posts = []
    for i in range(n):
        fmt = FORMATS[i % 3]
        reach = float(
            int(800 * (reel_boost if fmt is Format.REEL else 1.0) * rng.lognormal(0, 0.4))
        )
        metrics = {
            "reach": reach,
            "views": reach * 1.6,
            "likes": float(int(reach * 0.035)),
            "comments": float(int(reach * 0.003)),
            "saved": float(int(reach * 0.004)),
            "shares": float(int(reach * 0.003)),
        }
        if fmt is Format.REEL:
            metrics["ig_reels_avg_watch_time"] = 5200.0
        else:
            metrics["follows"] = float(int(reach * 0.002))
        hour = (8, 12, 19)[i % 3 if i % 2 else (i + 1) % 3]
        posts.append(
            PostResult(
                post_id=f"{account}-p{seed}-{i}",
                media_id=f"17900{seed:02d}{i:04d}",
                account=account,
                format=fmt,
                pillar=("tips", "recipes", "behind")[i % 3 if i % 4 else 1],
                hook_style=("question", "number", "bold")[(i // 3) % 3],
                hour_local=hour,
                published_at=start + timedelta(hours=12 * i + hour),
                metrics=metrics,
                caption=f"Hook number {i}: do this before breakfast\nmore text #tag",
                planned=True,
                duration_s=15.0 if fmt is Format.REEL else 0.0,
                followers=10_000,
            )
        )
    return posts


def make_account_week(account: str = "acme", seed: int = 1) -> AccountWeek:
    prev = AccountWeek(
        account=account,
        week_start=WEEK - timedelta(days=7),
        posts=make_week(account, seed + 100, WEEK - timedelta(days=7), n=9, reel_boost=1.2),
        followers_start=9_900,
        followers_end=10_000,
    )
    missed = PostResult(
        post_id=f"{account}-missed",
        media_id="",
        account=account,
        format=Format.IMAGE,
        pillar="tips",
        hook_style="question",
        hour_local=8,
        published_at=None,
        metrics={},
    )
    return AccountWeek(
        account=account,
        week_start=WEEK,
        posts=[*make_week(account, seed), missed],
        followers_start=10_000,
        followers_end=10_180,
        previous=prev,
    )
