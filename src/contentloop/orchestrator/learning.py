"""Close the loop: turn stored results into optimizer decisions the planner and generator use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..analytics.kpis import DEFAULT_WEIGHTS, PostResult, ValueWeights, business_value
from ..domain import Account, Clock, Decision
from ..optimize.bandit import Observation, ThompsonBandit
from ..optimize.timing import score_hours, to_local_hours
from ..store import Store


@dataclass
class Learner:
    """Fits the bandit and the posting-time model per account; decisions go to the store."""

    store: Store
    clock: Clock
    results_for: Callable[[Account, datetime | None], list[PostResult]]
    online_followers_for: Callable[[Account], Mapping[int, float]] | None = None
    weights: ValueWeights = DEFAULT_WEIGHTS
    seed: int = 0
    min_age: timedelta = timedelta(hours=24)
    _hour_cache: dict[str, dict[int, float]] = field(default_factory=dict)

    def _observations(self, account: Account) -> list[Observation]:
        now = self.clock.now()
        obs = []
        for r in self.results_for(account, None):
            if r.published_at is None or not r.metrics or now - r.published_at < self.min_age:
                continue
            obs.append(
                Observation(
                    format=r.format_name,
                    pillar=r.pillar,
                    hook_style=r.hook_style,
                    slot_hour=r.hour_local,
                    value=business_value(r, self.weights),
                    at=r.published_at,
                    metrics=dict(r.metrics),
                )
            )
        return obs

    def refit(self, account: Account) -> list[Decision]:
        """Fit on every mature result and store one decision per dimension."""
        levels: dict[str, list[Any]] = {
            "format": [f.value for f in account.formats],
            "pillar": [p.name for p in account.brand.pillars],
        }
        bandit = ThompsonBandit(levels=levels, seed=self.seed)
        obs = self._observations(account)
        now = self.clock.now()
        bandit.fit(obs, now=now)
        decisions = bandit.decide(account.handle, now)
        self.store.save_decisions(decisions)
        self._hour_cache.pop(account.handle, None)
        return decisions

    def preferences(self, account: Account) -> dict[str, dict[str, float]] | None:
        decisions = self.store.decisions(account.handle)
        if not decisions:
            return None
        return {d.kind: dict(d.probabilities) for d in decisions if d.kind != "slot_hour"}

    def hour_weights(self, account: Account) -> dict[int, float] | None:
        """Local-hour scores: `online_followers` as the prior plus the account's own results."""
        if account.handle in self._hour_cache:
            return self._hour_cache[account.handle]
        online: Mapping[int, float] = {}
        if self.online_followers_for is not None:
            try:
                utc_profile = self.online_followers_for(account)
                online = to_local_hours(utc_profile, account.timezone, self.clock.now())
            except Exception:  # empty or refused: fall back to windows (documented gap)
                online = {}
        results = [
            (r.hour_local, business_value(r, self.weights))
            for r in self.results_for(account, None)
            if r.published_at is not None and r.metrics
        ]
        scores = score_hours(online, results, account.posting_windows)
        weights = {s.hour: s.score for s in scores}
        self._hour_cache[account.handle] = weights
        return weights
