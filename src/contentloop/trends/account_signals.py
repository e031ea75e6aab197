"""The account's own results as a trend signal: what worked for *this* audience ranks higher.

Turns published posts with metrics into the `own_results` map `score_opportunities` takes:
key (pillar, hashtag, or the trend a post was about) → lift vs the account's average
(0.2 = 20 % better). Small samples are shrunk toward 0 so one lucky post does not dominate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .text import hashtags_in, normalize_tag


def own_results(
    results: Iterable[Any],
    value: Callable[[Any], float],
    *,
    prior_posts: float = 2.0,
    max_tags_per_post: int = 10,
) -> dict[str, float]:
    """Lift per pillar, caption hashtag and trend from posts that have metrics.

    `results` items need `metrics` (truthy when measured), `pillar`, `caption`, optionally
    `trend`; `value(result)` is the business value the optimizer maximises.
    lift(key) = (mean value of its posts / overall mean − 1) · n / (n + prior_posts).
    """
    per_key: dict[str, list[float]] = {}
    values: list[float] = []
    for r in results:
        if not getattr(r, "metrics", None):
            continue
        v = float(value(r))
        values.append(v)
        keys: set[str] = set()
        pillar = getattr(r, "pillar", "") or ""
        if pillar:
            keys.add(normalize_tag(pillar))
        trend = getattr(r, "trend", "") or ""
        if trend:
            keys.add(normalize_tag(trend))
        caption = getattr(r, "caption", "") or ""
        keys.update(hashtags_in(caption)[:max_tags_per_post])
        for key in keys:
            per_key.setdefault(key, []).append(v)
    if not values:
        return {}
    overall = sum(values) / len(values)
    if overall <= 0:
        return {}
    lifts: dict[str, float] = {}
    for key, vs in per_key.items():
        n = len(vs)
        lifts[key] = round((sum(vs) / n / overall - 1.0) * n / (n + prior_posts), 6)
    return lifts
