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
from ..store.analytics_repo import clicks_by, daily_series, revenue_by_post
from .account_sync import SYNCED_MARKER
from .attribution import impute_reel_follows
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


def results_from_store(
    store: Store, account: Account, start: datetime, end: datetime
) -> list[PostResult]:
    """Planned posts in [start, end) with latest metrics, clicks and attributed revenue."""
    tz = ZoneInfo(account.timezone)
    revenue = revenue_by_post(store, account.handle)
    clicks = clicks_by(store, account.handle, "post_id")
    out = []
    for post in store.posts(account.handle, start=start, end=end):
        variant = store.get_variant(post.variant_id) if post.variant_id else None
        assets = store.assets(post.id)
        metrics = dict(store.latest_metrics(post.id))
        if metrics and post.id in revenue:
            metrics[M_REVENUE] = revenue[post.id]
        if metrics and post.id in clicks:
            metrics["link_clicks"] = float(clicks[post.id])
        out.append(PostResult(
            post_id=post.id, media_id=post.media_id or "", account=account.handle,
            format=variant.format if variant else (post.format or Format.IMAGE),
            pillar=variant.pillar if variant else "",
            hook_style=variant.hook_style if variant else "",
            hour_local=post.scheduled_at.astimezone(tz).hour,
            published_at=post.published_at, metrics=metrics,
            caption=variant.caption if variant else "",
            duration_s=sum(a.duration_s for a in assets if a.role == "main"),
        ))
    return out


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


def _thumbs(store: Store, posts: Sequence[PostResult]) -> dict[str, str]:
    out = {}
    for p in posts:
        images = [a for a in store.assets(p.post_id) if a.mime.startswith("image/")]
        covers = [a for a in images if a.role == "cover"] or images
        if covers:
            uri = thumbnail(covers[0].path)
            if uri:
                out[p.post_id] = uri
    return out


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
    """The report JSON for the 7 days from `week_start`, with last week for deltas."""
    week_end = week_start + timedelta(days=7)
    weeks: dict[str, AccountWeek] = {}
    decisions: list[Decision] = []
    extras: dict[str, dict[str, Any]] = {}
    for acc in accounts:
        h = acc.handle
        new_f = daily_series(store, h, "new_followers")

        def week(
            start: datetime, prev: AccountWeek | None, h: str = h,
            new_f: dict[str, float] = new_f, acc: Account = acc,
        ) -> AccountWeek:
            end = start + timedelta(days=7)
            posts = results_from_store(store, acc, start, end)
            days = [(start + timedelta(days=i)).date().isoformat() for i in range(7)]
            known = [new_f[d] for d in days if d in new_f]
            posts = impute_reel_follows(posts, float(sum(known)) if known else None)
            counts = daily_series(store, h, "followers_count")
            inside = [counts[d] for d in sorted(counts) if d in days]
            notes = []
            for d in days:
                for day, _v, payload in store.account_metrics(h, SYNCED_MARKER):
                    if day == d and payload.get("missing"):
                        notes.append(f"{d}: no {', '.join(sorted(payload['missing']))}")
            return AccountWeek(
                account=h, week_start=start, posts=posts,
                followers_start=int(inside[0]) if len(inside) > 1 else None,
                followers_end=int(inside[-1]) if len(inside) > 1 else None,
                previous=prev, notes=tuple(notes[:10]),
            )

        prev = week(week_start - timedelta(days=7), None)
        weeks[h] = week(week_start, prev)
        decisions.extend(store.decisions(h))
        days = [(week_start + timedelta(days=i)).date().isoformat() for i in range(7)]
        estimated = [p.post_id for p in weeks[h].posts if p.metrics.get("follows_estimated")]
        revenue = sum(float(p.metrics.get(M_REVENUE, 0.0)) for p in weeks[h].published)
        reach = sum(float(p.metrics.get("reach", 0.0)) for p in weeks[h].published)
        n_pub = len(weeks[h].published)
        clicks = sum(clicks_by(store, h, "post_id", week_start, week_end).values())
        extras[h] = {
            "followers_per_day": {d: new_f.get(d) for d in days},
            "money": {
                "reach": reach,
                "profile_visits": sum(
                    daily_series(store, h, "profile_visits").get(d, 0.0) for d in days),
                "link_clicks": clicks,
                "revenue": revenue,
                "revenue_per_post": revenue / n_pub if n_pub else None,
                "revenue_per_1k_reach": 1000 * revenue / reach if reach else None,
                "generation_cost_per_post": cost_per_post,
            },
            "follows_estimated_posts": estimated,
            "thumbnails": _thumbs(store, weeks[h].published),
            "ledger": list((ledgers or {}).get(h, [])),
        }
    report = build_weekly_report(weeks, decisions, now, weights)
    report["week_start"] = week_start.date().isoformat()
    for h, extra in extras.items():
        acct = report["accounts"][h]
        acct.update({k: v for k, v in extra.items() if k != "thumbnails"})
        for row in acct["top_posts"] + acct["bottom_posts"] + acct["posts"]:
            row["thumbnail"] = extra["thumbnails"].get(row["post_id"])
        if extra["follows_estimated_posts"]:
            acct["data_quality"].append(
                f"{len(extra['follows_estimated_posts'])} reel(s) have estimated follows "
                "(the API gives none for reels; see docs/KPIS.md)"
            )
    return report


def render_markdown(report: Mapping[str, Any]) -> str:
    """A plain Markdown summary (headline, KPIs with deltas, decisions, ledger, quality)."""
    lines = [f"# Weekly report (week of {report.get('week_start', '')})", ""]
    for name, a in report.get("accounts", {}).items():
        lines += [f"## @{name}", "", a["headline"], "", "| KPI | value | vs last week |",
                  "|---|---:|---:|"]
        for key, value in a["kpis"].items():
            pct = a.get("wow", {}).get(key, {}).get("delta_pct")
            shown = "—" if value is None else f"{value:,.4g}"
            lines.append(f"| {key} | {shown} | {'—' if pct is None else f'{pct:+.0%}'} |")
        lines += ["", "### Decisions", ""] + [f"- {x}" for x in a["next_actions"]]
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
