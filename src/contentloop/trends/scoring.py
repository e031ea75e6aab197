"""Turn raw signals into ranked, explained opportunities for one account (pure; no I/O).

score = strength × fit × freshness × lift, where
  strength  = max(z, 0) + λ·max(velocity, 0) + μ·log(1+count) + ν·log(1+engagement)/10
              + β·log(1+signals in the cluster),
              z and velocity forced to 0 below the minimum-volume gate;
  z         = robust z-score (median/MAD) of the term's current count against its own history,
              so always-popular terms do not "trend";
  fit       = floor + (1-floor)·relevance, relevance = TF-IDF cosine to the best pillar;
  freshness = 0.5 ** (age_h / half_life_h) of the newest signal;
  lift      = 1 + w·own_results[topic] (what worked for this audience before).
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contentloop.domain.clock import utc
from contentloop.domain.models import Account, Opportunity, Pillar, TrendSignal

from .cluster import cluster_signals
from .text import content_tokens, extract_terms, joined, normalize_tag
from .tfidf import cosine, tfidf_vectors

MAD_TO_SD = 1.4826  # MAD × this ≈ standard deviation for normal data


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    half_life_hours: float = 24.0
    window_hours: float = 24.0  # signals older than this do not count as "current"
    min_volume: float = 2.0  # below this, z and velocity are not trusted (gate)
    cluster_threshold: float = 0.5  # token Jaccard for near-duplicates
    velocity_weight: float = 0.5  # λ
    volume_weight: float = 0.5  # μ
    engagement_weight: float = 0.5  # ν
    relevance_floor: float = 0.15  # an off-niche burst keeps a little visibility
    base_weight: float = 0.1  # evergreen ideas (no current burst) still get ordered
    lift_weight: float = 1.0
    max_evidence: int = 8
    max_tags: int = 10


# -- statistics ----------------------------------------------------------------------------


def robust_z(current: float, history: Sequence[float]) -> float:
    """(x − median) / (1.4826·MAD), with a Poisson-like floor sqrt(max(median, 1)) on the
    scale so that flat or empty histories do not divide by zero or explode."""
    values = [float(v) for v in history if math.isfinite(v)]
    median = statistics.median(values) if values else 0.0
    mad = statistics.median([abs(v - median) for v in values]) if values else 0.0
    scale = max(MAD_TO_SD * mad, math.sqrt(max(median, 1.0)))
    return (float(current) - median) / scale


def velocity(current: float, history: Sequence[float]) -> float:
    """log((x_t + 1) / (x_{t−1} + 1)); history is oldest → newest, without the current value."""
    previous = float(history[-1]) if len(history) else 0.0
    return math.log((max(current, 0.0) + 1.0) / (max(previous, 0.0) + 1.0))


def freshness(age_hours: float, half_life_hours: float) -> float:
    """Exponential decay: 1 when new, 0.5 after one half-life. Future ages count as new."""
    if half_life_hours <= 0:
        raise ValueError("half_life_hours must be positive")
    return float(0.5 ** (max(age_hours, 0.0) / half_life_hours))


def signal_time(signal: TrendSignal) -> datetime:
    return utc(signal.published_at or signal.observed_at)


def signal_terms(signal: TrendSignal) -> dict[str, str]:
    """Canonical key (no spaces) → display form, for the title's keywords and the term."""
    terms: dict[str, str] = {}
    for term in [*extract_terms(signal.title), normalize_tag(signal.term)]:
        if term:
            key = joined(term)
            # prefer the spaced form for display ('cold brew' over 'coldbrew')
            if key not in terms or " " in term:
                terms[key] = term
    return terms


def term_counts(
    signals: Sequence[TrendSignal], now: datetime, window_hours: float = 24.0
) -> dict[str, float]:
    """Current count per canonical term: sum of `volume` of signals in the window.

    Record this each period to build the `history` that `score_opportunities` expects.
    """
    since = utc(now) - timedelta(hours=window_hours)
    counts: dict[str, float] = {}
    for signal in signals:
        if signal_time(signal) >= since:
            for key in signal_terms(signal):
                counts[key] = counts.get(key, 0.0) + max(signal.volume, 0.0)
    return counts


def _history_for(history: Mapping[str, Sequence[float]], key: str, display: str) -> Sequence[float]:
    if key in history:
        return history[key]
    return history.get(display, ())


# -- relevance ---------------------------------------------------------------------------------


def pillar_document(account: Account, pillar: Pillar) -> str:
    return " | ".join([account.niche, pillar.name, *pillar.keywords])


def cluster_document(members: Sequence[TrendSignal]) -> str:
    parts: list[str] = []
    for s in members:
        parts += [s.title, s.title, s.summary[:300], *s.tags, s.term]
    return " | ".join(parts)


def relevance_scores(account: Account, docs: Sequence[str]) -> list[tuple[str, float]]:
    """For each doc, (best pillar name, cosine) against the account's niche + pillar keywords."""
    pillars = account.brand.pillars
    if not pillars:
        return [("", 0.0) for _ in docs]
    vectors = tfidf_vectors([*(pillar_document(account, p) for p in pillars), *docs])
    pvecs, dvecs = vectors[: len(pillars)], vectors[len(pillars) :]
    out: list[tuple[str, float]] = []
    for dvec in dvecs:
        best_name, best_sim, best_weight = "", 0.0, -math.inf
        for pillar, pvec in zip(pillars, pvecs, strict=True):
            sim = cosine(dvec, pvec)
            if sim > best_sim + 1e-12 or (
                abs(sim - best_sim) <= 1e-12 and sim > 0 and pillar.weight > best_weight
            ):
                best_name, best_sim, best_weight = pillar.name, sim, pillar.weight
        out.append((best_name, best_sim))
    return out


# -- assembly ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Candidate:
    members: list[TrendSignal]
    key: str
    topic: str
    count: float
    history: Sequence[float]
    z: float
    velocity: float
    gated: bool


def _pick_topic(
    members: Sequence[TrendSignal],
    counts: Mapping[str, float],
    history: Mapping[str, Sequence[float]],
    cfg: ScoringConfig,
) -> _Candidate:
    """The cluster's topic: a term most members share, preferring phrases, then burst."""
    df: Counter[str] = Counter()
    display: dict[str, str] = {}
    first_seen: dict[str, int] = {}
    for s in members:
        for key, term in signal_terms(s).items():
            df[key] += 1
            first_seen.setdefault(key, len(first_seen))
            if key not in display or " " in term:
                display[key] = term
    need = max(1, math.ceil(len(members) / 2))
    pool = [k for k, d in df.items() if d >= need] or list(df)

    def rank(key: str) -> tuple[int, int, float, float, int]:
        count = counts.get(key, 0.0)
        hist = _history_for(history, key, display[key])
        z = robust_z(count, hist) if count >= cfg.min_volume else 0.0
        # shared by most members, a phrase, bursting, frequent, then earliest in the title
        return (df[key], int(" " in display[key]), z, count, -first_seen[key])

    key = max(pool, key=rank) if pool else joined(normalize_tag(members[0].term))
    topic = display.get(key) or normalize_tag(members[0].term) or members[0].title.lower()
    count = counts.get(key, 0.0)
    hist = _history_for(history, key, topic)
    gated = count < cfg.min_volume
    return _Candidate(
        members=list(members),
        key=key,
        topic=topic,
        count=count,
        history=hist,
        z=0.0 if gated else robust_z(count, hist),
        velocity=0.0 if gated else velocity(count, hist),
        gated=gated,
    )


def _lift_for(cand: _Candidate, own: Mapping[str, float], pillar: str) -> tuple[float, str]:
    """Performance lift for this topic (exact topic, then any of its terms, then its pillar)."""
    norm = {joined(normalize_tag(k)): v for k, v in own.items() if math.isfinite(v)}
    if cand.key in norm:
        return norm[cand.key], cand.topic
    matches = [(k, norm[k]) for s in cand.members for k in signal_terms(s) if k in norm]
    if matches:
        key, value = max(matches, key=lambda kv: abs(kv[1]))
        return value, key
    pkey = joined(normalize_tag(pillar)) if pillar else ""
    if pkey and pkey in norm:
        return norm[pkey], pillar
    return 0.0, ""


def _is_banned(cand: _Candidate, banned: Sequence[str]) -> bool:
    if not banned:
        return False
    words: set[str] = set()
    for s in cand.members:
        words.update(signal_terms(s))
        words.update(joined(normalize_tag(t)) for t in s.tags)
        words.update(content_tokens(s.title))
    return any(joined(normalize_tag(b)) in words for b in banned if b.strip())


def _explain(
    cand: _Candidate,
    sources: int,
    hours: int,
    pillar: str,
    relevance: float,
    lift: float,
    lift_on: str,
    cfg: ScoringConfig,
) -> str:
    what = f"‘{cand.topic}’"
    src = f"{sources} source{'s' if sources != 1 else ''} in {hours} h"
    if cand.count <= 0:
        n = len(cand.members)
        head = (
            f"{what} has no mentions in the last {cfg.window_hours:g} h "
            f"({n} older signal{'s' if n != 1 else ''} on {src})"
        )
    elif cand.gated:
        head = (
            f"{what} has only {cand.count:g} mention{'s' if cand.count != 1 else ''} "
            f"(below the minimum of {cfg.min_volume:g}) on {src}"
        )
    elif not len(cand.history):
        head = f"{what} is new ({cand.count:g} mentions, no history) on {src}"
    elif cand.z > 0.05:
        head = f"{what} is up {cand.z:.1f}σ on {src}"
    elif cand.z < -0.05:
        head = f"{what} is down {abs(cand.z):.1f}σ on {src}"
    else:
        head = f"{what} is steady (0.0σ) on {src}"
    fit = f"fits pillar ‘{pillar}’ ({relevance:.2f})" if pillar else "matches no pillar (0.00)"
    text = f"{head} and {fit}"
    if lift_on:
        text += f"; past posts on ‘{lift_on}’ did {lift:+.0%} vs average"
    return text


def _evidence(
    cand: _Candidate, cfg: ScoringConfig, relevance: float, fresh: float, lift: float
) -> tuple[dict[str, Any], ...]:
    summary: dict[str, Any] = {
        "kind": "score",
        "term": cand.topic,
        "count": cand.count,
        "history_median": statistics.median(cand.history) if len(cand.history) else None,
        "z": round(cand.z, 3),
        "velocity": round(cand.velocity, 3),
        "gated": cand.gated,
        "relevance": round(relevance, 3),
        "freshness": round(fresh, 3),
        "lift": lift,
    }
    ordered = sorted(
        cand.members, key=lambda s: (-s.engagement, -s.volume, -signal_time(s).timestamp())
    )
    signals = tuple(
        {
            "kind": "signal",
            "source": s.source,
            "title": s.title,
            "url": s.url,
            "term": s.term,
            "volume": s.volume,
            "engagement": s.engagement,
            "published_at": s.published_at.isoformat() if s.published_at else None,
            "observed_at": s.observed_at.isoformat(),
        }
        for s in ordered[: cfg.max_evidence]
    )
    return (summary, *signals)


def opportunity_id(account: str, topic_key: str, now: datetime) -> str:
    """Stable per account, topic and UTC day, so re-running a day updates, not duplicates."""
    digest = hashlib.sha256(f"{account}|{topic_key}|{utc(now).date()}".encode()).hexdigest()
    return f"opp-{digest[:16]}"


def score_opportunities(
    account: Account,
    signals: Sequence[TrendSignal],
    history: Mapping[str, Sequence[float]],
    now: datetime,
    top_k: int = 10,
    own_results: Mapping[str, float] | None = None,
    *,
    config: ScoringConfig | None = None,
) -> list[Opportunity]:
    """Cluster `signals`, score each cluster for `account`, return the best `top_k`.

    `history` maps a term (canonical 'coldbrew' or display 'cold brew') to its past counts,
    oldest first, in the unit `term_counts` produces. `own_results` maps a topic, term or
    pillar to this account's past performance lift (0.2 = 20 % better than average).
    Topics matching `account.brand.banned_topics` are dropped.
    """
    cfg = config or ScoringConfig()
    now = utc(now)
    own = own_results or {}
    if top_k <= 0 or not signals:
        return []
    counts = term_counts(signals, now, cfg.window_hours)
    clusters = cluster_signals(list(signals), cfg.cluster_threshold)
    candidates = [_pick_topic(members, counts, history, cfg) for members in clusters]
    candidates = [c for c in candidates if not _is_banned(c, account.brand.banned_topics)]
    fits = relevance_scores(account, [cluster_document(c.members) for c in candidates])
    scored: list[tuple[float, Opportunity]] = []
    for cand, (pillar, rel) in zip(candidates, fits, strict=True):
        newest = max(signal_time(s) for s in cand.members)
        oldest = min(signal_time(s) for s in cand.members)
        fresh = freshness((now - newest).total_seconds() / 3600, cfg.half_life_hours)
        engagement = sum(max(s.engagement, 0.0) for s in cand.members)
        strength = (
            max(cand.z, 0.0)
            + cfg.velocity_weight * max(cand.velocity, 0.0)
            + cfg.volume_weight * math.log1p(max(cand.count, 0.0))
            + cfg.engagement_weight * math.log1p(engagement) / 10.0
            + cfg.base_weight * math.log1p(len(cand.members))
        )
        fit = cfg.relevance_floor + (1.0 - cfg.relevance_floor) * rel
        lift, lift_on = _lift_for(cand, own, pillar)
        lift_factor = 1.0 + cfg.lift_weight * max(-0.9, min(lift, 3.0))
        score = strength * fit * fresh * lift_factor
        sources = len({s.source for s in cand.members})
        hours = max(1, math.ceil((now - oldest).total_seconds() / 3600))
        tag_counts: Counter[str] = Counter()
        for s in cand.members:
            tag_counts.update({normalize_tag(t) for t in s.tags if t.strip()})
        tags = tuple(t for t, _ in sorted(tag_counts.items(), key=lambda kv: (-kv[1], kv[0])))
        opp = Opportunity(
            id=opportunity_id(account.handle, cand.key, now),
            account=account.handle,
            topic=cand.topic,
            score=round(score, 6),
            explanation=_explain(cand, sources, hours, pillar, rel, lift, lift_on, cfg),
            evidence=_evidence(cand, cfg, rel, fresh, lift),
            tags=tags[: cfg.max_tags],
            pillar=pillar,
            freshness=round(fresh, 6),
        )
        scored.append((score, opp))
    scored.sort(key=lambda so: (-so[0], so[1].topic))
    return [opp for _, opp in scored[:top_k]]
