"""The weekly report: one JSON document (the record) and one self-contained HTML page.

The JSON is built first and the HTML (and its charts) only from the JSON, so the page can
be re-rendered later from the stored report. The HTML has inline CSS and charts as
base64 PNG data URIs: it opens offline, from an email attachment or the dashboard, with no
CDN and no JavaScript.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from contentloop.domain import Decision, utc

from .kpis import (
    DEFAULT_WEIGHTS,
    DIMENSIONS,
    AccountWeek,
    PostResult,
    ValueWeights,
    effect_table,
    post_kpis,
    week_over_week,
    weekly_kpis,
)

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
        "format": post.format_name,
        "pillar": post.pillar,
        "hook_style": post.hook_style,
        "hour_local": post.hour_local,
        "published_at": utc(post.published_at).isoformat() if post.published_at else None,
    }


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
        accounts[name] = {
            "account": name,
            "week_start": utc(week.week_start).isoformat(),
            "headline": _headline(name, kpis, wow),
            "kpis": {k: _finite(v) for k, v in kpis.items()},
            "wow": {k: {kk: _finite(vv) for kk, vv in v.items()} for k, v in wow.items()},
            "top_posts": rows[:TOP_N],
            "bottom_posts": list(reversed(rows[TOP_N:]))[:TOP_N] if len(rows) > TOP_N else [],
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


# -- charts ---------------------------------------------------------------------------

_PALETTE = {"reel": "#d1495b", "carousel": "#00798c", "image": "#edae49", "story": "#66a182"}


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _account_chart(acct: Mapping[str, Any]) -> str | None:
    """2x2 panel: value and ER by format, value by hour, reach over the week."""
    posts = [p for p in acct.get("posts", []) if p.get("value") is not None]
    if not posts:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 6.4))
    try:
        fmt_rows = acct["what_worked"]["format"]
        names = [r["level"] for r in fmt_rows]
        ax = axes[0][0]
        ax.bar(
            names,
            [r["median_value"] or 0 for r in fmt_rows],
            color=[_PALETTE.get(n, "#888") for n in names],
        )
        ax.set_title("Median value per post, by format")
        ax.set_ylabel("value")

        ax = axes[0][1]
        groups = [
            [
                p["engagement_rate"] * 100
                for p in posts
                if p["format"] == n and p["engagement_rate"] is not None
            ]
            for n in names
        ]
        keep = [(n, g) for n, g in zip(names, groups, strict=True) if g]
        if keep:
            ax.boxplot([g for _, g in keep], tick_labels=[n for n, _ in keep])
        ax.set_title("Engagement rate by reach (%), by format")

        ax = axes[1][0]
        hours = sorted(acct["what_worked"]["hour_local"], key=lambda r: r["level"])
        ax.bar(
            [r["level"][:2] for r in hours],
            [r["median_value"] or 0 for r in hours],
            color="#30638e",
        )
        ax.set_title("Median value by local posting hour")
        ax.set_xlabel("hour")

        ax = axes[1][1]
        timed = sorted((p for p in posts if p["published_at"]), key=lambda p: p["published_at"])
        for n in names:
            xs = [i for i, p in enumerate(timed) if p["format"] == n]
            ys = [timed[i]["reach"] or 0 for i in xs]
            ax.scatter(xs, ys, label=n, color=_PALETTE.get(n, "#888"), s=28)
        ax.set_title("Reach per post, in publishing order")
        ax.set_xlabel("post #")
        if names:
            ax.legend(fontsize=8, frameon=False)
        for row in axes:
            for a in row:
                a.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return _png(fig)
    finally:
        plt.close(fig)


# -- HTML -----------------------------------------------------------------------------

_KPI_LABELS = {
    "posts": ("Posts", "{:.0f}"),
    "total_reach": ("Total reach", "{:,.0f}"),
    "median_engagement_rate": ("Median ER (reach)", "{:.2%}"),
    "median_saves_per_reach": ("Saves / reach", "{:.2%}"),
    "median_sends_per_reach": ("Sends / reach", "{:.2%}"),
    "median_watch_through": ("Reel watch-through", "{:.0%}"),
    "follows_from_posts": ("Follows from posts", "{:,.0f}"),
    "net_follower_growth": ("Net follower growth", "{:+,.0f}"),
    "net_follower_growth_pct": ("Net growth %", "{:+.2%}"),
    "posting_consistency": ("Posting consistency", "{:.0%}"),
    "business_value": ("Business value", "{:,.0f}"),
    "median_value": ("Median value / post", "{:,.1f}"),
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
 h1{font-size:26px;margin:0 0 4px} h2{font-size:21px;margin:32px 0 6px;
      border-bottom:2px solid #1f2a44;padding-bottom:4px}
 h3{font-size:16px;margin:20px 0 8px;color:#30638e}
 .muted{color:#6b7280;font-size:13px}
 .headline{font-size:17px;background:#fff;border-left:5px solid #f2c14e;padding:10px 14px}
 .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:10px}
 .card{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px #0001}
 .card .v{font-size:20px;font-weight:700} .card .l{font-size:12px;color:#6b7280}
 .up{color:#15803d;font-size:12px} .down{color:#b91c1c;font-size:12px}
 .flat{color:#6b7280;font-size:12px}
 table{border-collapse:collapse;width:100%;background:#fff;font-size:13px;margin-bottom:8px}
 th,td{padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
 th{background:#eef1f5;font-weight:600} td.n{text-align:right;font-variant-numeric:tabular-nums}
 .grid2{display:grid;grid-template-columns:1fr 1fr;gap:14px}
 ol.actions li{margin:4px 0;background:#fff;padding:6px 10px;border-radius:6px}
 .bar{background:#30638e;height:10px;border-radius:3px;display:inline-block}
 .tag{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;color:#fff}
 .decided{background:#15803d}.leaning{background:#d97706}.exploring{background:#6b7280}
 img.chart{width:100%;background:#fff;border-radius:8px}
 code{font-size:12px}
</style></head><body><main>
<h1>Weekly content report</h1>
<div class="muted">Generated {{ report.generated_at }} · value = {{ weights_text }}</div>
{% for name, a in report.accounts.items() %}
<section>
<h2>@{{ name }} <span class="muted">week of {{ a.week_start[:10] }}</span></h2>
<p class="headline">{{ a.headline }}</p>

<h3>KPIs vs last week</h3>
<div class="cards">
{% for key, card in a.cards %}<div class="card"><div class="l">{{ card.label }}</div>
<div class="v">{{ card.value }}</div><div class="{{ card.cls }}">{{ card.delta }}</div></div>
{% endfor %}</div>

<h3>What to do next</h3>
<ol class="actions">{% for act in a.next_actions %}<li>{{ act }}</li>{% endfor %}</ol>

<h3>Top posts</h3>
<table><tr><th>#</th><th></th><th>Hook</th><th>Format · pillar · hook style · hour</th>
<th>Media id</th><th class="n">Value</th><th class="n">Reach</th><th class="n">ER</th></tr>
{% for p in a.top_posts %}<tr><td>{{ loop.index }}</td><td>{% if p.get("thumbnail") %}<img
 src="{{ p.thumbnail }}" alt="" style="width:64px;border-radius:4px">{% endif %}</td>
<td>{{ p.hook or "(no caption)" }}</td>
<td>{{ p.format }} · {{ p.pillar }} · {{ p.hook_style }} · {{ "%02d"|format(p.hour_local) }}:00
</td><td><code>{{ p.media_id }}</code></td><td class="n">{{ fmt(p.value, "{:,.0f}") }}</td>
<td class="n">{{ fmt(p.reach, "{:,.0f}") }}</td>
<td class="n">{{ fmt(p.engagement_rate, "{:.2%}") }}</td></tr>{% endfor %}
</table>
{% if a.bottom_posts %}<div class="muted">Weakest: {% for p in a.bottom_posts %}
<code>{{ p.media_id }}</code> ({{ p.format }}, value {{ fmt(p.value, "{:,.0f}") }}){{
 ", " if not loop.last }}{% endfor %}</div>{% endif %}

{% if a.chart %}<h3>Charts</h3><img class="chart" alt="charts for {{ name }}" src="{{ a.chart }}">
{% endif %}

<h3>What worked</h3>
<div class="muted">Raw medians per level this week (levels are confounded; the optimizer's
model separates them). Lift is vs the account's median post value.</div>
<div class="grid2">
{% for dim, rows in a.what_worked.items() %}<div><table>
<tr><th>{{ dim_labels[dim] }}</th><th class="n">Posts</th><th class="n">Median value</th>
<th class="n">Median ER</th><th class="n">Lift</th></tr>
{% for r in rows %}<tr><td>{{ r.level }}</td><td class="n">{{ r.posts }}</td>
<td class="n">{{ fmt(r.median_value, "{:,.0f}") }}</td>
<td class="n">{{ fmt(r.median_engagement_rate, "{:.2%}") }}</td>
<td class="n">{{ fmt(r.lift, "{:+.0%}") }}</td></tr>{% endfor %}
</table></div>{% endfor %}
</div>

<h3>Experiments</h3>
{% if a.experiments %}<table><tr><th>Dimension</th><th>Status</th><th>Next week's allocation</th>
<th>Why</th></tr>
{% for e in a.experiments %}<tr><td>{{ dim_labels.get(e.dimension, e.dimension) }}</td>
<td><span class="tag {{ e.status }}">{{ e.status }}</span></td><td>
{% for lv, p in e.allocation.items() %}<div><span class="bar" style="width:{{ (p*120)|round|int
}}px"></span> {{ e.labels[lv] }} {{ "%.0f"|format(p*100) }}%</div>{% endfor %}</td>
<td>{{ e.reason }}</td></tr>{% endfor %}</table>
{% else %}<p class="muted">No optimizer decisions yet.</p>{% endif %}

{% if a.get("money") %}<h3>Money funnel</h3><table><tr><th>Reach</th><th>Profile visits</th>
<th>Link clicks</th><th>Revenue</th><th>Revenue / post</th><th>Revenue / 1k reach</th></tr>
<tr><td class="n">{{ fmt(a.money.reach, "{:,.0f}") }}</td>
<td class="n">{{ fmt(a.money.profile_visits, "{:,.0f}") }}</td>
<td class="n">{{ fmt(a.money.link_clicks, "{:,.0f}") }}</td>
<td class="n">{{ fmt(a.money.revenue, "{:,.2f}") }}</td>
<td class="n">{{ fmt(a.money.revenue_per_post, "{:,.2f}") }}</td>
<td class="n">{{ fmt(a.money.revenue_per_1k_reach, "{:,.2f}") }}</td></tr></table>{% endif %}

{% if a.get("ledger") %}<h3>Experiment ledger</h3><div class="muted">Effect on value vs the
dimension's average level, median and 90% credible interval; P(best) from the posterior.
</div><table><tr><th>Dimension</th><th>Level</th><th class="n">Posts</th>
<th class="n">Lift</th><th class="n">90% CI</th><th class="n">P(best)</th></tr>
{% for r in a.ledger %}<tr><td>{{ dim_labels.get(r.dimension, r.dimension) }}</td>
<td>{{ r.level }}</td><td class="n">{{ r.posts }}</td><td class="n">{{ fmt(r.lift, "{:+.0%}")
}}</td><td class="n">{{ fmt(r.lift_lo, "{:+.0%}") }} … {{ fmt(r.lift_hi, "{:+.0%}") }}</td>
<td class="n">{{ fmt(r.p_best, "{:.2f}") }}</td></tr>{% endfor %}</table>{% endif %}

{% if a.data_quality %}<h3>Data quality</h3><ul>{% for q in a.data_quality %}<li>{{ q }}</li>
{% endfor %}</ul>{% endif %}
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
    for key, (label, pattern) in _KPI_LABELS.items():
        value = acct["kpis"].get(key)
        if value is None and key not in ("posts", "total_reach"):
            continue
        pct = acct.get("wow", {}).get(key, {}).get("delta_pct")
        if pct is None:
            delta, cls = "no comparison", "flat"
        else:
            delta = f"{'▲' if pct > 0 else '▼' if pct < 0 else '•'} {pct:+.0%} vs last week"
            cls = "up" if pct > 0 else "down" if pct < 0 else "flat"
        cards.append(
            (key, {"label": label, "value": _fmt(value, pattern), "delta": delta, "cls": cls})
        )
    return cards


def render_html(report: Mapping[str, Any], out_dir: Path | str) -> Path:
    """Write `report.html` (self-contained) into out_dir and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    view = {
        "generated_at": report.get("generated_at", ""),
        "accounts": {
            name: {**acct, "cards": _cards(acct), "chart": _account_chart(acct)}
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
