"""Optimizer benchmark: 12 simulated weeks x 3 posts a day on the simulator's audience model.

Each seed draws a hidden world (the simulator's `AudienceModel` plus seeded per-format
reach multipliers): a best format, hook style, pillar (topic words) and posting hours.
At the start of week 7 the world drifts (a new audience seed: hooks, topics, hours and
format multipliers all change). Policies see only what the Graph API would give them:
one noisy draw of lifetime metrics per post (`realized_metrics`), with `follows` removed
for reels (the API rejects it) and the account's daily new followers (plus organic
follows we cannot attribute), and learn from the business value
likes + 3 saves + 5 shares + 20 follows. Results are revealed the next day, as the value
and the metrics it came from (`observe` gets both; our optimizer models the value).

The oracle (`AudienceModel.expected_value`) knows the expected value of every
(format, hook, pillar, hour) combination. Per week we print the share of the oracle's
gain over uniform random that each policy captures:
    capture = (E[value | policy] - E[value | uniform]) / (E[value | oracle] - E[value | uniform])
averaged over seeds, and the cumulative pseudo-regret (oracle minus expected value of the
chosen posts, as a share of the oracle's total).

    python bench/optimizer.py            # 24 seeds
    python bench/optimizer.py --quick    # 20 seeds (the issue's minimum), same weeks
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from contentloop.analytics.attribution import impute_reel_follows
from contentloop.analytics.kpis import PostResult, business_value
from contentloop.optimize.bandit import BanditConfig, Observation, ThompsonBandit
from contentloop.optimize.timing import hour_prior
from contentloop.sim.audience import HOOK_STYLES, AudienceModel, PostFeatures

FORMATS = ("image", "carousel", "reel")
PILLARS: dict[str, tuple[str, ...]] = {
    "basics": ("beginners", "fundamentals", "starter"),
    "budget": ("cheap", "savings", "thrifty"),
    "science": ("research", "evidence", "studies"),
    "lifestyle": ("routine", "weekend", "aesthetic"),
}
HOURS = tuple(range(24))
WEEKS = 12
DRIFT_WEEK = 7  # 1-based: the first week of the new world
POSTS_PER_DAY = 3
FOLLOWERS = 10_000
START = datetime(2026, 1, 5, tzinfo=UTC)
FIXED_HOURS = (9, 13, 19)  # the "best time to post" of the usual studies
API_HIDDEN_FOR_REELS = ("follows", "profile_visits")


@dataclass
class World:
    """One hidden audience: the simulator's model plus seeded format multipliers."""

    model: AudienceModel
    format_mult: dict[str, float]
    table: np.ndarray = field(init=False)  # [format, hook, pillar, hour] -> E[value]

    def __post_init__(self) -> None:
        f_n, k_n, p_n = len(FORMATS), len(HOOK_STYLES), len(PILLARS)
        self.table = np.zeros((f_n, k_n, p_n, 24))
        for i, fmt in enumerate(FORMATS):
            for j, hook in enumerate(HOOK_STYLES):
                for k, pillar in enumerate(PILLARS):
                    base = self.model.expected_value(self.features(fmt, hook, pillar, 0))
                    for h in HOURS:
                        # Every metric is proportional to reach, and reach to the slot weight.
                        self.table[i, j, k, h] = (
                            base * self.model.slot_weight(h) / self.model.slot_weight(0)
                        )

    def features(self, fmt: str, hook: str, pillar: str, hour: int) -> PostFeatures:
        return PostFeatures(
            format=fmt,
            hashtags=PILLARS[pillar],
            local_hour=hour,
            followers=FOLLOWERS,
            trend_boost=self.format_mult[fmt],
            duration_s=20.0,
            hook=hook,
        )

    def ev(self, c: dict[str, str]) -> float:
        return float(
            self.table[
                FORMATS.index(c["format"]),
                HOOK_STYLES.index(c["hook_style"]),
                list(PILLARS).index(c["pillar"]),
                int(c["slot_hour"]),
            ]
        )

    def oracle_per_post(self) -> float:
        """Best combination at the best 3 distinct hours of a day."""
        best = self.table.max(axis=3).max()
        idx = np.unravel_index(np.argmax(self.table.max(axis=3)), self.table.shape[:3])
        hours = np.sort(self.table[idx])[-POSTS_PER_DAY:]
        return float(hours.mean()) if best > 0 else 0.0

    def random_per_post(self) -> float:
        return float(self.table.mean())

    def online_followers(self, rng: np.random.Generator) -> dict[int, float]:
        curve = self.model.online_curve()
        return {h: 0.28 * FOLLOWERS * curve[h] * rng.uniform(0.95, 1.05) for h in HOURS}


def make_world(seed: int, phase: int) -> World:
    model = AudienceModel(seed=seed * 101 + phase * 7919)
    rng = np.random.default_rng([seed, phase, 17])
    mult = {f: float(math.exp(rng.normal(0.0, 0.5))) for f in FORMATS}
    return World(model, mult)


#: (levels, business value, published at, metrics) of one post, as the API reports it.
Result = tuple[dict[str, str], float, datetime, dict[str, float]]

# -- policies ------------------------------------------------------------------------------


class Policy:
    name = "policy"

    def plan_day(self, day: int, rng: np.random.Generator) -> list[dict[str, str]]:
        raise NotImplementedError

    def observe(self, results: Sequence[Result], now: datetime, online: dict[int, float]) -> None:
        """Results of the previous day: levels, value and metrics as measured via the API."""


def _levels() -> dict[str, list[str]]:
    return {
        "format": list(FORMATS),
        "pillar": list(PILLARS),
        "hook_style": list(HOOK_STYLES),
        "slot_hour": [str(h) for h in HOURS],
    }


class Ours(Policy):
    """contentloop's optimizer with its default config: additive Thompson sampling (narrowed
    draws, Student-t noise, drift detector) with the online_followers prior for hours."""

    name = "ours"

    def __init__(self, seed: int, config: BanditConfig | None = None) -> None:
        self.config = config or BanditConfig()
        self.bandit = ThompsonBandit(_levels(), self.config, seed=seed)
        self.obs: list[Observation] = []
        self.rng = np.random.default_rng(seed)

    def plan_day(self, day: int, rng: np.random.Generator) -> list[dict[str, str]]:
        return self.bandit.choose(POSTS_PER_DAY, self.rng)

    def observe(self, results, now, online) -> None:  # type: ignore[no-untyped-def]
        for c, value, at, metrics in results:
            self.obs.append(
                Observation(c["format"], c["pillar"], c["hook_style"], int(c["slot_hour"]),
                            value, at, metrics)
            )
        prior, _ = hour_prior(online, ())
        scale = 0.5  # as in timing.score_hours: 2x more followers online is not 2x value
        self.bandit = ThompsonBandit(
            _levels(), self.config, seed=int(self.rng.integers(1 << 31)),
            prior_mean={"slot_hour": {str(h): scale * v for h, v in prior.items()}},
        )
        self.bandit.fit(self.obs, now=now)


class CleanSignal(Ours):
    """What-if, not a policy: our optimizer fed E[value] x lognormal(noise_sd) instead of the
    measured value, to show how far the targets are limited by the per-post noise."""

    def __init__(self, seed: int, noise_sd: float) -> None:
        super().__init__(seed)
        self.noise_sd = noise_sd
        self.worlds = {0: make_world(seed, 0), 1: make_world(seed, 1)}
        self.noise = np.random.default_rng([seed, 5])

    def observe(self, results, now, online) -> None:  # type: ignore[no-untyped-def]
        clean = []
        for c, _value, at, metrics in results:
            week = (at - START).days // 7
            ev = self.worlds[0 if week + 1 < DRIFT_WEEK else 1].ev(c)
            clean.append((c, ev * math.exp(self.noise.normal(0.0, self.noise_sd)), at, metrics))
        super().observe(clean, now, online)


class UniformRandom(Policy):
    name = "random"

    def plan_day(self, day: int, rng: np.random.Generator) -> list[dict[str, str]]:
        hours = rng.choice(24, size=POSTS_PER_DAY, replace=False)
        return [
            {
                "format": FORMATS[rng.integers(len(FORMATS))],
                "pillar": list(PILLARS)[rng.integers(len(PILLARS))],
                "hook_style": HOOK_STYLES[rng.integers(len(HOOK_STYLES))],
                "slot_hour": str(int(h)),
            }
            for h in hours
        ]


class FixedSchedule(Policy):
    """What a scheduler does without learning: fixed hours, everything rotated."""

    name = "fixed"

    def plan_day(self, day: int, rng: np.random.Generator) -> list[dict[str, str]]:
        out = []
        for i, h in enumerate(FIXED_HOURS):
            n = day * POSTS_PER_DAY + i
            out.append(
                {
                    "format": FORMATS[n % len(FORMATS)],
                    "pillar": list(PILLARS)[(n // 3) % len(PILLARS)],
                    "hook_style": HOOK_STYLES[(n // 2) % len(HOOK_STYLES)],
                    "slot_hour": str(h),
                }
            )
        return out


class EpsilonGreedy(Policy):
    """Per dimension: the level with the best mean log value, or a random one w.p. epsilon."""

    name = "egreedy"

    def __init__(self, epsilon: float = 0.1) -> None:
        self.epsilon = epsilon
        self.sums: dict[str, dict[str, float]] = {d: {} for d in _levels()}
        self.counts: dict[str, dict[str, int]] = {d: {} for d in _levels()}

    def _best(self, dim: str, exclude: set[str], rng: np.random.Generator) -> str:
        levels = [lv for lv in _levels()[dim] if lv not in exclude]
        if rng.random() < self.epsilon:
            return levels[rng.integers(len(levels))]
        unseen = [lv for lv in levels if not self.counts[dim].get(lv)]
        if unseen:
            return unseen[rng.integers(len(unseen))]
        return max(levels, key=lambda lv: self.sums[dim][lv] / self.counts[dim][lv])

    def plan_day(self, day: int, rng: np.random.Generator) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        used: set[str] = set()
        for _ in range(POSTS_PER_DAY):
            c = {d: self._best(d, used if d == "slot_hour" else set(), rng) for d in _levels()}
            used.add(c["slot_hour"])
            out.append(c)
        return out

    def observe(self, results, now, online) -> None:  # type: ignore[no-untyped-def]
        for c, value, *_ in results:
            y = math.log1p(max(value, 0.0))
            for d in _levels():
                self.sums[d][c[d]] = self.sums[d].get(c[d], 0.0) + y
                self.counts[d][c[d]] = self.counts[d].get(c[d], 0) + 1


# -- simulation ----------------------------------------------------------------------------


def measured_values(
    world: World, day_posts: list[dict[str, str]], key: str, rng: np.random.Generator
) -> list[tuple[float, dict[str, float]]]:
    """What the account would measure: API metrics (no reel follows) + imputed follows.

    Per post: the business value and the metrics it was computed from."""
    results: list[PostResult] = []
    true_follows = 0.0
    for i, c in enumerate(day_posts):
        f = world.features(c["format"], c["hook_style"], c["pillar"], int(c["slot_hour"]))
        m = world.model.realized_metrics(f, f"{key}-{i}")
        true_follows += m["follows"]
        if c["format"] == "reel":
            m = {k: v for k, v in m.items() if k not in API_HIDDEN_FOR_REELS}
        results.append(
            PostResult(
                post_id=f"{key}-{i}", media_id="", account="bench", format=c["format"],
                pillar=c["pillar"], hook_style=c["hook_style"], hour_local=int(c["slot_hour"]),
                published_at=START, metrics=m,
            )
        )
    organic = max(rng.normal(8.0, 3.0), 0.0)  # follows from outside these posts
    filled = impute_reel_follows(results, new_followers=true_follows + organic)
    return [(business_value(p), dict(p.metrics)) for p in filled]


def run_policy(policy: Policy, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per week: mean capture of oracle gain, and the pseudo-regret per week."""
    worlds = {0: make_world(seed, 0), 1: make_world(seed, 1)}
    rng = np.random.default_rng([seed, 99])
    sim_rng = np.random.default_rng([seed, 7])
    capture = np.zeros(WEEKS)
    regret = np.zeros(WEEKS)
    pending: list[Result] = []
    for week in range(WEEKS):
        world = worlds[0 if week + 1 < DRIFT_WEEK else 1]
        oracle, uniform = world.oracle_per_post(), world.random_per_post()
        evs = []
        for d in range(7):
            day = week * 7 + d
            now = START + timedelta(days=day)
            if pending:
                policy.observe(pending, now, world.online_followers(sim_rng))
                pending = []
            posts = policy.plan_day(day, rng)
            values = measured_values(world, posts, f"{seed}-{policy.name}-{day}", sim_rng)
            for c, (v, metrics) in zip(posts, values, strict=True):
                at = now + timedelta(hours=int(c["slot_hour"]))
                pending.append((c, v, at, metrics))
                evs.append(world.ev(c))
        mean_ev = float(np.mean(evs))
        capture[week] = (mean_ev - uniform) / (oracle - uniform)
        regret[week] = (oracle - mean_ev) * len(evs) / (oracle * len(evs))
    return capture, regret


def recovery_weeks(curve: np.ndarray) -> float:
    """Weeks after the drift until capture is back to min(0.8, 0.9 x pre-drift level)."""
    before = curve[DRIFT_WEEK - 2]
    threshold = min(0.8, 0.9 * before)
    for k, value in enumerate(curve[DRIFT_WEEK - 1 :], start=1):
        if value >= threshold:
            return float(k)
    return math.inf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 seeds instead of 24")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument(
        "--what-if", action="store_true",
        help="also run our optimizer on E[value] x lognormal noise (sd 0, 0.3, 0.6)",
    )
    parser.add_argument(
        "--ablation", action="store_true",
        help="also run the optimizer's earlier configs, one change at a time",
    )
    args = parser.parse_args()
    n_seeds = args.seeds or (20 if args.quick else 24)
    started = time.perf_counter()
    makers = {
        "ours": lambda s: Ours(seed=s),
        "random": lambda s: UniformRandom(),
        "fixed": lambda s: FixedSchedule(),
        "egreedy": lambda s: EpsilonGreedy(),
    }
    if args.ablation:
        old = BanditConfig(epsilon=0.02, max_explore=0.1, draw_scale=1.0, robust_df=0.0,
                           detect_drift=False)  # the optimizer before issue 8's tuning
        steps = {
            "v0_before": old,
            "v1_floor": replace(old, epsilon=0.005, max_explore=0.02),
            "v2_robust": replace(old, epsilon=0.005, max_explore=0.02, robust_df=4.0),
            "v3_narrow": replace(old, epsilon=0.005, max_explore=0.02, robust_df=4.0,
                                 draw_scale=0.5),
        }  # + the drift detector = "ours"
        for label, cfg in steps.items():
            makers[label] = lambda s, cfg=cfg: Ours(seed=s, config=cfg)
    if args.what_if:
        for sd in (0.0, 0.3, 0.6):
            makers[f"whatif_sd{sd:g}"] = lambda s, sd=sd: CleanSignal(s, sd)
    curves: dict[str, np.ndarray] = {}
    regrets: dict[str, np.ndarray] = {}
    for name, make in makers.items():
        caps, regs = [], []
        for seed in range(n_seeds):
            c, r = run_policy(make(seed), seed)
            caps.append(c)
            regs.append(r)
        curves[name] = np.mean(caps, axis=0)
        regrets[name] = np.mean(regs, axis=0)
    print(f"# {n_seeds} seeds x {WEEKS} weeks x {POSTS_PER_DAY} posts/day; drift at week "
          f"{DRIFT_WEEK}; {time.perf_counter() - started:.1f} s")
    print("# capture of the oracle's gain over uniform random, per week (mean over seeds)")
    width = {n: max(8, len(n)) for n in makers}
    print("# week  " + "  ".join(f"{n:>{width[n]}}" for n in makers))
    for w in range(WEEKS):
        print(f"# {w + 1:4d}  " + "  ".join(f"{curves[n][w]:{width[n]}.2f}" for n in makers))
    print("# cumulative pseudo-regret, share of the oracle's value: "
          + ", ".join(f"{n} {regrets[n].mean():.2f}" for n in makers))
    for name in makers:
        prefix = "" if name == "ours" else f"{name}_"
        print(f"{prefix}capture_week4={curves[name][3]:.3f}")
        print(f"{prefix}capture_week8={curves[name][7]:.3f}")  # 2nd week after the drift
        print(f"{prefix}capture_week12={curves[name][11]:.3f}")
        print(f"{prefix}recovery_weeks={recovery_weeks(curves[name]):g}")
        print(f"{prefix}regret_share={regrets[name].mean():.3f}")


if __name__ == "__main__":
    main()
