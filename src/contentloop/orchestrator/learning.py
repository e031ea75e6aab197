"""Close the loop: turn stored results into optimizer decisions the planner and generator use."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..analytics.attribution import impute_reel_follows
from ..analytics.kpis import DEFAULT_WEIGHTS, PostResult, ValueWeights, business_value
from ..domain import Account, Clock, Decision, Opportunity
from ..optimize.bandit import BanditConfig, Observation, ThompsonBandit, paused_levels
from ..optimize.plans import (
    active_plan,
    plan_hour_weights,
    plan_preferences,
    propose_next_week,
    restrict,
)
from ..optimize.rules import ThresholdRule, evaluate_rules
from ..optimize.timing import hour_prior, to_local_hours
from ..store import Store
from ..store.plans_repo import Plan

#: Damping of the online_followers prior: twice as many followers online is not 2x value.
HOUR_PRIOR_SCALE = 0.5


@dataclass
class Learner:
    """Fits the bandit (hours included, with the `online_followers` prior) per account.

    Decisions (one per dimension, plus rule pauses) go to the store with their reason and
    selection probabilities; the generator reads `preferences`, the planner `hour_weights`.
    """

    store: Store
    clock: Clock
    results_for: Callable[[Account, datetime | None], list[PostResult]]
    online_followers_for: Callable[[Account], Mapping[int, float]] | None = None
    weights: ValueWeights = DEFAULT_WEIGHTS
    seed: int = 0
    min_age: timedelta = timedelta(hours=24)
    config: BanditConfig = field(default_factory=BanditConfig)
    #: KPI-threshold rules: one list for every account, or per handle (from contentloop.toml).
    rules: Sequence[ThresholdRule] | Mapping[str, Sequence[ThresholdRule]] = ()
    _hour_cache: dict[str, dict[int, float]] = field(default_factory=dict)

    def _new_followers(self, account: Account) -> dict[str, float]:
        return {d: v for d, v, _ in self.store.account_metrics(account.handle, "new_followers")}

    def observations(self, account: Account) -> list[Observation]:
        """Mature results as bandit observations; reels get estimated follows (see KPIS.md)."""
        now = self.clock.now()
        mature = [
            r for r in self.results_for(account, None)
            if r.published_at is not None and r.metrics and now - r.published_at >= self.min_age
        ]
        daily = self._new_followers(account)
        by_week: dict[int, list[PostResult]] = {}
        for r in mature:
            assert r.published_at is not None
            by_week.setdefault((now - r.published_at).days // 7, []).append(r)
        filled: list[PostResult] = []
        for posts in by_week.values():
            days = {p.published_at.date().isoformat() for p in posts if p.published_at}
            known = [daily[d] for d in days if d in daily]
            filled += impute_reel_follows(posts, float(sum(known)) if known else None)
        return [
            Observation(
                format=r.format_name,
                pillar=r.pillar,
                hook_style=r.hook_style,
                slot_hour=r.hour_local,
                value=business_value(r, self.weights),
                at=r.published_at,
                metrics=_rule_metrics(r, self.weights),
            )
            for r in filled
            if r.published_at is not None
        ]

    def _online_local(self, account: Account) -> dict[int, float]:
        if self.online_followers_for is None:
            return {}
        try:
            utc_profile = self.online_followers_for(account)
            return to_local_hours(utc_profile, account.timezone, self.clock.now())
        except Exception:  # empty or refused: the prior falls back to posting windows
            return {}

    def bandit(self, account: Account) -> tuple[ThompsonBandit, list[Observation]]:
        online = self._online_local(account)
        prior, _source = hour_prior(online, account.posting_windows)
        levels: dict[str, list[Any]] = {
            "format": [f.value for f in account.formats],
            "pillar": [p.name for p in account.brand.pillars],
            "slot_hour": list(range(24)),
        }
        bandit = ThompsonBandit(
            levels=levels, config=self.config, seed=self.seed,
            prior_mean={"slot_hour": {h: HOUR_PRIOR_SCALE * v for h, v in prior.items()}},
        )
        obs = self.observations(account)
        bandit.fit(obs, now=self.clock.now())
        return bandit, obs

    def refit(self, account: Account) -> list[Decision]:
        """Fit on every mature result; store rule pauses and one decision per dimension."""
        now = self.clock.now()
        bandit, obs = self.bandit(account)
        rules = self.rules_for(account)
        pauses = evaluate_rules(account.handle, rules, obs, now) if rules else []
        decisions = bandit.decide(account.handle, now, exclude=paused_levels(pauses))
        self.store.save_decisions([*pauses, *decisions])
        # Next week's proposed plan (a week a person approved or edited is left alone).
        propose_next_week(self.store, account, [*pauses, *decisions], now)
        effects = bandit.effects()["slot_hour"]
        self._hour_cache[account.handle] = {int(h): m for h, (m, _sd) in effects.items()}
        return [*pauses, *decisions]

    def rules_for(self, account: Account) -> Sequence[ThresholdRule]:
        if isinstance(self.rules, Mapping):
            return tuple(self.rules.get(account.handle, ()))
        return tuple(self.rules)

    def active_plan(self, account: Account) -> Plan | None:
        """This week's plan if a person approved or edited it (it then beats the decisions)."""
        return active_plan(self.store, account, self.clock.now())

    def restrict(
        self, account: Account, opportunities: Sequence[Opportunity] = ()
    ) -> tuple[Account, list[Opportunity]]:
        """The account and opportunities the generator may use: formats and pillars an
        approved/edited plan gives 0 are left out this week."""
        plan = self.active_plan(account)
        if plan is None:
            return account, list(opportunities)
        return restrict(account, plan, opportunities)

    def preferences(self, account: Account) -> dict[str, dict[str, float]] | None:
        plan = self.active_plan(account)
        if plan is not None:
            return plan_preferences(plan)
        decisions = self.store.decisions(account.handle)
        if not decisions:
            return None
        return {
            d.kind: dict(d.probabilities) for d in decisions
            if d.kind != "slot_hour" and d.probabilities
        }

    def hour_weights(self, account: Account) -> dict[int, float] | None:
        """Posterior mean effect per local hour: the online_followers prior moved by results
        (or, when a person approved/edited this week's plan, its hour shares)."""
        plan = self.active_plan(account)
        plan_weights = plan_hour_weights(plan) if plan is not None else None
        if plan_weights:
            return plan_weights
        if account.handle not in self._hour_cache:
            bandit, _ = self.bandit(account)
            effects = bandit.effects()["slot_hour"]
            self._hour_cache[account.handle] = {int(h): m for h, (m, _sd) in effects.items()}
        weights = self._hour_cache[account.handle]
        return {h: w for h, w in weights.items() if math.isfinite(w)}

    def ledger(self, account: Account, draws: int = 2000) -> list[dict[str, Any]]:
        """The experiment ledger: per level, effect on value with a 90 % credible interval
        (as a multiplier vs the dimension's average level) and P(best)."""
        import numpy as np

        bandit, obs = self.bandit(account)
        if not obs:
            return []
        rng = np.random.default_rng(self.seed)
        theta = bandit._draw(rng, draws)  # noqa: SLF001 - same package family, read-only
        index = bandit._index()  # noqa: SLF001
        rows: list[dict[str, Any]] = []
        for dim, levels in bandit.levels.items():
            if dim == "slot_hour":
                levels = [lv for lv in levels if any(o.level(dim) == lv for o in obs)]
            if len(levels) < 2:
                continue
            cols = [index[(dim, lv)] for lv in levels]
            sub = theta[:, cols] - theta[:, cols].mean(axis=1, keepdims=True)
            best = np.bincount(np.argmax(sub, axis=1), minlength=len(levels)) / draws
            for j, lv in enumerate(levels):
                lo, mid, hi = np.percentile(sub[:, j], [5, 50, 95])
                rows.append({
                    "dimension": dim, "level": lv,
                    "posts": sum(1 for o in obs if o.level(dim) == lv),
                    "lift": math.exp(mid) - 1, "lift_lo": math.exp(lo) - 1,
                    "lift_hi": math.exp(hi) - 1, "p_best": float(best[j]),
                })
        return rows


def _rule_metrics(result: PostResult, weights: ValueWeights) -> dict[str, float]:
    """Raw metrics plus the per-post KPIs (engagement_rate, saves_per_reach, ...) that
    KPI-threshold rules in contentloop.toml name."""
    from ..analytics.kpis import post_kpis

    out = {k: float(v) for k, v in result.metrics.items()}
    out.update({k: float(v) for k, v in post_kpis(result, weights).items() if v is not None})
    return out


def write_weekly_report(
    settings: Any, clock: Clock, out: Any, *, fmt: str = "html",
    account: str | None = None, week: str | None = None,
) -> Any:
    """Build the week's report from the configured store and write it (html | json | md)."""
    import json
    from pathlib import Path

    from ..analytics.report import render_html
    from ..analytics.service import parse_week, render_markdown, results_from_store, weekly_report

    store = Store(settings.resolved_database_url, clock)
    try:
        accounts = settings.domain_accounts()
        if account:
            accounts = [a for a in accounts if a.handle == account]
            if not accounts:
                raise KeyError(f"account {account!r} is not configured")
        start = parse_week(week, clock.now())
        end = start + timedelta(days=7)
        ledgers = {}
        for acc in accounts:
            from ..domain import SimulatedClock

            learner = Learner(
                store=store, clock=SimulatedClock(min(end, clock.now())),
                results_for=lambda a, _s: results_from_store(store, a, start - timedelta(
                    days=84), end),
            )
            ledgers[acc.handle] = learner.ledger(acc)
        report = weekly_report(store, accounts, start, clock.now(), ledgers=ledgers)
        store.save_report(report["week_start"], report)
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        if fmt == "json":
            path = out_dir / "report.json"
            path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
            return path
        if fmt == "md":
            path = out_dir / "report.md"
            path.write_text(render_markdown(report), encoding="utf-8")
            return path
        return render_html(report, out_dir)
    finally:
        store.close()
