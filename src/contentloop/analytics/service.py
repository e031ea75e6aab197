"""Assemble a week's report from the store: results, money, followers, data quality.

Callers (CLI, dashboard, demo) pass the optimizer's experiment ledger in, so analytics does
not reach into the optimizer.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..domain import Account, Decision, Format
from ..store import Store
from ..store.analytics_repo import (
    account_series,
    clicks_by,
    daily_series,
    first_seen,
    opportunities_between,
    post_facts,
    revenue_by_post,
)
from .account_sync import SYNCED_MARKER
from .attribution import impute_reel_follows
from .explain import PLAN_DIMENSIONS, plan_diff
from .kpis import DEFAULT_WEIGHTS, M_REVENUE, AccountWeek, PostResult, ValueWeights
from .report import build_weekly_report


def parse_week(text: str | None, now: datetime) -> datetime:
    """'2026-W05' -> Monday 00:00 UTC of that ISO week; None -> the last complete week."""
    if not text:
        today = now.astimezone(UTC).date()
        monday = today - timedelta(days=today.weekday() + 7)
    else:
        try:
            year, week = text.upper().split("-W")
            monday = date.fromisocalendar(int(year), int(week), 1)
        except ValueError as exc:
            raise ValueError(f"week must look like 2026-W05, got {text!r}") from exc
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


def _followers_at(counts: Mapping[str, float], day: str) -> int | None:
    known = [d for d in counts if d <= day]
    return int(counts[max(known)]) if known else None


def results_from_store(
    store: Store, account: Account, start: datetime, end: datetime
) -> list[PostResult]:
    """Planned posts in [start, end) with latest metrics, clicks, revenue, trend age, cost."""
    tz = ZoneInfo(account.timezone)
    h = account.handle
    facts = post_facts(store, h, start, end)
    revenue = revenue_by_post(store, h)
    clicks = clicks_by(store, h, "post_id")
    counts = daily_series(store, h, "followers_count")
    seen = first_seen(store, h, {f.trend for f in facts})
    out = []
    for f in facts:
        metrics = dict(f.metrics)
        if metrics and f.post_id in revenue:
            metrics[M_REVENUE] = revenue[f.post_id]
        if metrics and f.post_id in clicks:
            metrics["link_clicks"] = float(clicks[f.post_id])
        local = f.scheduled_at.astimezone(tz)
        first = seen.get(f.trend.lower()) if f.trend else None
        age = ((f.published_at - first).total_seconds() / 3600.0
               if first is not None and f.published_at is not None else None)
        out.append(PostResult(
            post_id=f.post_id, media_id=f.media_id, account=h,
            format=_format(f.format), pillar=f.pillar, hook_style=f.hook_style,
            hour_local=local.hour, published_at=f.published_at, metrics=metrics,
            caption=f.caption, duration_s=f.duration_s,
            followers=_followers_at(counts, local.date().isoformat()),
            trend=f.trend, opportunity_id=f.opportunity_id,
            trend_age_h=max(age, 0.0) if age is not None else None,
            weekday_local=local.weekday(), generation_cost=f.generation_cost,
        ))
    return out


def _format(name: str) -> Format | str:
    try:
        return Format(name)
    except ValueError:
        return name


def thumbnail(path: str, size: int = 160) -> str | None:
    """A small JPEG data URI of an image asset (covers for reels); None if unreadable."""
    try:
        from PIL import Image

        with Image.open(Path(path)) as im:
            im = im.convert("RGB")
            im.thumbnail((size, size))
            buf = io.BytesIO()
            im.save(buf, format="JPEG", quality=70)
    except Exception:  # a missing file must not break the report
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _thumbs(store: Store, account: str, start: datetime, end: datetime,
            post_ids: Sequence[str]) -> dict[str, str]:
    covers = {f.post_id: f.cover_path for f in post_facts(store, account, start, end)}
    out = {}
    for pid in post_ids:
        uri = thumbnail(covers[pid]) if covers.get(pid) else None
        if uri:
            out[pid] = uri
    return out


def online_grid(
    series: Sequence[tuple[str, float, dict[str, Any]]], tz: ZoneInfo, week_start: datetime,
) -> tuple[list[list[float | None]] | None, dict[int, float]]:
    """`online_followers` (UTC hours per day) as a local weekday x hour grid for the week,
    and the mean per local hour. (None, {}) when nothing was synced."""
    cells: dict[tuple[int, int], list[float]] = {}
    lo, hi = week_start - timedelta(days=1), week_start + timedelta(days=8)
    for day, _v, payload in series:
        d = date.fromisoformat(day)
        if not lo.date() <= d <= hi.date():
            continue
        for hour, count in (payload.get("hours_utc") or {}).items():
            at = datetime(d.year, d.month, d.day, int(hour), tzinfo=UTC)
            if not week_start <= at < week_start + timedelta(days=7):
                continue
            local = at.astimezone(tz)
            cells.setdefault((local.weekday(), local.hour), []).append(float(count))
    if not cells:
        return None, {}
    grid: list[list[float | None]] = [[None] * 24 for _ in range(7)]
    for (wd, hr), vals in cells.items():
        grid[wd][hr] = sum(vals) / len(vals)
    by_hour: dict[int, list[float]] = {}
    for (_wd, hr), vals in cells.items():
        by_hour.setdefault(hr, []).extend(vals)
    return grid, {hr: sum(v) / len(v) for hr, v in by_hour.items()}


def followers_daily(
    days: Sequence[str], gained: Mapping[str, float], counts: Mapping[str, float]
) -> list[dict[str, Any]]:
    """Per day: followers gained (API `follower_count`), net change (follower-count
    readings) and lost = gained - net (the API reports no unfollows per day)."""
    out = []
    for d in days:
        prev = (date.fromisoformat(d) - timedelta(days=1)).isoformat()
        net = counts[d] - counts[prev] if d in counts and prev in counts else None
        g = gained.get(d)
        lost = max(g - net, 0.0) if g is not None and net is not None else None
        out.append({"day": d, "gained": g, "lost": lost, "net": net, "count": counts.get(d)})
    return out


_SERIES = ("new_followers", "followers_count", "profile_visits", "online_followers",
           SYNCED_MARKER)


def weekly_report(
    store: Store,
    accounts: Sequence[Account],
    week_start: datetime,
    now: datetime,
    *,
    weights: ValueWeights = DEFAULT_WEIGHTS,
    ledgers: Mapping[str, list[dict[str, Any]]] | None = None,
    cost_per_post: float | None = None,
) -> dict[str, Any]:
    """The report JSON for the 7 days from `week_start`, with last week for deltas.

    `cost_per_post` overrides the measured generation cost (LLM usage rows) when given.
    """
    week_end = week_start + timedelta(days=7)
    weeks: dict[str, AccountWeek] = {}
    decisions: list[Decision] = []
    extras: dict[str, dict[str, Any]] = {}
    for acc in accounts:
        h = acc.handle
        tz = ZoneInfo(acc.timezone)
        series = account_series(store, h, _SERIES)
        new_f = {d: v for d, v, _ in series["new_followers"]}
        counts = {d: v for d, v, _ in series["followers_count"]}
        synced = {d: p for d, _v, p in series[SYNCED_MARKER]}

        def week(
            start: datetime, prev: AccountWeek | None, acc: Account = acc,
            new_f: dict[str, float] = new_f, counts: dict[str, float] = counts,
            synced: dict[str, dict[str, Any]] = synced, tz: ZoneInfo = tz,
            series: dict[str, list[tuple[str, float, dict[str, Any]]]] = series,
        ) -> AccountWeek:
            end = start + timedelta(days=7)
            posts = results_from_store(store, acc, start, end)
            days = [(start + timedelta(days=i)).date().isoformat() for i in range(7)]
            known = [new_f[d] for d in days if d in new_f]
            posts = impute_reel_follows(posts, float(sum(known)) if known else None)
            inside = [counts[d] for d in sorted(counts) if d in days]
            notes = []
            for d in days:
                missing = (synced.get(d) or {}).get("missing")
                if d not in synced and date.fromisoformat(d) + timedelta(days=2) <= now.date():
                    notes.append(f"{d}: account metrics were not synced")
                elif missing:
                    notes.append(f"{d}: no {', '.join(sorted(missing))}")
            grid, by_hour = online_grid(series["online_followers"], tz, start)
            return AccountWeek(
                account=acc.handle, week_start=start, posts=posts,
                followers_start=int(inside[0]) if len(inside) > 1 else None,
                followers_end=int(inside[-1]) if len(inside) > 1 else None,
                previous=prev, notes=tuple(_squash(notes)), online_local=by_hour,
                online_grid=grid, opportunities=tuple(opportunities_between(
                    store, acc.handle, start, end + timedelta(days=1))),
                plan_posts=acc.posts_per_day * 7,
            )

        prev = week(week_start - timedelta(days=7), None)
        weeks[h] = week(week_start, prev)
        decisions.extend(decisions_as_of(store, h, week_end + timedelta(days=1)))
        days = [(week_start + timedelta(days=i)).date().isoformat() for i in range(7)]
        estimated = [p.post_id for p in weeks[h].posts if p.metrics.get("follows_estimated")]
        published = weeks[h].published
        revenue = sum(float(p.metrics.get(M_REVENUE, 0.0)) for p in published)
        reach = sum(float(p.metrics.get("reach", 0.0)) for p in published)
        n_pub = len(published)
        clicks = sum(clicks_by(store, h, "post_id", week_start, week_end).values())
        visits = {d: v for d, v, _ in series["profile_visits"]}
        costs = [p.generation_cost for p in published if p.generation_cost is not None]
        extras[h] = {
            "followers_per_day": {d: new_f.get(d) for d in days},
            "followers_daily": followers_daily(days, new_f, counts),
            "money": {
                "reach": reach,
                "profile_visits": sum(visits.get(d, 0.0) for d in days),
                "link_clicks": clicks,
                "revenue": revenue,
                "revenue_per_post": revenue / n_pub if n_pub else None,
                "revenue_per_1k_reach": 1000 * revenue / reach if reach else None,
                "generation_cost_per_post": cost_per_post if cost_per_post is not None
                else (sum(costs) / len(costs) if costs else None),
                "generation_cost_total": sum(costs) if costs else None,
            },
            "follows_estimated_posts": estimated,
            "ledger": list((ledgers or {}).get(h, [])),
        }
    report = build_weekly_report(weeks, decisions, now, weights)
    report["week_start"] = week_start.date().isoformat()
    for acc in accounts:
        h = acc.handle
        extra = extras[h]
        acct = report["accounts"][h]
        acct.update(extra)
        _with_plan(store, acct, weeks[h], [d for d in decisions if d.account == h], week_end)
        shown = [r["post_id"] for r in acct["top_posts"] + acct["bottom_posts"]]
        thumbs = _thumbs(store, h, week_start, week_end, shown)
        for row in acct["top_posts"] + acct["bottom_posts"] + acct["posts"]:
            row["thumbnail"] = thumbs.get(row["post_id"])
        if extra["follows_estimated_posts"]:
            acct["data_quality"].append(
                f"{len(extra['follows_estimated_posts'])} reel(s) have estimated follows "
                "(the API gives none for reels; see docs/KPIS.md)"
            )
        young = [p.media_id for p in weeks[h].published
                 if p.published_at is not None and now - p.published_at < timedelta(hours=72)]
        if young:
            acct["data_quality"].append(
                f"{len(young)} post(s) are under 72 h old: their numbers will still grow.")
    return report


def _with_plan(store: Store, acct: dict[str, Any], week: AccountWeek,
               decisions: Sequence[Decision], next_monday: datetime) -> None:
    """Next week's stored plan in the report: its status and who decided; once approved or
    edited, its shares are the "next week" column."""
    from ..optimize.plans import iso_week
    from ..store.plans_repo import PlansRepo

    label = iso_week(next_monday.date())
    plan = PlansRepo(store).get(acct["account"], label)
    if plan is not None:
        acct["plan_diff"] = plan_diff(week.posts, decisions, week.plan_posts,
                                      plan=plan.as_dict())
    acct["plan_diff"]["week"] = label


def decisions_as_of(store: Store, account: str, cutoff: datetime) -> list[Decision]:
    """The optimizer's latest refit made before `cutoff`: one decision per dimension plus
    every rule pause of that refit (a past week's report shows the plan made back then)."""
    earlier = [d for d in store.decisions(account, latest_only=False) if d.made_at < cutoff]
    out: list[Decision] = []
    seen: set[str] = set()
    latest_at = None
    for d in earlier:  # newest first
        if d.kind in PLAN_DIMENSIONS and d.kind not in seen:
            seen.add(d.kind)
            out.append(d)
            latest_at = latest_at or d.made_at
    out += [d for d in earlier if d.kind not in PLAN_DIMENSIONS and d.made_at == latest_at]
    return out


def _squash(notes: Sequence[str], limit: int = 6) -> list[str]:
    """Keep data-quality notes short: identical gaps on many days become one line."""
    by_gap: dict[str, list[str]] = {}
    for n in notes:
        day, _, gap = n.partition(": ")
        by_gap.setdefault(gap, []).append(day)
    out = []
    for gap, days in by_gap.items():
        out.append(f"{days[0]}: {gap}" if len(days) == 1
                   else f"{len(days)} days ({days[0]} … {days[-1]}): {gap}")
    return out[:limit]


def _plan_status(plan: Mapping[str, Any]) -> str:
    """'approved by web:alice at …' or 'proposed: approve or edit it as a whole'."""
    status = plan.get("status", "proposed")
    if status == "proposed" or not plan.get("decided_by"):
        return f"{status}: approve or edit it as a whole (`contentloop plan approve|edit`)"
    when = str(plan.get("decided_at") or "")[:16].replace("T", " ")
    return f"{status} by {plan['decided_by']} at {when} UTC"


_STATUS_MARK = {"good": "🟢 good", "watch": "🟠 watch", "bad": "🔴 bad", "none": ""}


def render_markdown(report: Mapping[str, Any]) -> str:
    """A plain Markdown version: headline, decisions, scorecard with status, plan diff,
    top/bottom posts with why, trend radar, ledger, data quality (no charts)."""
    lines = [f"# Weekly report (week of {report.get('week_start', '')})", ""]
    for name, a in report.get("accounts", {}).items():
        lines += [f"## @{name}", "", a["headline"], "", "### Decisions taken", ""]
        lines += [f"- {x}" for x in a["next_actions"]]
        lines += ["", "### Scorecard", "", "| KPI | value | vs last week | status |",
                  "|---|---:|---:|---|"]
        status = a.get("kpi_status", {})
        for key, value in a["kpis"].items():
            pct = a.get("wow", {}).get(key, {}).get("delta_pct")
            shown = "—" if value is None else f"{value:,.4g}"
            mark = _STATUS_MARK.get(status.get(key, {}).get("status", "none"), "")
            lines.append(f"| {key} | {shown} | {'—' if pct is None else f'{pct:+.0%}'} | "
                         f"{mark} |")
        plan = a.get("plan_diff")
        if plan:
            lines += ["", f"### Next week's plan ({_plan_status(plan)})", ""]
            lines += [f"- {c}" for c in plan["changes"]] or ["- no big changes"]
            for dim, rows in plan["dimensions"].items():
                lines += ["", f"| {dim} | this week | next week | change |", "|---|---:|---:|---:|"]
                for r in rows:
                    nxt = "—" if r["next_week_share"] is None else f"{r['next_week_share']:.0%}"
                    chg = "—" if r["change"] is None else f"{100 * r['change']:+.0f} pts"
                    label = r["label"] + (" (paused)" if r["paused"] else "")
                    lines.append(f"| {label} | {r['this_week_share']:.0%} | {nxt} | {chg} |")
        for title, key in (("Top posts", "top_posts"), ("Bottom posts", "bottom_posts")):
            if a.get(key):
                lines += ["", f"### {title}", ""]
                for p in a[key]:
                    lines.append(f"- **{p['hook'] or p['media_id']}** ({p['format']}, value "
                                 f"{p['value'] or 0:,.0f}): " + "; ".join(p.get("why", [])))
        if a.get("trend_radar"):
            lines += ["", "### Trend radar", ""]
            for t in a["trend_radar"]:
                used = "used" if t["used"] else "not used yet"
                lines.append(f"- **{t['topic']}** ({t['score']:.2f}, {used}): {t['explanation']}")
        if a.get("ledger"):
            lines += ["", "### Experiment ledger", "", "| dimension | level | posts | lift "
                      "(90% CI) | P(best) |", "|---|---|---:|---|---:|"]
            for r in a["ledger"]:
                lines.append(f"| {r['dimension']} | {r['level']} | {r['posts']} | "
                             f"{r['lift']:+.0%} ({r['lift_lo']:+.0%} … {r['lift_hi']:+.0%}) | "
                             f"{r['p_best']:.2f} |")
        if a["data_quality"]:
            lines += ["", "### Data quality", ""] + [f"- {q}" for q in a["data_quality"]]
        lines.append("")
    return "\n".join(lines)
