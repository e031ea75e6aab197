"""Seeded audience model: how a post's lifetime metrics follow from what and when it was posted.

Pure and deterministic for a seed. Calibrated on kpis-optimizer-simulator.md §5 and §1.3
(10k-follower creator). Hidden parameters are derived from the seed, so an optimizer can
learn them while a benchmark can ask the oracle (`expected_value`) for the truth.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass, field

FORMATS = ("image", "carousel", "reel", "story")
HOOK_STYLES = (
    "question", "listicle", "pov", "contrarian", "myth", "how_to", "story", "statement",
)

# Follower reach rate and extra non-follower reach as a share of follower reach (§5.1):
# reels ≈ 2.25× images and ≈ 1.4× carousels in total reach.
_FOLLOWER_RR = {"image": 0.22, "carousel": 0.28, "reel": 0.30, "story": 0.08}
_NONFOLLOWER_SHARE = {"image": 0.15, "carousel": 0.45, "reel": 0.90, "story": 0.02}
# Interactions per reach (§5.2).
_RATES = {
    "image": {"likes": 0.034, "comments": 0.0020, "saved": 0.0020, "shares": 0.0015},
    "carousel": {"likes": 0.030, "comments": 0.0012, "saved": 0.0045, "shares": 0.0025},
    "reel": {"likes": 0.036, "comments": 0.0013, "saved": 0.0045, "shares": 0.0040},
    "story": {"likes": 0.0, "comments": 0.0, "saved": 0.0, "shares": 0.0010},
}
_VIEWS_PER_REACH = {"image": 1.35, "carousel": 1.9, "reel": 1.6, "story": 1.1}
_REACH_SIGMA = 0.6
_VIRAL_P = 0.02
_VIRAL_LO, _VIRAL_HI = 5.0, 20.0
_RATE_CONCENTRATION = 200.0
_STOPWORDS = frozenset({
    'the', 'and', 'for', 'you', 'your', 'with', 'this', 'that', 'from', 'have', 'what', 'when',
    'will', 'just', 'into', 'are', 'was', 'were', 'they', 'them', 'then', 'than', 'been',
    'more', 'most', 'some', 'here', 'there', 'about', 'how', 'why', 'who', 'its', "it's",
    'our', 'can', 'not', "don't", 'dont', 'stop', 'myth', 'pov',
})
_WORD_RE = re.compile(r"[a-z][a-z0-9_]{3,}")
_TAG_RE = re.compile(r"#(\w+)")

DEFAULT_WEIGHTS = {"likes": 1.0, "saved": 3.0, "shares": 5.0, "follows": 20.0}


def _h(seed: int, *parts: object) -> int:
    key = "|".join([str(seed), *map(str, parts)]).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(_h(seed, *parts))


def hook_style(caption: str) -> str:
    """Infer the hook style from the caption's first line (same rules the generator can use)."""
    first = caption.strip().splitlines()[0].strip() if caption.strip() else ""
    low = first.lower()
    if low.startswith("pov"):
        return "pov"
    if low.startswith("myth") or " myth" in low[:40]:
        return "myth"
    if re.match(r"^(stop|don'?t|never|quit)\b", low) or "mistake" in low:
        return "contrarian"
    if low.startswith("how to") or low.startswith("how i "):
        return "how_to"
    if re.match(r"^\d", low):
        return "listicle"
    if "?" in first:
        return "question"
    if re.match(r"^(i|i'm|i've|my|when i)\b", low):
        return "story"
    return "statement"


def topic_words(caption: str, hashtags: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Hashtags (as words) plus content words from the caption, lowercased, deduplicated."""
    words: list[str] = [t.lower().lstrip("#") for t in hashtags]
    words += [t.lower() for t in _TAG_RE.findall(caption)]
    words += [w for w in _WORD_RE.findall(_TAG_RE.sub(" ", caption.lower()))
              if w not in _STOPWORDS]
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(w, None)
    return tuple(seen)[:16]


@dataclass(frozen=True, slots=True)
class PostFeatures:
    """What the audience reacts to. `local_hour` is in the account's time zone."""

    format: str
    caption: str = ""
    hashtags: tuple[str, ...] = ()
    local_hour: int = 12
    weekday: int = 0
    followers: int = 10_000
    trend_boost: float = 1.0
    duration_s: float = 15.0
    hook: str | None = None  # overrides the inferred hook style

    @property
    def hook_style(self) -> str:
        return self.hook or hook_style(self.caption)


@dataclass
class AudienceModel:
    """Hidden, seeded audience parameters and the metric formulas built on them."""

    seed: int = 0
    topic_sigma: float = 0.35
    hook_sigma: float = 0.3
    _hook_reach: dict[str, float] = field(default_factory=dict, init=False)
    _hook_eng: dict[str, float] = field(default_factory=dict, init=False)
    _curve: list[float] = field(default_factory=list, init=False)
    _slot: list[float] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        rng = _rng(self.seed, "hooks")
        for style in HOOK_STYLES:
            self._hook_reach[style] = math.exp(rng.gauss(0.0, self.hook_sigma))
            self._hook_eng[style] = math.exp(rng.gauss(0.0, self.hook_sigma * 0.5))
        rng = _rng(self.seed, "curve")
        peak = 19.0 + rng.uniform(-1.5, 1.5)
        midday = 12.5 + rng.uniform(-1.0, 1.0)
        raw = []
        for h in range(24):
            evening = math.exp(-((_circ(h, peak)) ** 2) / (2 * 2.2**2))
            noon = 0.5 * math.exp(-((_circ(h, midday)) ** 2) / (2 * 1.5**2))
            night = -0.6 * math.exp(-((_circ(h, 4.0)) ** 2) / (2 * 2.5**2))
            raw.append(1.0 + 0.5 * (evening + noon + night))
        mean = sum(raw) / 24
        self._curve = [v / mean for v in raw]
        # Hidden offset: the best slot is near, but not at, the activity peak (§5.1).
        offset = rng.choice((-2, -1, 1, 2))
        shifted = [self._curve[(h + offset) % 24] for h in range(24)]
        lo, hi = min(shifted), max(shifted)
        self._slot = [0.75 + 0.5 * (v - lo) / (hi - lo) for v in shifted]
        smean = sum(self._slot) / 24
        self._slot = [v / smean for v in self._slot]

    # --- hidden parameters (exposed for oracles and tests) ---
    def online_curve(self) -> list[float]:
        """Relative share of followers online per local hour (mean 1.0)."""
        return list(self._curve)

    def slot_weight(self, local_hour: int) -> float:
        return self._slot[local_hour % 24]

    def hook_multiplier(self, style: str) -> float:
        return self._hook_reach.get(style, 1.0)

    def word_affinity(self, word: str) -> float:
        """Seeded per-keyword log-affinity ~ N(0, 1)."""
        return _rng(self.seed, "word", word.lower()).gauss(0.0, 1.0)

    def topic_multiplier(self, words: tuple[str, ...]) -> float:
        if not words:
            return 1.0
        zs = sorted((self.word_affinity(w) for w in words), reverse=True)
        # Strongest keywords dominate what the audience thinks the post is about.
        top = zs[:3]
        return math.exp(self.topic_sigma * sum(top) / len(top))

    # --- formulas ---
    def expected_metrics(self, f: PostFeatures) -> dict[str, float]:
        """Expected lifetime (fully accrued) metrics, noise averaged out."""
        fmt = f.format if f.format in FORMATS else "image"
        followers = max(f.followers, 50)
        size_factor = (10_000 / followers) ** 0.12
        words = topic_words(f.caption, f.hashtags)
        mult = (
            self.topic_multiplier(words)
            * self.hook_multiplier(f.hook_style)
            * self.slot_weight(f.local_hour)
            * max(f.trend_boost, 0.0)
        )
        noise_mean = 1.0 + _VIRAL_P * ((_VIRAL_LO + _VIRAL_HI) / 2 - 1.0)
        follower_reach = followers * _FOLLOWER_RR[fmt] * size_factor * mult * noise_mean
        nonfollower_reach = follower_reach * _NONFOLLOWER_SHARE[fmt]
        return self._derive(fmt, f, follower_reach, nonfollower_reach, rate_draw=None)

    def expected_value(self, f: PostFeatures, weights: dict[str, float] | None = None) -> float:
        """Oracle business value E[V] (§5.6): likes + 3·saves + 5·shares + 20·follows."""
        w = weights or DEFAULT_WEIGHTS
        m = self.expected_metrics(f)
        return sum(w.get(k, 0.0) * m.get(k, 0.0) for k in w)

    def realized_metrics(self, f: PostFeatures, media_key: str) -> dict[str, float]:
        """One draw of lifetime metrics for a published media (deterministic per key)."""
        fmt = f.format if f.format in FORMATS else "image"
        rng = _rng(self.seed, "media", media_key)
        eps = math.exp(rng.gauss(0.0, _REACH_SIGMA) - _REACH_SIGMA**2 / 2)
        if rng.random() < _VIRAL_P:
            eps *= rng.uniform(_VIRAL_LO, _VIRAL_HI)
        followers = max(f.followers, 50)
        size_factor = (10_000 / followers) ** 0.12
        words = topic_words(f.caption, f.hashtags)
        mult = (
            self.topic_multiplier(words)
            * self.hook_multiplier(f.hook_style)
            * self.slot_weight(f.local_hour)
            * max(f.trend_boost, 0.0)
        )
        raw = followers * _FOLLOWER_RR[fmt] * size_factor * mult * eps
        # A post cannot reach more followers than exist; the overflow spreads to non-followers.
        follower_reach = min(raw, followers * 0.95)
        nonfollower_reach = raw * _NONFOLLOWER_SHARE[fmt] + (raw - follower_reach)
        return self._derive(fmt, f, follower_reach, nonfollower_reach, rate_draw=rng)

    def _derive(
        self,
        fmt: str,
        f: PostFeatures,
        follower_reach: float,
        nonfollower_reach: float,
        rate_draw: random.Random | None,
    ) -> dict[str, float]:
        reach = follower_reach + nonfollower_reach
        eng = self._hook_eng.get(f.hook_style, 1.0)

        def rate(mean: float) -> float:
            mean = min(mean * eng, 0.5)
            if rate_draw is None or mean <= 0:
                return mean
            # At least a=2 so rare interactions are overdispersed but not mostly zero.
            conc = max(_RATE_CONCENTRATION, 2.0 / mean)
            a, b = mean * conc, (1 - mean) * conc
            return rate_draw.betavariate(a, b)

        r = _RATES[fmt]
        out: dict[str, float] = {
            "reach": reach,
            "follower_reach": follower_reach,
            "nonfollower_reach": nonfollower_reach,
            "likes": reach * rate(r["likes"]) if r["likes"] else 0.0,
            "comments": reach * rate(r["comments"]) if r["comments"] else 0.0,
            "saved": reach * rate(r["saved"]) if r["saved"] else 0.0,
            "shares": reach * rate(r["shares"]),
            "views": reach * _VIEWS_PER_REACH[fmt],
            "profile_visits": reach * rate(0.015),
            "follows": follower_reach * 0.0008 + nonfollower_reach * rate(0.004),
            "reposts": reach * rate(0.0004),
        }
        out["total_interactions"] = out["likes"] + out["comments"] + out["saved"] + out["shares"]
        out["profile_activity"] = out["profile_visits"] * 0.12
        if fmt == "story":
            out["replies"] = reach * rate(0.006)
            out["navigation"] = reach * 0.9
            out["link_clicks"] = reach * rate(0.03) * 0.3
            out["total_interactions"] += out["replies"]
        if fmt == "reel":
            hook = self.hook_multiplier(f.hook_style)
            through = min(0.95, 0.35 * hook**0.5)
            if rate_draw is not None:
                through = min(0.95, max(0.02, rate_draw.gauss(through, 0.05)))
            skip = min(0.95, max(0.05, 0.45 / hook**0.5))
            avg_ms = max(f.duration_s, 1.0) * through * 1000.0
            out["ig_reels_avg_watch_time"] = avg_ms
            out["ig_reels_video_view_total_time"] = avg_ms * out["views"]
            out["reels_skip_rate"] = skip
        return out

    @staticmethod
    def accrual_fraction(age_hours: float) -> float:
        """Share of lifetime metrics reached at this age: 50% by 24 h, ~88% by 72 h."""
        if age_hours <= 0:
            return 0.0
        return 1.0 - 2.0 ** (-age_hours / 24.0)


RATIO_METRICS = frozenset({"ig_reels_avg_watch_time", "reels_skip_rate"})


def _circ(h: float, center: float) -> float:
    d = abs(h - center) % 24
    return min(d, 24 - d)
