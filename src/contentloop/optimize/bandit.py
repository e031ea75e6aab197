"""Thompson sampling over an additive Bayesian linear model of log(1 + business value).

Why this shape: ~30 posts a week cannot fill one arm per (format x pillar x hook x hour)
combination, but they can learn shared additive effects. Old posts are discounted by
gamma**age_weeks so the model follows the platform when it drifts, and a change detector
down-weights everything before a detected drift at once. The noise is Student-t, so a viral
post does not crown its levels. Thompson draws are narrowed (`draw_scale`) because the
horizon is short; every level keeps at least `epsilon` of the allocation so nothing is
starved and logged propensities stay > 0 (needed later for off-policy evaluation).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from contentloop.domain import Decision, utc

DIMENSIONS: tuple[str, ...] = ("format", "pillar", "hook_style", "slot_hour")

_WEEK_S = 7 * 24 * 3600.0
_INTERCEPT_SD = 10.0  # vague: the account's mean log value is learned from data
_CLIPPED_Z2 = 0.996  # E[min(z², 9)] for a standard normal z

#: Markers in Decision.reason that readers (the report) key on; keep them stable.
STILL_TESTING = "still testing"
NO_RESULTS = "no results yet"


@dataclass(frozen=True, slots=True)
class Observation:
    """One published post as the optimizer sees it: its levels, value and when it went out.

    `metrics` carries extra per-post KPIs (e.g. `engagement_rate`) for the threshold rules.
    """

    format: str
    pillar: str
    hook_style: str
    slot_hour: int | str
    value: float
    at: datetime
    metrics: Mapping[str, float] = field(default_factory=dict)

    def level(self, dimension: str) -> str:
        if dimension == "slot_hour":
            return str(int(self.slot_hour))
        return str(getattr(self, dimension))


@dataclass(frozen=True, slots=True)
class BanditConfig:
    """Knobs, all with defaults from the research notes (docs/KPIS.md explains them)."""

    gamma: float = 0.85  # weight per week of age (half-life about 4 weeks)
    # Exploration floor per level: keeps logged propensities > 0 (off-policy evaluation).
    # Thompson sampling explores by itself; every forced random post costs value (a random
    # format alone loses about half the achievable gain), so the floor is kept small.
    epsilon: float = 0.005
    prior_sd: float = 1.0  # prior sd of each effect on the log scale (e^1 = 2.7x)
    # Per-dimension override of prior_sd, e.g. {"hook_style": 0.35}; hours use hour_prior_sd.
    # (Tighter per-dimension priors did not help in bench/optimizer.py; kept as a knob.)
    dimension_prior_sd: Mapping[str, float] | None = None
    noise_sd_prior: float = 0.8  # prior guess of the per-post noise sd (log scale)
    noise_prior_n: float = 5.0  # pseudo-observations behind that guess
    max_explore: float = 0.02  # cap on the total share spent on the floor, per dimension
    draws: int = 1000  # Thompson draws used to estimate selection probabilities
    # Width of the Thompson draws relative to the posterior (1 = plain Thompson sampling).
    # Plain TS is tuned for long horizons; here effects drift within weeks and each random
    # format or hook costs much of the gain, so draws at half width pay more (bench/optimizer
    # .py: +0.07 capture by week 4 on held-out seeds). Reasons and the ledger use width 1.
    draw_scale: float = 0.5
    win_probability: float = 0.9  # P(best beats runner-up) to call it a winner
    hour_length_scale: float = 3.0  # hours: neighbouring hours share evidence (0 = off)
    hour_prior_sd: float = 0.15  # prior sd of an hour's effect: time of day is a modest lever
    # Student-t noise (degrees of freedom; 0 = Gaussian): one viral post (5-20x reach, ~2 %
    # of posts) must not crown its format or hook on its own.
    robust_df: float = 4.0
    # Change detection: posts since a day boundary `drift_min_days`..`drift_max_days` ago are
    # tested against the model fitted before it; when they disagree beyond `drift_z`
    # (standard errors), older posts keep only `drift_reset_weight` of their weight. 5, not
    # 3-4: the test runs at every refit over ~20 boundaries, and a false alarm throws away
    # what was learned.
    detect_drift: bool = True
    drift_z: float = 5.0
    drift_min_days: int = 2
    drift_max_days: int = 42
    drift_reset_weight: float = 0.05


class ThompsonBandit:
    """Additive LinTS: one-hot features per level of each dimension, Gaussian posterior."""

    def __init__(
        self,
        levels: Mapping[str, Sequence[str | int]] | None = None,
        config: BanditConfig | None = None,
        seed: int | None = None,
        prior_mean: Mapping[str, Mapping[str | int, float]] | None = None,
    ) -> None:
        self.config = config or BanditConfig()
        #: Prior mean effect per level (e.g. hours from `online_followers`); 0 when absent.
        self.prior_mean: dict[str, dict[str, float]] = {
            dim: {str(k): float(v) for k, v in means.items()}
            for dim, means in (prior_mean or {}).items()
        }
        if not 0.0 < self.config.gamma <= 1.0:
            raise ValueError(f"gamma must be in (0, 1], got {self.config.gamma}")
        if not 0.0 <= self.config.epsilon < 1.0:
            raise ValueError(f"epsilon must be in [0, 1), got {self.config.epsilon}")
        self._levels: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
        for dim, values in (levels or {}).items():
            if dim not in self._levels:
                raise ValueError(f"unknown dimension {dim!r}; expected one of {DIMENSIONS}")
            for v in values:
                self._add_level(dim, str(v))
        self._rng = np.random.default_rng(seed)
        self._mean = np.zeros(0)
        self._cov = np.zeros((0, 0))
        self._baseline = 0.0
        self._noise_sd = self.config.noise_sd_prior
        self._counts: dict[str, dict[str, float]] = {d: {} for d in DIMENSIONS}
        self.n_observations = 0
        #: Start of the drift the last `fit` detected (older posts down-weighted), if any.
        self.drift_at: datetime | None = None
        self._fit_arrays()

    # -- model ------------------------------------------------------------------------
    def _add_level(self, dim: str, level: str) -> None:
        if level not in self._levels[dim]:
            self._levels[dim].append(level)

    @property
    def levels(self) -> dict[str, list[str]]:
        return {d: list(v) for d, v in self._levels.items()}

    def _index(self) -> dict[tuple[str, str], int]:
        idx: dict[tuple[str, str], int] = {}
        for dim in DIMENSIONS:
            for level in self._levels[dim]:
                idx[(dim, level)] = len(idx)
        return idx

    def _prior(self, index: dict[tuple[str, str], int]) -> tuple[np.ndarray, np.ndarray]:
        """Prior mean and covariance of all effects.

        Levels are independent N(prior_mean, prior_sd²), except posting hours: their
        effects are a smooth curve (a Gaussian-kernel covariance over circular hour
        distance), so a result at 19:00 also tells us about 18:00 and 20:00.
        """
        p = len(index)
        mean = np.zeros(p)
        cov = np.eye(p) * self.config.prior_sd**2
        sds = self.config.dimension_prior_sd or {}
        for (dim, level), i in index.items():
            mean[i] = self.prior_mean.get(dim, {}).get(level, 0.0)
            cov[i, i] = sds.get(dim, self.config.prior_sd) ** 2
        ell = self.config.hour_length_scale
        hours = [(int(lv), i) for (dim, lv), i in index.items() if dim == "slot_hour"]
        if ell > 0 and hours:
            s_curve = self.config.hour_prior_sd
            # A shared level (any hour vs the account mean) plus a smooth curve.
            shared = max(self.config.prior_sd**2 - s_curve**2, 0.0) * 0.25
            for h1, i in hours:
                for h2, j in hours:
                    d = min(abs(h1 - h2) % 24, 24 - abs(h1 - h2) % 24)
                    cov[i, j] = shared + s_curve**2 * math.exp(-(d**2) / (2 * ell**2))
                cov[i, i] += 1e-4
        return mean, cov

    def _fit_arrays(self) -> None:
        self._mean, self._cov = self._prior(self._index())

    def fit(self, observations: Sequence[Observation], now: datetime | None = None) -> None:
        """Recompute the posterior from all observations (cheap: a few dozen features).

        Weights are gamma**age_weeks relative to `now` (default: the newest observation).
        The noise scale is estimated from weighted residuals, shrunk to the prior guess, with
        Student-t weights so outliers count less. If the recent posts contradict the model
        fitted on older ones (a drift), the older posts are down-weighted: see `drift_at`.
        """
        for obs in observations:
            for dim in DIMENSIONS:
                self._add_level(dim, obs.level(dim))
        index = self._index()
        p = len(index)
        self.n_observations = len(observations)
        self.drift_at = None
        self._counts = {d: {lv: 0.0 for lv in self._levels[d]} for d in DIMENSIONS}
        if not observations:
            self._baseline = 0.0
            self._fit_arrays()
            return
        ref = utc(now) if now is not None else max(utc(o.at) for o in observations)
        n = len(observations)
        X = np.zeros((n, p))
        y = np.zeros(n)
        w = np.zeros(n)
        ages = np.zeros(n)  # seconds before `ref`
        for i, obs in enumerate(observations):
            for dim in DIMENSIONS:
                X[i, index[(dim, obs.level(dim))]] = 1.0
            y[i] = math.log1p(max(obs.value, 0.0))
            ages[i] = max((ref - utc(obs.at)).total_seconds(), 0.0)
            w[i] = self.config.gamma ** (ages[i] / _WEEK_S)
        m0, c0 = self._prior(index)
        # An intercept with a vague prior takes the account's level, so each dimension's
        # effects are judged against each other and an untried level is not favoured just
        # because exploited levels soaked up a shared offset.
        X1 = np.hstack([X, np.ones((n, 1))])
        prior_prec = np.zeros((p + 1, p + 1))
        prior_prec[:p, :p] = np.linalg.inv(c0)
        prior_prec[p, p] = 1.0 / _INTERCEPT_SD**2
        m1 = np.append(m0, 0.0)
        if self.config.detect_drift:
            cut = self._changepoint(X1, y, w, ages, prior_prec, m1)
            if cut is not None:
                w = np.where(ages > cut, w * self.config.drift_reset_weight, w)
                self.drift_at = ref - timedelta(seconds=cut)
        for i, obs in enumerate(observations):
            for dim in DIMENSIONS:
                self._counts[dim][obs.level(dim)] += w[i]
        self._baseline = float(np.average(y, weights=w))
        mean, cov, sigma2 = self._solve(X1, y - self._baseline, w, prior_prec, m1)
        self._noise_sd = math.sqrt(sigma2)
        self._baseline += float(mean[p])
        self._mean = mean[:p]
        cov = cov[:p, :p]
        self._cov = (cov + cov.T) / 2.0

    @property
    def _t_var(self) -> float:
        """Variance of the noise per unit scale² (Student-t: nu / (nu - 2))."""
        nu = self.config.robust_df
        return nu / (nu - 2.0) if nu > 2.0 else (1.0 if nu <= 0 else 3.0)

    def _solve(
        self, X1: np.ndarray, yc: np.ndarray, w: np.ndarray, prior_prec: np.ndarray,
        m1: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Weighted Bayesian regression; noise scale and Student-t weights by a few passes."""
        s0 = self.config.noise_sd_prior
        sigma2 = s0**2
        nu = self.config.robust_df
        u = np.ones_like(w)
        n0 = self.config.noise_prior_n
        passes = 4 if nu > 0 else 2
        for _ in range(passes):
            wu = w * u
            prec = prior_prec + (X1.T * wu) @ X1 / sigma2
            cov = np.linalg.inv(prec)
            mean = cov @ (prior_prec @ m1 + (X1.T * wu) @ yc / sigma2)
            resid = yc - X1 @ mean
            sigma2 = (n0 * s0**2 + float(wu @ resid**2)) / (
                n0 + float(w.sum())
            )
            if nu > 0:
                u = (nu + 1.0) / (nu + resid**2 / sigma2)
        return mean, cov, sigma2

    def _changepoint(
        self, X1: np.ndarray, y: np.ndarray, w: np.ndarray, ages: np.ndarray,
        prior_prec: np.ndarray, m1: np.ndarray,
    ) -> float | None:
        """Age (s) of the day boundary after which the posts break the older model most.

        For each boundary, the model is fitted on the posts before it and the posts after
        it are scored as standardised prediction errors (clipped at 3, so one viral post
        cannot trigger it). Two tests, each against `drift_z`:
        - level, one-sided: the policy posts what the model rates best, so after a drift
          those posts do worse than predicted. (Not two-sided: shrinkage makes the chosen
          posts beat their predictions a little even without drift.)
        - spread: errors scattered more widely than the noise allows (effects that moved
          in different directions), measured around their own mean.
        """
        cfg = self.config
        day = 24 * 3600.0
        found: float | None = None
        strongest = cfg.drift_z
        # Daily boundaries for two weeks, then every third day: a drift found weeks ago must
        # stay found, or its old posts would come back at full weight.
        days = [k for k in range(cfg.drift_min_days, cfg.drift_max_days + 1)
                if k <= 14 or k % 3 == 0]
        for k in days:
            cut = k * day
            after, before = ages <= cut, ages > cut
            n_after = int(after.sum())
            if n_after < 4 or int(before.sum()) < 10:
                continue
            base = float(np.average(y[before], weights=w[before]))
            mean, cov, sigma2 = self._solve(
                X1[before], y[before] - base, w[before], prior_prec, m1
            )
            xa = X1[after]
            pred_var = sigma2 * self._t_var + np.einsum("ij,jk,ik->i", xa, cov, xa)
            z = np.clip((y[after] - base - xa @ mean) / np.sqrt(pred_var), -3.0, 3.0)
            level = -float(z.sum()) / math.sqrt(n_after)
            dev = float(((z - z.mean()) ** 2).sum())
            spread = (dev - (n_after - 1) * _CLIPPED_Z2) / math.sqrt(2.0 * (n_after - 1))
            score = max(level, spread)
            if score > strongest:
                found, strongest = cut, score
        return found

    def _draw(self, rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
        """Posterior draws of all effects; `scale` < 1 narrows them (greedier allocation)."""
        if self._mean.size == 0:
            return np.zeros((n, 0))
        return rng.multivariate_normal(
            self._mean, self._cov * scale**2, size=n, method="cholesky"
        )

    def effects(self) -> dict[str, dict[str, tuple[float, float]]]:
        """Posterior (mean, sd) of each level's effect on log(1 + value)."""
        index = self._index()
        sd = np.sqrt(np.clip(np.diag(self._cov), 0.0, None))
        return {
            dim: {
                lv: (float(self._mean[index[(dim, lv)]]), float(sd[index[(dim, lv)]]))
                for lv in self._levels[dim]
            }
            for dim in DIMENSIONS
        }

    # -- policy -----------------------------------------------------------------------
    def floor_for(self, k: int) -> float:
        """Per-level exploration floor for a dimension with k open levels.

        `epsilon` each, but never more than `max_explore` in total: with 24 posting hours a
        5 % floor each would leave nothing for what the model has learned.
        """
        if k <= 1:
            return 1.0 if k == 1 else 0.0
        return min(self.config.epsilon, self.config.max_explore / k)

    def _floor(self, probs: np.ndarray) -> np.ndarray:
        eps = self.floor_for(probs.size)
        return (1.0 - probs.size * eps) * probs + eps

    def choose(
        self,
        n: int = 1,
        rng: np.random.Generator | None = None,
        exclude: Mapping[str, Collection[str]] | None = None,
        distinct: Collection[str] = ("slot_hour",),
    ) -> list[dict[str, str]]:
        """Levels for the next `n` posts: one Thompson draw per post, with the floor.

        Each post gets, per dimension, a uniformly random open level with probability
        k·floor, else the best level of its own posterior draw, so each level's chance is
        exactly the `sample_preferences` probability. Dimensions in `distinct` (posting
        hours: one post per hour a day) do not repeat a level within the batch while
        unused levels remain.
        """
        rng = rng if rng is not None else self._rng
        theta = self._draw(rng, n, self.config.draw_scale)
        index = self._index()
        used: dict[str, set[str]] = {d: set() for d in distinct}
        picks: list[dict[str, str]] = []
        for i in range(n):
            pick: dict[str, str] = {}
            for dim in DIMENSIONS:
                banned = {str(x) for x in (exclude or {}).get(dim, ())}
                levels = [lv for lv in self._levels[dim] if lv not in banned]
                if dim in used:
                    fresh = [lv for lv in levels if lv not in used[dim]]
                    levels = fresh or levels
                if not levels:
                    continue
                k = len(levels)
                if rng.random() < k * self.floor_for(k):
                    choice = levels[int(rng.integers(k))]
                else:
                    cols = [index[(dim, lv)] for lv in levels]
                    choice = levels[int(np.argmax(theta[i, cols]))]
                pick[dim] = choice
                if dim in used:
                    used[dim].add(choice)
            picks.append(pick)
        return picks


    def sample_preferences(
        self,
        rng: np.random.Generator | None = None,
        draws: int | None = None,
        exclude: Mapping[str, Collection[str]] | None = None,
    ) -> dict[str, dict[str, float]]:
        """Selection probability of each level: share of Thompson draws where it is best.

        Dimensions are additive, so each one's argmax is independent of the others. The
        exploration floor is mixed in so every level keeps at least `epsilon`. Levels in
        `exclude` (e.g. paused by a rule) get probability 0 and are left out of the floor.
        """
        rng = rng if rng is not None else self._rng
        n = draws or self.config.draws
        theta = self._draw(rng, n, self.config.draw_scale)
        index = self._index()
        out: dict[str, dict[str, float]] = {}
        for dim in DIMENSIONS:
            banned = {str(x) for x in (exclude or {}).get(dim, ())}
            levels = [lv for lv in self._levels[dim] if lv not in banned]
            out[dim] = {lv: 0.0 for lv in self._levels[dim] if lv in banned}
            if not levels:
                continue
            cols = [index[(dim, lv)] for lv in levels]
            wins = np.bincount(np.argmax(theta[:, cols], axis=1), minlength=len(levels))
            probs = self._floor(wins / float(n))
            out[dim].update({lv: float(p) for lv, p in zip(levels, probs, strict=True)})
        return out

    def decide(
        self,
        account: str,
        now: datetime,
        rng: np.random.Generator | None = None,
        exclude: Mapping[str, Collection[str]] | None = None,
    ) -> list[Decision]:
        """One Decision per dimension: the level to favour, why, and the allocation.

        Pass `exclude=paused_levels(rule_decisions)` so paused levels get no posts.
        """
        rng = rng if rng is not None else self._rng
        prefs = self.sample_preferences(rng, exclude=exclude)
        theta = self._draw(rng, self.config.draws)
        index = self._index()
        decisions: list[Decision] = []
        for dim in DIMENSIONS:
            probs = prefs[dim]
            banned = {str(x) for x in (exclude or {}).get(dim, ())}
            ranked = sorted(
                (lv for lv in probs if lv not in banned), key=lambda lv: probs[lv], reverse=True
            )
            if not ranked:
                continue
            best = ranked[0]
            reason = self._reason(dim, ranked, theta, index)
            decisions.append(
                Decision(
                    account=account,
                    kind=dim,
                    choice=best,
                    reason=reason,
                    probabilities=dict(probs),
                    made_at=utc(now),
                )
            )
        return decisions

    def _reason(
        self,
        dim: str,
        ranked: list[str],
        theta: np.ndarray,
        index: dict[tuple[str, str], int],
    ) -> str:
        best = ranked[0]
        seen = self._counts[dim].get(best, 0.0)
        if self.n_observations == 0 or seen == 0.0:
            return f"{NO_RESULTS} for {_label(dim, best)}: exploring evenly"
        if len(ranked) == 1:
            return f"{_label(dim, best)} is the only option"
        runner = ranked[1]
        i, j = index[(dim, best)], index[(dim, runner)]
        uplift = math.exp(float(self._mean[i] - self._mean[j])) - 1.0
        p_better = float(np.mean(theta[:, i] > theta[:, j])) if theta.size else 0.5
        decided = p_better >= self.config.win_probability
        plural = dim in ("format", "slot_hour")
        verb = ("beat" if plural else "beats") if decided else ("lead" if plural else "leads")
        text = (
            f"{_label(dim, best, plural=True)} {verb} {_label(dim, runner, plural=True)} "
            f"by {uplift:+.0%} value (p={p_better:.2f})"
        )
        if not decided:
            text = f"{text}; {STILL_TESTING}"
        if self.drift_at is not None:
            text = (f"{text}; results changed around {self.drift_at:%Y-%m-%d}, "
                    "older posts count less")
        return text


def _label(dim: str, level: str, plural: bool = False) -> str:
    if dim == "slot_hour":
        return f"{int(level):02d}:00 posts" if plural else f"{int(level):02d}:00"
    if dim == "format":
        return f"{level}s" if plural and not level.endswith("s") else level
    noun = {"pillar": "pillar", "hook_style": "hook style"}.get(dim, dim)
    return f"{noun} '{level}'"


def paused_levels(decisions: Sequence[Decision]) -> dict[str, set[str]]:
    """{dimension: levels} from rule decisions of kind "pause" (choice "dimension:level")."""
    out: dict[str, set[str]] = {}
    for d in decisions:
        if d.kind == "pause":
            dim, _, level = d.choice.partition(":")
            out.setdefault(dim, set()).add(level)
    return out


def winner(decision: Decision, threshold: float = 0.5) -> str | None:
    """The decision's choice if its selection probability reaches `threshold`."""
    p = decision.probabilities.get(decision.choice, 0.0)
    return decision.choice if p >= threshold else None
