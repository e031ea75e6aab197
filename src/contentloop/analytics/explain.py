"""Plain-language judgements for the weekly report: why a post did well or badly, whether a
KPI is good, what the trend radar shows, and next week's plan as a diff against this week.

Pure functions over PostResult/Decision/Opportunity values (no I/O): the report builder
calls them, tests check them directly.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from contentloop.domain import Decision, Opportunity

from .kpis import PostResult, ValueWeights, business_value, engagement_rate, sends_per_reach

#: Optimizer decision kinds (one per dimension) and what PostResult level they map to.
PLAN_DIMENSIONS = {"format": "format", "pillar": "pillar", "hook_style": "hook_style",
                   "slot_hour": "hour_local"}
#: Below this share a posting hour is folded into "other hours" in the plan table.
HOUR_SHOW_MIN = 0.04

# -- KPI status ------------------------------------------------------------------------------

#: (bad below, good at or above, source). Rates per reach, so only per-reach benchmarks are
#: used (docs/KPIS.md, "Status"; ../shared/reference/kpis-optimizer-simulator.md §1.3).
BENCHMARKS: dict[str, tuple[float, float, str]] = {
    "median_engagement_rate": (0.007, 0.0138, "ER per reach: images 0.72 %, carousels 1.38 % "
                               "(creatorsjet, 10k posts, H1 2025)"),
    "median_saves_per_reach": (0.002, 0.004, "saves per view 0.21 % (images) to 0.46 % (reels) "
                               "(Socialinsider reels study)"),
    "median_reach_rate": (0.15, 0.30, "feed reach rate 15-40 % of followers for accounts under "
                          "100k (startmotionmedia)"),
    "net_follower_growth_pct": (0.0, 0.005, "organic growth 0-3 % a month for accounts under "
                                "10k, about 0.5 % a week at the good end (startmotionmedia)"),
    "posting_consistency": (0.8, 0.95, "contentloop's own rule: under 80 % of planned posts "
                            "published means something is stuck"),
}
#: Week-over-week drops (relative) that make a KPI "watch" / "bad" on their own.
WOW_WATCH = -0.05
WOW_BAD = -0.20
#: KPIs where a rise is not good news (costs).
LOWER_IS_BETTER = frozenset({"generation_cost_per_post"})
_RANK = {"good": 0, "watch": 1, "bad": 2}


def kpi_status(
    kpis: Mapping[str, float | None], wow: Mapping[str, Mapping[str, float | None]]
) -> dict[str, dict[str, str]]:
    """Per KPI: status good | watch | bad | none, and why (benchmark and last week).

    The worse of the two verdicts wins, except that a KPI above its benchmark that fell
    sharply is "watch", not "bad": still good, but look at it.
    """
    out: dict[str, dict[str, str]] = {}
    for name, value in kpis.items():
        reasons: list[str] = []
        bench: str | None = None
        if value is not None and name in BENCHMARKS:
            lo, hi, source = BENCHMARKS[name]
            bench = "bad" if value < lo else "good" if value >= hi else "watch"
            reasons.append(f"{_bench_word(bench)} the benchmark band {lo:.1%} to {hi:.1%} "
                           f"({source})")
        trend: str | None = None
        pct = (wow.get(name) or {}).get("delta_pct")
        if value is not None and pct is not None:
            signed = -pct if name in LOWER_IS_BETTER else pct
            trend = "bad" if signed < WOW_BAD else "watch" if signed < WOW_WATCH else "good"
            reasons.append(f"{pct:+.0%} vs last week")
        known = [s for s in (bench, trend) if s is not None]
        if not known:
            status = "none"
        elif bench == "good" and trend == "bad":
            status = "watch"
        else:
            status = max(known, key=_RANK.__getitem__)
        out[name] = {"status": status, "why": "; ".join(reasons)}
    return out


def _bench_word(status: str) -> str:
    return {"good": "above", "watch": "within", "bad": "below"}[status]


# -- why a post did well or badly ---------------------------------------------------------------


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _ratio_phrase(ratio: float) -> str:
    if ratio >= 1:
        return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"
    return f"{(1 - ratio):.0%} below"


def explain_post(
    post: PostResult,
    week: Sequence[PostResult],
    weights: ValueWeights,
    online_local: Mapping[int, float] | None = None,
    *,
    good: bool,
    limit: int = 3,
) -> list[str]:
    """Up to `limit` short reasons what set this post apart from the week's median post.

    Candidates: value, format, hook style, posting hour (against `online_followers` when
    known), trend freshness, sends. Each gets a signed strength (log ratio vs the median);
    for a top post the strongest positive ones are kept, for a bottom post the negative.
    """
    measured = [p for p in week if p.published_at is not None and p.metrics]
    if not post.metrics or not measured:
        return ["no insights yet"]
    value = business_value(post, weights)
    med_all = _median([business_value(p, weights) for p in measured]) or 0.0
    facts: list[tuple[float, str]] = []

    def group(attr: str) -> float | None:
        level = getattr(post, attr)
        return _median([business_value(p, weights) for p in measured
                        if getattr(p, attr) == level])

    if med_all > 0:
        facts.append((math.log((value + 1) / (med_all + 1)),
                      f"value {value:,.0f} = {_ratio_phrase((value + 1) / (med_all + 1))} "
                      f"the week's median ({med_all:,.0f})"))
        for attr, label in (("format_name", "format"), ("hook_style", "hook")):
            med = group(attr)
            n = sum(1 for p in measured if getattr(p, attr) == getattr(post, attr))
            if med is not None and n >= 2 and getattr(post, attr):
                lift = med / med_all - 1
                facts.append((math.log((med + 1) / (med_all + 1)),
                              f"{label} '{getattr(post, attr)}': its {n} posts median "
                              f"{lift:+.0%} vs all posts"))
    if online_local:
        mean_online = sum(online_local.values()) / len(online_local)
        here = online_local.get(post.hour_local)
        if here is not None and mean_online > 0:
            ratio = here / mean_online
            facts.append((math.log(ratio) * 1.5,
                          f"went out at {post.hour_local:02d}:00, when {ratio:.1f}x the "
                          "average number of followers are online"))
    else:
        med_hour = _median([business_value(p, weights) for p in measured
                            if p.hour_local == post.hour_local])
        if med_hour is not None and med_all > 0:
            facts.append((math.log((med_hour + 1) / (med_all + 1)),
                          f"{post.hour_local:02d}:00 posts median "
                          f"{med_hour / med_all - 1:+.0%} vs all hours"))
    ages = [p.trend_age_h for p in measured if p.trend_age_h is not None]
    if post.trend and post.trend_age_h is not None and ages:
        med_age = statistics.median(ages)
        # Fresher than the median is good: strength is the log of how many times fresher.
        strength = math.log((med_age + 6) / (post.trend_age_h + 6))
        facts.append((strength, f"trend '{post.trend}' {post.trend_age_h:.0f} h after it "
                                f"surfaced (median {med_age:.0f} h)"))
    elif not post.trend and any(p.trend for p in measured):
        facts.append((-0.05, "evergreen: no trend behind it"))
    sends, med_sends = sends_per_reach(post), _median([sends_per_reach(p) for p in measured])
    if sends is not None and med_sends:
        facts.append((math.log((sends + 1e-4) / (med_sends + 1e-4)),
                      f"sends per reach {sends:.2%} vs median {med_sends:.2%}"))
    er, med_er = engagement_rate(post), _median([engagement_rate(p) for p in measured])
    if er is not None and med_er:
        facts.append((math.log(er / med_er), f"ER {er:.1%} vs median {med_er:.1%}"))
    wanted = [f for f in facts if (f[0] > 0.05 if good else f[0] < -0.05)]
    wanted.sort(key=lambda f: -abs(f[0]))
    if not wanted:
        return ["close to the week's median on every factor we track"]
    return [text for _s, text in wanted[:limit]]


# -- trend radar -------------------------------------------------------------------------------


def trend_radar(
    opportunities: Sequence[Opportunity], posts: Sequence[PostResult], limit: int = 8
) -> list[dict[str, Any]]:
    """The week's top opportunities, best first, each with who (if anyone) used it."""
    best: dict[str, Opportunity] = {}
    for o in opportunities:  # one row per topic: the same trend is re-scored every day
        key = _norm(o.topic)
        if key not in best or o.score > best[key].score:
            best[key] = o
    ids: dict[str, set[str]] = {}
    for o in opportunities:
        ids.setdefault(_norm(o.topic), set()).add(o.id)
    out = []
    for o in sorted(best.values(), key=lambda o: -o.score)[:limit]:
        key = _norm(o.topic)
        users = [p for p in posts if p.published_at is not None and (
            (p.opportunity_id and p.opportunity_id in ids[key])
            or (p.trend and _norm(p.trend) == key))]
        out.append({
            "id": o.id, "topic": o.topic, "score": round(o.score, 4), "pillar": o.pillar,
            "explanation": o.explanation, "used": bool(users),
            "used_by": [p.media_id or p.post_id for p in users],
        })
    return out


def _norm(topic: str) -> str:
    """'Cold brew', 'cold-brew' and '#coldbrew' are one trend."""
    return "".join(ch for ch in topic.lower() if ch.isalnum())


# -- next week's plan as a diff ------------------------------------------------------------------


def _label(dimension: str, level: str) -> str:
    if dimension == "slot_hour":
        try:
            return f"{int(level):02d}:00"
        except ValueError:
            return level
    return level


def plan_diff(
    posts: Sequence[PostResult],
    decisions: Sequence[Decision],
    posts_next_week: int | None = None,
    plan: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """This week's allocation (what went out) next to next week's (the optimizer's selection
    probabilities, paused levels at 0), per dimension, with the changes in words.

    `posts_next_week` defaults to the number of posts planned this week. `plan` is next
    week's stored plan (`Plan.as_dict()`): its status and who decided are shown, and once a
    person approved or edited it, its shares replace the optimizer's (0 = switched off).
    """
    decided = bool(plan) and (plan or {}).get("status") in ("approved", "edited")
    planned = [p for p in posts if p.planned]
    done = [p for p in posts if p.published_at is not None] or planned
    total_next = posts_next_week if posts_next_week is not None else len(planned)
    paused = {tuple(d.choice.split(":", 1)) for d in decisions
              if d.kind not in PLAN_DIMENSIONS and ":" in d.choice}
    dims: dict[str, list[dict[str, Any]]] = {}
    summary: list[tuple[float, str]] = []
    for kind, attr in PLAN_DIMENSIONS.items():
        decision = next((d for d in decisions if d.kind == kind and d.probabilities), None)
        chosen = (plan or {}).get("allocation", {}).get(kind) if decided else None
        counts: dict[str, int] = {}
        for p in done:
            level = str(p.format_name if attr == "format" else getattr(p, attr))
            counts[level] = counts.get(level, 0) + 1
        source = chosen if chosen else (decision.probabilities if decision else {})
        nxt = {str(k): float(v) for k, v in source.items()}
        dim_paused = {lv for d_, lv in paused if d_ in (kind, attr)}
        if chosen:  # a person's plan: its zeros are the pauses, rule pauses are its business
            dim_paused = {lv for lv, v in nxt.items() if v <= 0 and kind != "slot_hour"}
        for lv in dim_paused:
            nxt[lv] = 0.0
        norm = sum(nxt.values())
        if norm > 0:
            nxt = {k: v / norm for k, v in nxt.items()}
        rows = []
        for level in sorted(set(counts) | set(nxt), key=lambda lv: (-nxt.get(lv, 0.0),
                                                                    -counts.get(lv, 0), lv)):
            this_share = counts.get(level, 0) / len(done) if done else 0.0
            next_share = nxt.get(level, 0.0) if (decision or chosen) else None
            rows.append({
                "level": level, "label": _label(kind, level),
                "this_week_posts": counts.get(level, 0), "this_week_share": round(this_share, 4),
                "next_week_share": None if next_share is None else round(next_share, 4),
                "next_week_posts": None if next_share is None else round(next_share * total_next,
                                                                         1),
                "change": None if next_share is None else round(next_share - this_share, 4),
                "paused": level in dim_paused,
            })
        if kind == "slot_hour":
            rows = _fold_hours(rows)
        dims[kind] = rows
        summary += _summarise(kind, rows, by_person=bool(chosen))
    return {
        "status": (plan or {}).get("status", "proposed"),
        "week": (plan or {}).get("week"),
        "decided_by": (plan or {}).get("decided_by"),
        "decided_at": (plan or {}).get("decided_at"),
        "note": (plan or {}).get("note", ""),
        "stored": plan is not None,
        "posts_this_week": len(done),
        "posts_next_week": total_next,
        "dimensions": dims,
        "changes": [text for _size, text in sorted(summary, key=lambda c: -c[0])[:6]],
        "has_decisions": decided or any(d.kind in PLAN_DIMENSIONS for d in decisions),
    }


def _fold_hours(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = [r for r in rows if r["this_week_posts"] or (r["next_week_share"] or 0) >= HOUR_SHOW_MIN]
    rest = [r for r in rows if r not in keep]
    if rest:
        nxt = sum(r["next_week_share"] or 0.0 for r in rest)
        per = sum(r["next_week_posts"] or 0.0 for r in rest)
        keep.append({"level": "other", "label": f"other {len(rest)} hours",
                     "this_week_posts": 0, "this_week_share": 0.0,
                     "next_week_share": round(nxt, 4), "next_week_posts": round(per, 1),
                     "change": round(nxt, 4), "paused": False})
    return keep


_NAMES = {"format": "{}s", "pillar": "pillar '{}'", "hook_style": "'{}' hooks",
          "slot_hour": "posts at {}"}


def _summarise(kind: str, rows: Sequence[Mapping[str, Any]],
               by_person: bool = False) -> list[tuple[float, str]]:
    out = []
    for r in rows:
        if r["paused"] and r["this_week_posts"]:
            why = "switched off in the approved plan" if by_person else "a KPI rule fired"
            out.append((2.0, f"Pause {_NAMES[kind].format(r['label'])} ({why})."))
            continue
        change = r["change"]
        if change is None or r["level"] == "other" or abs(change) < 0.15:
            continue
        word = "More" if change > 0 else "Fewer"
        out.append((abs(change), f"{word} {_NAMES[kind].format(r['label'])}: "
                                 f"{r['this_week_share']:.0%} → {r['next_week_share']:.0%}."))
    return out
