"""User KPI-threshold rules: hard guard-rails next to the bandit.

The bandit shifts probabilities smoothly; people also want plain rules such as "pause a
pillar whose median ER stays below 1% for two weeks". A rule fires only when *every* one
of its last `weeks` windows has enough posts and breaks the threshold, so one bad week
(or one viral outlier) does not flip it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from contentloop.domain import Decision, utc

from .bandit import DIMENSIONS, Observation


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    """E.g. ThresholdRule("pillar", "engagement_rate", below=0.01, weeks=2).

    `metric` is "value" (business value) or a key of Observation.metrics. Exactly one of
    `below` / `above` is set. `action` becomes the Decision kind ("pause" by default).
    """

    dimension: str
    metric: str
    below: float | None = None
    above: float | None = None
    weeks: int = 2
    min_posts: int = 2
    action: str = "pause"

    def __post_init__(self) -> None:
        if self.dimension not in DIMENSIONS:
            raise ValueError(f"rule dimension {self.dimension!r}; expected one of {DIMENSIONS}")
        if (self.below is None) == (self.above is None):
            raise ValueError("a threshold rule needs exactly one of below= or above=")
        if self.weeks < 1 or self.min_posts < 1:
            raise ValueError("weeks and min_posts must be at least 1")

    def breaks(self, median: float) -> bool:
        if self.below is not None:
            return median < self.below
        return self.above is not None and median > self.above

    def describe(self) -> str:
        op, x = ("<", self.below) if self.below is not None else (">", self.above)
        return f"median {self.metric} {op} {x:g} for {self.weeks} week(s)"


def _metric(obs: Observation, name: str) -> float | None:
    if name == "value":
        return obs.value
    value = obs.metrics.get(name)
    return float(value) if value is not None else None


def evaluate_rules(
    account: str,
    rules: Sequence[ThresholdRule],
    observations: Sequence[Observation],
    now: datetime,
) -> list[Decision]:
    """Decisions for every (rule, level) that broke its threshold in each recent week.

    Weeks are the 7-day windows ending at `now`: [now-7d, now), [now-14d, now-7d), ...
    """
    now = utc(now)
    decisions: list[Decision] = []
    for rule in rules:
        levels = sorted({o.level(rule.dimension) for o in observations})
        for level in levels:
            medians: list[float] = []
            for k in range(rule.weeks):
                start, end = now - timedelta(days=7 * (k + 1)), now - timedelta(days=7 * k)
                values = [
                    v
                    for o in observations
                    if o.level(rule.dimension) == level and start <= utc(o.at) < end
                    for v in [_metric(o, rule.metric)]
                    if v is not None
                ]
                if len(values) < rule.min_posts:
                    break
                medians.append(statistics.median(values))
            if len(medians) == rule.weeks and all(rule.breaks(m) for m in medians):
                shown = ", ".join(f"{m:.4g}" for m in reversed(medians))
                decisions.append(
                    Decision(
                        account=account,
                        kind=rule.action,
                        choice=f"{rule.dimension}:{level}",
                        reason=f"{rule.describe()} (weekly medians, oldest first: {shown})",
                        probabilities={},
                        made_at=now,
                    )
                )
    return decisions
