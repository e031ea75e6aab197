"""The weekly report: one JSON document (the record) and one self-contained HTML page.

The JSON is built first and the HTML (and its charts) only from the JSON, so the page can
be re-rendered later from the stored report. The HTML has inline CSS and charts as
base64 PNG data URIs: it opens offline, from an email attachment or the dashboard, with no
CDN and no JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import structlog

from contentloop.domain import Decision, utc

from .explain import explain_post, kpi_status, plan_diff, trend_radar
from .kpis import (
    DEFAULT_WEIGHTS,
    DIMENSIONS,
    AccountWeek,
    PostResult,
    ValueWeights,
    business_value,
    effect_table,
    post_kpis,
    week_over_week,
    weekly_kpis,
)

log = structlog.get_logger(__name__)

TOP_N = 3
OPTIMIZER_KINDS = ("format", "pillar", "hook_style", "slot_hour")


def _finite(value: Any) -> Any:
    """JSON has no NaN/inf: turn them into null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _post_row(post: PostResult, weights: ValueWeights) -> dict[str, Any]:
    k = post_kpis(post, weights)
    return {
        "media_id": post.media_id,
        "post_id": post.post_id,
        "hook": post.hook,
        "value": _finite(k["value"]),
        "reach": _finite(k["reach"]),
        "engagement_rate": _finite(k["engagement_rate"]),
        "sends_per_reach": _finite(k["sends_per_reach"]),
        "saves_per_reach": _finite(k["saves_per_reach"]),
        "watch_through": _finite(k["watch_through"]),
        "views": _finite(post.metrics.get("views")),
        "format": post.format_name,
        "pillar": post.pillar,
        "hook_style": post.hook_style,
        "hour_local": post.hour_local,
        "weekday_local": post.weekday_local,
        "trend": post.trend,
        "trend_age_h": _finite(post.trend_age_h),
        "generation_cost": _finite(post.generation_cost),
        "published_at": utc(post.published_at).isoformat() if post.published_at else None,
    }


def _by_format(posts: Sequence[PostResult]) -> list[dict[str, Any]]:
    """Reach and views summed per format (measured posts only), most reach first."""
    rows: dict[str, dict[str, Any]] = {}
    for p in posts:
        if p.published_at is None or not p.metrics:
            continue
        r = rows.setdefault(p.format_name, {"format": p.format_name, "posts": 0, "reach": 0.0,
                                            "views": 0.0})
        r["posts"] += 1
        r["reach"] += float(p.metrics.get("reach") or 0.0)
        r["views"] += float(p.metrics.get("views") or 0.0)
    return sorted(rows.values(), key=lambda r: -r["reach"])


def _heat_posts(posts: Sequence[PostResult], weights: ValueWeights) -> list[dict[str, Any]]:
    return [
        {"weekday": p.weekday_local, "hour": p.hour_local, "format": p.format_name,
         "value": _finite(business_value(p, weights)) if p.metrics else None,
         "media_id": p.media_id}
        for p in posts
        if p.published_at is not None and p.weekday_local is not None
    ]


# Markers the optimizer puts in Decision.reason (contentloop.optimize.bandit).
_STILL_TESTING = "still testing"
_NO_RESULTS = "no results yet"
_WHAT = {
    "format": "formats",
    "pillar": "pillars",
    "hook_style": "hook styles",
    "slot_hour": "posting hours",
}


def _status(d: Decision) -> str:
    if d.reason.startswith(_NO_RESULTS):
        return "exploring"
    return "leaning" if _STILL_TESTING in d.reason else "decided"


def _experiments(decisions: Sequence[Decision]) -> list[dict[str, Any]]:
    out = []
    for d in decisions:
        if d.kind not in OPTIMIZER_KINDS or not d.probabilities:
            continue
        allocation = sorted(d.probabilities.items(), key=lambda kv: -kv[1])
        out.append(
            {
                "dimension": d.kind,
                "leader": d.choice,
                "p_leader": d.probabilities.get(d.choice, 0.0),
                "status": _status(d),
                "allocation": dict(allocation),
                "labels": {lv: _pretty(d.kind, lv, plural=False) for lv, _ in allocation},
                "reason": d.reason,
            }
        )
    return out


def _pretty(kind: str, choice: str, plural: bool = True) -> str:
    if kind == "slot_hour":
        try:
            return f"{int(choice):02d}:00"
        except ValueError:
            return choice
    if kind == "format":
        return f"{choice}s" if plural else choice
    return f"'{choice}'" if plural else choice


def next_actions(decisions: Sequence[Decision], kpis: Mapping[str, float | None]) -> list[str]:
    """Plain-language to-dos from the optimizer's decisions and the week's KPIs.

    Rule decisions ("pause") win over the bandit: a paused level is never recommended.
    """
    actions: list[str] = []
    paused: set[tuple[str, str]] = set()
    for d in decisions:
        if d.kind not in OPTIMIZER_KINDS:
            dim, _, level = d.choice.partition(":")
            paused.add((dim, level))
            what = dim.replace("_", " ")
            actions.append(f"{d.kind.capitalize()} {what} '{level}': {d.reason}.")
    for d in decisions:
        if d.kind not in OPTIMIZER_KINDS:
            continue
        what = _WHAT[d.kind]
        status = _status(d)
        if status == "exploring":
            actions.append(f"Keep testing all {what} evenly: no results to learn from yet.")
            continue
        choice, reason = d.choice, d.reason
        if (d.kind, choice) in paused:
            open_levels = [lv for lv in d.probabilities if (d.kind, lv) not in paused]
            if not open_levels:
                continue
            choice = max(open_levels, key=lambda lv: d.probabilities[lv])
            reason = f"{_pretty(d.kind, d.choice)} leads but is paused by a rule"
        share = d.probabilities.get(choice, 0.0)
        picks = f"{share:.0%} of next week's picks"
        if status == "decided" and choice == d.choice:
            verb = "Post more at" if d.kind == "slot_hour" else "Lean toward"
            actions.append(f"{verb} {_pretty(d.kind, choice)} ({picks}): {reason}.")
        else:
            actions.append(
                f"Keep testing {what}; {_pretty(d.kind, choice)} ahead so far ({picks}): "
                f"{reason.replace('; ' + _STILL_TESTING, '')}."
            )
    consistency = kpis.get("posting_consistency")
    if consistency is not None and consistency < 0.8:
        actions.append(
            f"Only {consistency:.0%} of planned posts went out: check failed posts and the "
            "approval queue before adding more."
        )
    if not kpis.get("posts"):
        actions.append("Nothing was published this week: no new evidence for the optimizer.")
    return actions


def _headline(account: str, kpis: Mapping[str, float | None], wow: Mapping[str, Any]) -> str:
    posts = int(kpis.get("posts") or 0)
    reach = kpis.get("total_reach") or 0.0
    delta = wow.get("total_reach", {}).get("delta_pct")
    trend = f" ({delta:+.0%} vs last week)" if delta is not None else ""
    er = kpis.get("median_engagement_rate")
    er_s = f", median ER {er:.1%}" if er is not None else ""
    return f"@{account}: {posts} posts, total reach {reach:,.0f}{trend}{er_s}."


def build_weekly_report(
    account_results: Mapping[str, AccountWeek],
    decisions: Sequence[Decision],
    now: datetime,
    weights: ValueWeights = DEFAULT_WEIGHTS,
) -> dict[str, Any]:
    """The week's report for every account, as plain JSON-serialisable data."""
    accounts: dict[str, Any] = {}
    for name, week in account_results.items():
        kpis = weekly_kpis(week, weights)
        prev = weekly_kpis(week.previous, weights) if week.previous is not None else {}
        wow = week_over_week(kpis, prev) if prev else {}
        rows = sorted(
            (_post_row(p, weights) for p in week.published),
            key=lambda r: (r["value"] or 0.0, r["reach"] or 0.0),
            reverse=True,
        )
        mine = [d for d in decisions if d.account == name]
        missing = [p.media_id or p.post_id for p in week.published if not p.metrics]
        quality = list(week.notes)
        if missing:
            quality.append(
                f"{len(missing)} published post(s) have no insights yet: " + ", ".join(missing[:10])
            )
        by_id = {p.post_id: p for p in week.published}
        top, bottom = rows[:TOP_N], (list(reversed(rows[TOP_N:]))[:TOP_N]
                                     if len(rows) > TOP_N else [])
        for group, good in ((top, True), (bottom, False)):
            for row in group:
                row["why"] = explain_post(by_id[row["post_id"]], week.published, weights,
                                          week.online_local, good=good)
        if len(week.measured) < 5:
            quality.append(f"Only {len(week.measured)} post(s) with insights: medians and "
                           "'why' notes are anecdotes, not evidence.")
        if week.published and not week.online_local:
            quality.append("No online_followers data (account under 100 followers or not "
                           "synced): posting hours fall back to the posting windows.")
        if not prev:
            quality.append("No previous week to compare with: deltas are empty.")
        accounts[name] = {
            "account": name,
            "week_start": utc(week.week_start).isoformat(),
            "headline": _headline(name, kpis, wow),
            "kpis": {k: _finite(v) for k, v in kpis.items()},
            "wow": {k: {kk: _finite(vv) for kk, vv in v.items()} for k, v in wow.items()},
            "kpi_status": kpi_status(kpis, wow),
            "top_posts": top,
            "bottom_posts": bottom,
            "by_format": _by_format(week.posts),
            "heatmap": {"online": _grid(week.online_grid), "posts": _heat_posts(week.posts,
                                                                              weights)},
            "trend_radar": trend_radar(week.opportunities, week.posts),
            "plan_diff": plan_diff(week.posts, mine, week.plan_posts),
            "what_worked": {
                dim: [
                    {k: _finite(v) for k, v in row.items()}
                    for row in effect_table(week.posts, dim, weights)
                ]
                for dim in DIMENSIONS
            },
            "next_actions": next_actions(mine, kpis),
            "experiments": _experiments(mine),
            "decisions": [
                {
                    "kind": d.kind,
                    "choice": d.choice,
                    "reason": d.reason,
                    "probabilities": d.probabilities,
                    "made_at": utc(d.made_at).isoformat(),
                }
                for d in mine
            ],
            "posts": rows,
            "data_quality": quality,
        }
    return {
        "generated_at": utc(now).isoformat(),
        "value_weights": asdict(weights),
        "accounts": accounts,
    }


def _grid(grid: Sequence[Sequence[float | None]] | None) -> list[list[float | None]] | None:
    if grid is None:
        return None
    return [[_finite(v) for v in row] for row in grid]


# -- charts ---------------------------------------------------------------------------


def _charts(acct: Mapping[str, Any]) -> dict[str, str]:
    """Every chart that has data, by name; a failing chart is left out, not fatal."""
    from . import charts

    jobs = {
        "followers": lambda: charts.followers_chart(acct.get("followers_daily") or []),
        "reach_views": lambda: charts.reach_views_chart(acct.get("by_format") or []),
        "er": lambda: charts.er_distribution_chart(acct.get("posts") or []),
        "heatmap": lambda: charts.heatmap_chart(acct.get("heatmap") or {}),
        "funnel": lambda: charts.funnel_chart(acct.get("money") or {}),
    }
    out = {}
    for name, job in jobs.items():
        try:
            uri = job()
        except Exception as exc:  # a chart must never cost the creator the whole report
            log.warning("report.chart_failed", chart=name, error=type(exc).__name__)
            continue
        if uri:
            out[name] = uri
    return out


# -- HTML -----------------------------------------------------------------------------

_KPI_LABELS = {
    "posts": ("Posts", "{:.0f}"),
    "total_reach": ("Total reach", "{:,.0f}"),
    "median_engagement_rate": ("Median ER (reach)", "{:.2%}"),
    "median_saves_per_reach": ("Saves / reach", "{:.2%}"),
    "median_sends_per_reach": ("Sends / reach", "{:.2%}"),
    "median_reach_rate": ("Reach rate", "{:.0%}"),
    "median_watch_through": ("Reel watch-through", "{:.0%}"),
    "follows_from_posts": ("Follows from posts", "{:,.0f}"),
    "net_follower_growth": ("Net follower growth", "{:+,.0f}"),
    "net_follower_growth_pct": ("Net growth %", "{:+.2%}"),
    "posting_consistency": ("Posting consistency", "{:.0%}"),
    "business_value": ("Business value", "{:,.0f}"),
    "median_value": ("Median value / post", "{:,.1f}"),
    "generation_cost_per_post": ("Generation cost / post", "${:,.3f}"),
}


def _fmt(value: Any, pattern: str = "{:,.2f}") -> str:
    if value is None:
        return "—"
    try:
        return pattern.format(value)
    except (ValueError, TypeError):
        return str(value)


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>contentloop weekly report</title>
<style>
 body{font-family:"Noto Sans","DejaVu Sans",system-ui,sans-serif;margin:0;background:#f5f6f8;
      color:#1f2a44;line-height:1.45}
 main{max-width:1100px;margin:0 auto;padding:24px}
 h1{font-size:26px;margin:0 0 4px} h2{font-size:22px;margin:30px 0 6px;
      border-bottom:2px solid #1f2a44;padding-bottom:4px}
 h3{font-size:16px;margin:22px 0 8px;color:#30638e}
 .muted{color:#6b7280;font-size:13px}
 .headline{font-size:18px;background:#fff;border-left:6px solid #f2c14e;padding:10px 14px;
      margin:8px 0}
 .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
 .card{background:#fff;border-radius:8px;padding:9px 12px;box-shadow:0 1px 2px #0001;
      border-top:5px solid #d1d5db}
 .card.good{border-top-color:#16a34a} .card.watch{border-top-color:#f59e0b}
 .card.bad{border-top-color:#dc2626}
 .card .v{font-size:20px;font-weight:700} .card .l{font-size:12px;color:#6b7280}
 .card .d{font-size:12px} .card .s{font-size:11px;font-weight:700;text-transform:uppercase}
 .s.good{color:#15803d}.s.watch{color:#b45309}.s.bad{color:#b91c1c}.s.none{color:#9ca3af}
 table{border-collapse:collapse;width:100%;background:#fff;font-size:13px;margin-bottom:8px}
 th,td{padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
 th{background:#eef1f5;font-weight:600} td.n,th.n{text-align:right;
      font-variant-numeric:tabular-nums}
 .grid2{display:grid;grid-template-columns:1fr 1fr;gap:14px}
 ol.actions{padding-left:22px} ol.actions li{margin:4px 0;background:#fff;padding:6px 10px;
      border-radius:6px}
 .bar{background:#30638e;height:10px;border-radius:3px;display:inline-block}
 .tag{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;color:#fff;
      white-space:nowrap}
 .decided{background:#15803d}.leaning{background:#d97706}.exploring{background:#6b7280}
 .yes{background:#15803d}.no{background:#9ca3af}
 img.chart{width:100%;background:#fff;border-radius:8px}
 .why{margin:2px 0 0;padding-left:16px;color:#374151;font-size:12.5px}
 .plan td.up{color:#15803d;font-weight:600} .plan td.down{color:#b91c1c;font-weight:600}
 .plan tr.paused td{text-decoration:line-through;color:#9ca3af}
 .approve{background:#fff;border:2px dashed #30638e;border-radius:8px;padding:10px 14px;
      margin:8px 0}
 .changes li{margin:2px 0}
 details summary{cursor:pointer;color:#30638e;font-weight:600;margin:16px 0 6px}
 code{font-size:12px} pre{background:#fff;padding:8px;border-radius:6px;font-size:12px;
      overflow:auto}
</style></head><body><main>
<h1>Weekly content report</h1>
<div class="muted">Generated {{ report.generated_at[:16] }} UTC · value per post =
{{ weights_text }}</div>
{% for name, a in report.accounts.items() %}
<section>
<h2>@{{ name }} <span class="muted">week of {{ a.week_start[:10] }}</span></h2>
<p class="headline">{{ a.headline }}</p>

<h3>Decisions taken</h3>
<ol class="actions">{% for act in a.next_actions %}<li>{{ act }}</li>{% endfor %}</ol>

<h3>Scorecard <span class="muted">colour: green good · amber watch · red bad, against
last week and public benchmarks (hover for why)</span></h3>
<div class="cards">
{% for key, card in a.cards %}<div class="card {{ card.status }}" title="{{ card.why }}">
<div class="l">{{ card.label }}</div><div class="v">{{ card.value }}</div>
<div class="d">{{ card.delta }}</div><div class="s {{ card.status }}">{{ card.status_text }}
</div></div>{% endfor %}</div>

<h3>Next week's plan, against this week</h3>
{% set plan = a.plan_diff %}
<div class="approve plan-{{ plan.status }}">
{% if plan.status in ("approved", "edited") and plan.decided_by %}<b>Plan {{ plan.status }}
by {{ plan.decided_by }}</b> ({{ (plan.decided_at or "")[:16].replace("T", " ") }} UTC){% if
plan.note %}: {{ plan.note }}{% endif %}. From Monday the planner and the generator follow
these shares ({{ plan.posts_next_week }} posts); a level at 0 % is not used.
{% else %}<b>Proposed: approve or edit this plan as a whole.</b>
{% if plan.has_decisions %}Approve it on the dashboard's Plan page or with
<code>contentloop plan approve --account {{ a.account }}{% if plan.week %} --week {{ plan.week
}}{% endif %}</code>, or change shares with <code>contentloop plan edit</code>. Until a person
decides, the planner and the generator follow the optimizer's latest decisions
({{ plan.posts_next_week }} posts).{% else %}No optimizer decisions
yet: next week keeps testing everything evenly.{% endif %}{% endif %}
{% if plan.changes %}<ul class="changes">{% for c in plan.changes %}<li>{{ c }}</li>
{% endfor %}</ul>{% endif %}</div>
<div class="grid2 plan">{% for dim, rows in plan.dimensions.items() %}<div><table>
<tr><th>{{ dim_labels.get(dim, dim) }}</th><th class="n">This week</th><th class="n">Next
week</th><th class="n">Change</th></tr>
{% for r in rows %}<tr class="{{ 'paused' if r.paused }}"><td>{{ r.label }}{% if r.paused %}
(paused){% endif %}</td><td class="n">{{ r.this_week_posts }} · {{ fmt(r.this_week_share,
"{:.0%}") }}</td><td class="n">{{ fmt(r.next_week_posts, "{:.1f}") }} · {{
fmt(r.next_week_share, "{:.0%}") }}</td><td class="n {{ 'up' if (r.change or 0) > 0.05 else
'down' if (r.change or 0) < -0.05 }}">{{ fmt(r.change * 100 if r.change is not none else none,
"{:+.0f} pts") }}</td></tr>{% endfor %}</table></div>{% endfor %}</div>

<h3>Top 3 and bottom 3 posts, and why</h3>
<table><tr><th></th><th></th><th>Post</th><th>Why</th><th class="n">Value</th>
<th class="n">Reach</th><th class="n">ER</th></tr>
{% for label, group in (("top", a.top_posts), ("bottom", a.bottom_posts)) %}
{% for p in group %}<tr><td>{{ "▲" if label == "top" else "▼" }}{{ loop.index }}</td>
<td>{% if p.get("thumbnail") %}<img src="{{ p.thumbnail }}" alt=""
 style="width:64px;border-radius:4px">{% endif %}</td>
<td><b>{{ p.hook or "(no caption)" }}</b><div class="muted">{{ p.format }} · {{ p.pillar }} ·
{{ p.hook_style }} · {{ "%02d"|format(p.hour_local) }}:00{% if p.trend %} · trend '{{ p.trend
}}'{% endif %} · <code>{{ p.media_id }}</code></div></td>
<td><ul class="why">{% for w in p.get("why", []) %}<li>{{ w }}</li>{% endfor %}</ul></td>
<td class="n">{{ fmt(p.value, "{:,.0f}") }}</td><td class="n">{{ fmt(p.reach, "{:,.0f}") }}</td>
<td class="n">{{ fmt(p.engagement_rate, "{:.2%}") }}</td></tr>{% endfor %}{% endfor %}
</table>

{% if a.charts %}<h3>Charts</h3>
{% if a.charts.get("heatmap") %}<img class="chart" alt="day by hour" src="{{ a.charts.heatmap }}">
{% endif %}<div class="grid2">
{% for key in ("followers", "reach_views", "er", "funnel") %}{% if a.charts.get(key) %}
<img class="chart" alt="{{ key }}" src="{{ a.charts[key] }}">{% endif %}{% endfor %}
</div>{% endif %}

<h3>Trend radar</h3>
{% if a.trend_radar %}<table><tr><th>Opportunity</th><th>Pillar</th><th class="n">Score</th>
<th>Why it is an opportunity</th><th>Used?</th></tr>
{% for t in a.trend_radar %}<tr><td><b>{{ t.topic }}</b></td><td>{{ t.pillar or "—" }}</td>
<td class="n">{{ fmt(t.score, "{:.2f}") }}</td><td>{{ t.explanation }}</td>
<td><span class="tag {{ 'yes' if t.used else 'no' }}">{{ "used" if t.used else "not yet"
}}</span>{% if t.used_by %}<div class="muted">{{ t.used_by|join(", ") }}</div>{% endif %}</td>
</tr>{% endfor %}</table>
{% else %}<p class="muted">No trend opportunities were scored this week.</p>{% endif %}

{% if a.get("ledger") %}<h3>Experiment ledger</h3><div class="muted">Effect on value vs the
dimension's average level, median and 90% credible interval; P(best) from the posterior.
</div><table><tr><th>Dimension</th><th>Level</th><th class="n">Posts</th>
<th class="n">Lift</th><th class="n">90% CI</th><th class="n">P(best)</th></tr>
{% for r in a.ledger %}<tr><td>{{ dim_labels.get(r.dimension, r.dimension) }}</td>
<td>{{ r.level }}</td><td class="n">{{ r.posts }}</td><td class="n">{{ fmt(r.lift, "{:+.0%}")
}}</td><td class="n">{{ fmt(r.lift_lo, "{:+.0%}") }} … {{ fmt(r.lift_hi, "{:+.0%}") }}</td>
<td class="n">{{ fmt(r.p_best, "{:.2f}") }}</td></tr>{% endfor %}</table>{% endif %}

{% if a.experiments %}<details><summary>Optimizer allocation by dimension</summary>
<table><tr><th>Dimension</th><th>Status</th><th>Next week's allocation</th><th>Why</th></tr>
{% for e in a.experiments %}<tr><td>{{ dim_labels.get(e.dimension, e.dimension) }}</td>
<td><span class="tag {{ e.status }}">{{ e.status }}</span></td><td>
{% for lv, p in e.allocation.items() %}{% if p >= 0.03 %}<div><span class="bar"
 style="width:{{ (p*120)|round|int }}px"></span> {{ e.labels[lv] }} {{ "%.0f"|format(p*100)
}}%</div>{% endif %}{% endfor %}</td><td>{{ e.reason }}</td></tr>{% endfor %}</table>
</details>{% endif %}

{% if a.get("money") %}<h3>Money</h3><table><tr><th class="n">Reach</th>
<th class="n">Profile visits</th><th class="n">Link clicks</th><th class="n">Revenue</th>
<th class="n">Revenue / post</th><th class="n">Revenue / 1k reach</th>
<th class="n">Generation cost / post</th></tr>
<tr><td class="n">{{ fmt(a.money.reach, "{:,.0f}") }}</td>
<td class="n">{{ fmt(a.money.profile_visits, "{:,.0f}") }}</td>
<td class="n">{{ fmt(a.money.link_clicks, "{:,.0f}") }}</td>
<td class="n">{{ fmt(a.money.revenue, "{:,.2f}") }}</td>
<td class="n">{{ fmt(a.money.revenue_per_post, "{:,.2f}") }}</td>
<td class="n">{{ fmt(a.money.revenue_per_1k_reach, "{:,.2f}") }}</td>
<td class="n">{{ fmt(a.money.get("generation_cost_per_post"), "{:,.3f}") }}</td></tr>
</table>{% endif %}

<details><summary>What worked (raw medians per level)</summary>
<div class="muted">Levels are confounded (reels may also have run at better hours); the
ledger above separates them. Lift is vs the account's median post value.</div>
<div class="grid2">
{% for dim, rows in a.what_worked.items() %}<div><table>
<tr><th>{{ dim_labels[dim] }}</th><th class="n">Posts</th><th class="n">Median value</th>
<th class="n">Median ER</th><th class="n">Lift</th></tr>
{% for r in rows %}<tr><td>{{ r.level }}</td><td class="n">{{ r.posts }}</td>
<td class="n">{{ fmt(r.median_value, "{:,.0f}") }}</td>
<td class="n">{{ fmt(r.median_engagement_rate, "{:.2%}") }}</td>
<td class="n">{{ fmt(r.lift, "{:+.0%}") }}</td></tr>{% endfor %}
</table></div>{% endfor %}
</div></details>

<h3>Data quality</h3>{% if a.data_quality %}<ul>{% for q in a.data_quality %}<li>{{ q }}</li>
{% endfor %}</ul>{% else %}<p class="muted">No gaps: every published post has insights and
every day has account metrics.</p>{% endif %}
</section>
{% endfor %}
</main></body></html>
"""

_DIM_LABELS = {
    "format": "Format",
    "pillar": "Pillar",
    "hook_style": "Hook style",
    "hour_local": "Local hour",
    "slot_hour": "Posting hour",
}


def _cards(acct: Mapping[str, Any]) -> list[tuple[str, dict[str, str]]]:
    cards = []
    statuses = acct.get("kpi_status", {})
    for key, (label, pattern) in _KPI_LABELS.items():
        value = acct["kpis"].get(key)
        if value is None and key not in ("posts", "total_reach"):
            continue
        pct = acct.get("wow", {}).get(key, {}).get("delta_pct")
        if pct is None:
            delta = "no comparison"
        else:
            delta = f"{'▲' if pct > 0 else '▼' if pct < 0 else '•'} {pct:+.0%} vs last week"
        st = statuses.get(key, {"status": "none", "why": ""})
        cards.append((key, {
            "label": label, "value": _fmt(value, pattern), "delta": delta,
            "status": st["status"], "why": st["why"],
            "status_text": "" if st["status"] == "none" else st["status"],
        }))
    return cards


def render_html(report: Mapping[str, Any], out_dir: Path | str) -> Path:
    """Write `report.html` (self-contained) into out_dir and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    view = {
        "generated_at": report.get("generated_at", ""),
        "accounts": {
            name: {"money": None, "ledger": [], "trend_radar": [], **acct,
                   "cards": _cards(acct), "charts": _charts(acct),
                   # defaults first: reports stored before a field existed still render
                   "plan_diff": {**plan_diff([], []), **(acct.get("plan_diff") or {})}}
            for name, acct in report.get("accounts", {}).items()
        },
    }
    w = report.get("value_weights", {})
    weights_text = " + ".join(f"{v:g}·{k}" for k, v in w.items() if v) or "default weights"
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    html = env.from_string(_TEMPLATE).render(
        report=view, fmt=_fmt, dim_labels=_DIM_LABELS, weights_text=weights_text
    )
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
