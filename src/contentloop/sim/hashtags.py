"""Hashtag store: static ids, seeded trend pulses, and the public media seen under each tag."""

from __future__ import annotations

import hashlib
import math
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

VOCABULARY = (
    "fitness", "homeworkout", "mealprep", "healthyrecipes", "vegan", "coffee", "travel",
    "budgettravel", "productivity", "studytips", "personalfinance", "investing", "sidehustle",
    "skincare", "minimalism", "plantsofinstagram", "gardening", "diy", "homedecor", "ai",
    "chatgpt", "smallbusiness", "marketingtips", "photography", "running", "yoga",
    "mentalhealth", "selfcare", "booktok", "bookstagram", "cooking", "baking", "streetfood",
    "fashion", "thrifting", "sustainability", "parenting", "dogsofinstagram", "catsofinstagram",
    "techtips",
)
_WORDS = ("easy", "quick", "best", "new", "weekly", "simple", "honest", "daily", "tiny", "big")
_NOUNS = ("ideas", "routine", "tips", "hacks", "guide", "haul", "update", "challenge", "recap")


def hashtag_id(name: str) -> str:
    """Static, global id for a hashtag name (like Meta's: same name → same id)."""
    digest = hashlib.sha256(name.lower().encode()).digest()
    return "17843" + str(int.from_bytes(digest[:8], "big") % 10**12).zfill(12)


def _rng(*parts: object) -> random.Random:
    key = "|".join(map(str, parts)).encode()
    return random.Random(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big"))


@dataclass(frozen=True, slots=True)
class TrendPulse:
    """Logistic rise to `amplitude` extra activity, then exponential decay."""

    start: datetime
    amplitude: float = 2.0
    rise_days: float = 3.0
    half_life_days: float = 10.0

    def level(self, t: datetime) -> float:
        days = (t - self.start).total_seconds() / 86400
        if days < -self.rise_days:
            return 0.0
        rise = 1.0 / (1.0 + math.exp(-(days - self.rise_days / 2) * 6 / self.rise_days))
        decay = 1.0 if days <= self.rise_days else 0.5 ** (
            (days - self.rise_days) / self.half_life_days)
        return self.amplitude * rise * decay


@dataclass(frozen=True, slots=True)
class HashtagMedia:
    id: str
    tag: str
    caption: str
    media_type: str
    timestamp: datetime
    like_count: int
    comments_count: int


class HashtagStore:
    """Which tags exist, how hot they are now, and what public media they show."""

    def __init__(self, seed: int, origin: datetime) -> None:
        self.seed = seed
        self.origin = origin
        self._pulses: dict[str, list[TrendPulse]] = {}
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()
        rng = _rng(seed, "trends")
        for name in VOCABULARY:
            self._names[hashtag_id(name)] = name
        for name in rng.sample(VOCABULARY, 8):
            start = origin + timedelta(days=rng.uniform(-6, 40))
            self._pulses.setdefault(name, []).append(
                TrendPulse(start, rng.uniform(1.0, 4.0), rng.uniform(3, 5), rng.uniform(7, 14)))

    def register(self, name: str) -> str:
        hid = hashtag_id(name)
        with self._lock:
            self._names.setdefault(hid, name.lower())
        return hid

    def name_of(self, hid: str) -> str | None:
        with self._lock:
            return self._names.get(hid)

    def add_trend(self, name: str, pulse: TrendPulse) -> None:
        self.register(name)
        with self._lock:
            self._pulses.setdefault(name.lower(), []).append(pulse)

    def intensity(self, name: str, t: datetime) -> float:
        """1.0 = normal activity; 3.0 = three times the usual posting under this tag."""
        with self._lock:
            pulses = list(self._pulses.get(name.lower().lstrip("#"), ()))
        return 1.0 + sum(p.level(t) for p in pulses)

    def trending(self, t: datetime, threshold: float = 1.5) -> dict[str, float]:
        with self._lock:
            names = list(self._pulses)
        out = {n: self.intensity(n, t) for n in names}
        return {n: v for n, v in sorted(out.items(), key=lambda kv: -kv[1]) if v >= threshold}

    def trend_boost(self, tags: tuple[str, ...], t: datetime) -> float:
        """Reach multiplier for a post using these tags at time t (fresh trends help)."""
        if not tags:
            return 1.0
        best = max(self.intensity(tag, t) for tag in tags)
        return min(1.0 + 0.3 * (best - 1.0), 2.5)

    def _base_rate(self, name: str) -> float:
        return 1.0 + _rng(self.seed, "rate", name).random() * 5.0

    def _hour_media(self, name: str, hour: int) -> list[HashtagMedia]:
        t0 = datetime.fromtimestamp(hour * 3600, tz=self.origin.tzinfo)
        lam = self._base_rate(name) * self.intensity(name, t0)
        rng = _rng(self.seed, "tagmedia", name, hour)
        # Poisson draw by inversion (small lambda).
        n, p, u = 0, math.exp(-lam), rng.random()
        cdf = p
        while u > cdf and n < 200:
            n += 1
            p *= lam / n
            cdf += p
        out = []
        others = [w for w in VOCABULARY if w != name]
        for i in range(n):
            r = _rng(self.seed, "tagmedia", name, hour, i)
            related = r.choice(others)
            caption = (f"{r.choice(_WORDS).title()} {name} {r.choice(_NOUNS)} "
                       f"#{name} #{related}")
            likes = int(math.exp(r.gauss(4.0, 1.3)))
            mid = "18" + str(r.randrange(10**14, 10**15))
            out.append(HashtagMedia(
                id=mid, tag=name, caption=caption,
                media_type=r.choice(("IMAGE", "IMAGE", "VIDEO", "CAROUSEL_ALBUM")),
                timestamp=t0 + timedelta(seconds=r.randrange(3600)),
                like_count=likes, comments_count=int(likes * r.uniform(0.01, 0.08)),
            ))
        return out

    def recent_media(self, name: str, now: datetime) -> list[HashtagMedia]:
        """Public media under the tag from the last 24 h (not in chronological order)."""
        hour_now = int(now.timestamp() // 3600)
        items = [m for h in range(hour_now - 24, hour_now + 1)
                 for m in self._hour_media(name, h)
                 if now - timedelta(hours=24) <= m.timestamp <= now]
        return sorted(items, key=lambda m: m.id)

    def top_media(self, name: str, now: datetime) -> list[HashtagMedia]:
        hour_now = int(now.timestamp() // 3600)
        items = [m for h in range(hour_now - 24 * 7, hour_now + 1)
                 for m in self._hour_media(name, h) if m.timestamp <= now]
        items.sort(key=lambda m: -m.like_count)
        return items[:50]
