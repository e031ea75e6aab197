"""Estimate the follows the API does not report for reels, so formats compare fairly.

The Graph API rejects `follows` for REELS, while the business value weights follows
heavily (20 by default). Leaving the term out would undervalue reels by roughly
`20 · follows-per-reel` and bias every cross-format comparison against them. We fill it
in from what the account *does* report:

1. **Follower deltas** (preferred): the account's daily new-follower counts over a
   window, minus the follows that feed and story posts of that window report, are the
   follows that came from reels (and from profile discovery, which we cannot separate:
   the estimate is therefore an upper bound). They are split across the window's reels in
   proportion to reach.
2. **Rate fallback** (no follower series, e.g. accounts under 100 followers): the median
   follows-per-reach of the window's feed posts, times each reel's reach. Reels reach more
   non-followers, who follow at a higher rate, so this one is a lower bound.

Estimated values carry `follows_estimated = 1` in the metrics, and the report says so.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import replace

from .kpis import M_FOLLOWS, M_REACH, PostResult

#: Marker added to a post's metrics when its `follows` is an estimate.
M_FOLLOWS_ESTIMATED = "follows_estimated"
#: Sources of the estimate, as stored in `follows_estimated` (1 = deltas, 2 = rate).
FROM_DELTAS = 1.0
FROM_RATE = 2.0


def _is_reel(post: PostResult) -> bool:
    return post.format_name == "reel"


def impute_reel_follows(
    posts: Sequence[PostResult],
    new_followers: float | None = None,
) -> list[PostResult]:
    """Posts of one window with `follows` filled in for measured reels that lack it.

    `new_followers` is the account's total new followers over the same window (sum of the
    daily `follower_count` series), or None when unknown (falls back to the rate method).
    Posts that already report `follows`, unmeasured posts and non-reels are unchanged.
    """
    reels = [
        p for p in posts if _is_reel(p) and p.metrics and M_FOLLOWS not in p.metrics
        and (p.metrics.get(M_REACH) or 0.0) > 0
    ]
    if not reels:
        return list(posts)
    others = [p for p in posts if not _is_reel(p) and p.metrics and M_FOLLOWS in p.metrics]
    reel_reach = sum(float(p.metrics[M_REACH]) for p in reels)
    estimates: dict[str, tuple[float, float]] = {}
    if new_followers is not None:
        reported = sum(float(p.metrics[M_FOLLOWS]) for p in others)
        left = max(float(new_followers) - reported, 0.0)
        for p in reels:
            estimates[p.post_id] = (left * float(p.metrics[M_REACH]) / reel_reach, FROM_DELTAS)
    else:
        rates = [
            float(p.metrics[M_FOLLOWS]) / float(p.metrics[M_REACH])
            for p in others
            if (p.metrics.get(M_REACH) or 0.0) > 0
        ]
        if not rates:
            return list(posts)
        rate = statistics.median(rates)
        for p in reels:
            estimates[p.post_id] = (rate * float(p.metrics[M_REACH]), FROM_RATE)
    out = []
    for p in posts:
        if p.post_id in estimates:
            follows, source = estimates[p.post_id]
            metrics = {**p.metrics, M_FOLLOWS: follows, M_FOLLOWS_ESTIMATED: source}
            out.append(replace(p, metrics=metrics))
        else:
            out.append(p)
    return out


