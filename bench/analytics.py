"""Analytics benchmark: insights sync, KPIs and the weekly report for 10,000 posts.

The store is populated synthetically (accounts, published posts with variants and daily
account metrics, written in bulk and not timed). Then three timed phases:

1. **sync**: for every post, `sync_media` against an in-process Graph source whose numbers
   come from the simulator's `AudienceModel` (one realized draw per media; `follows` refused
   for reels as the API does), and a snapshot row per due age, written in one transaction
   per post (`save_snapshots`, as `contentloop insights sync` does); plus `sync_account`
   for every account's due days.
2. **kpis**: every account's full history read back (`results_from_store`), per-week KPIs
   and the "what worked" tables over all posts.
3. **report**: the last week's report for every account (JSON, Markdown, HTML with charts).

    python bench/analytics.py            # 10,000 posts, 10 accounts, SQLite file
    python bench/analytics.py --quick    # the same 10,000 posts, one snapshot age per post
    python bench/analytics.py --database-url postgresql+psycopg://...

Prints phase times, then `analytics_10k_s=` (sync + kpis + report) and `peak_mb=` (peak
resident memory of the process) last.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from contentloop.analytics.account_sync import sync_account
from contentloop.analytics.insights import due_snapshots, sync_media
from contentloop.analytics.kpis import DIMENSIONS, AccountWeek, effect_table, weekly_kpis
from contentloop.analytics.report import render_html
from contentloop.analytics.service import render_markdown, results_from_store, weekly_report
from contentloop.domain import Account, MetricSnapshot, SimulatedClock
from contentloop.sim.audience import HOOK_STYLES, AudienceModel, PostFeatures
from contentloop.store import Store
from contentloop.store.analytics_repo import save_snapshots
from contentloop.store.tables import AccountMetricRow, PostRow, VariantRow

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
FORMATS = ("image", "carousel", "reel")
PRODUCT = {"image": "FEED", "carousel": "FEED", "reel": "REELS"}
PILLARS = ("brewing", "beans", "gear")
HOURS = (8, 13, 19)


class AudienceSource:
    """An InsightsSource that answers from the AudienceModel, in-process (no HTTP)."""

    def __init__(self, model: AudienceModel, features: dict[str, PostFeatures]) -> None:
        self.model, self.features = model, features
        self.calls = 0

    def media_insights(self, media_id: str, metrics: Sequence[str]) -> dict[str, float]:
        self.calls += 1
        f = self.features[media_id]
        if f.format == "reel" and "follows" in metrics:
            raise ValueError("(#100) does not support the follows metric for this media")
        m = self.model.realized_metrics(f, media_id)
        out = {k: float(v) for k, v in m.items() if k in metrics}
        out.setdefault("views", out.get("reach", 0.0) * 1.7)
        return out

    def online_followers(self, ig_user_id: str, since: datetime, until: datetime
                         ) -> dict[int, float]:
        return {h: 100.0 * v for h, v in enumerate(self.model.online_curve())}

    def account_insights(self, ig_user_id: str, metrics: Sequence[str], period: str = "day",
                         since: Any = None, until: Any = None, metric_type: Any = None
                         ) -> list[dict[str, Any]]:
        name = metrics[0]
        if name == "online_followers":
            curve = self.model.online_curve()
            return [{"name": name, "values": [{"value": {str(h): int(900 * curve[h])
                                                         for h in range(24)}}]}]
        return [{"name": name, "values": [{"value": 120}]}]

    def me(self, fields: Sequence[str] = ()) -> dict[str, Any]:
        return {"followers_count": 9000}


def populate(store: Store, accounts: list[Account], per_account: int,
             model: AudienceModel) -> dict[str, PostFeatures]:
    """Bulk-insert published posts, variants and daily account metrics (not timed)."""
    features: dict[str, PostFeatures] = {}
    for a in accounts:
        store.ensure_account(a)
        store.set_ig_user_id(a.handle, f"ig-{a.handle}")
    for ai, a in enumerate(accounts):
        posts: list[dict[str, Any]] = []
        variants: list[dict[str, Any]] = []
        days: list[dict[str, Any]] = []
        for i in range(per_account):
            fmt = FORMATS[(i * 7 + ai) % 3]
            hour = HOURS[i % 3]
            day = START + timedelta(days=i // 3)
            at = day.replace(hour=hour)
            pid, vid, media = f"{a.handle}-{i}", f"{a.handle}-{i}-v", f"{ai:02d}{i:07d}"
            style = HOOK_STYLES[(i * 5 + ai) % len(HOOK_STYLES)]
            caption = f"Your {PILLARS[i % 3]} routine, fixed in one step #{i}\nmore"
            features[media] = PostFeatures(fmt, caption, local_hour=hour, weekday=at.weekday(),
                                           followers=9000, hook=style)
            posts.append({"id": pid, "account": a.handle, "local_date": at.date().isoformat(),
                          "scheduled_at": at, "state": "published", "format": fmt,
                          "variant_id": vid, "media_id": media, "attempts": 1,
                          "last_error": "", "published_at": at + timedelta(minutes=1),
                          "created_at": at, "updated_at": at})
            variants.append({"id": vid, "post_id": pid, "account": a.handle, "format": fmt,
                             "hook": caption.splitlines()[0], "hook_style": style,
                             "caption": caption, "hashtags": [], "pillar": PILLARS[i % 3],
                             "trend": None, "beats": [], "slides": [], "visual_prompt": "",
                             "score": 0.5, "verdicts": [], "chosen": True, "sponsored": False,
                             "generator": "template"})
        n_days = per_account // 3 + 1
        for d in range(n_days):
            iso = (START + timedelta(days=d)).date().isoformat()
            days += [{"account": a.handle, "day": iso, "metric": "new_followers",
                      "value": 10.0 + d % 7, "payload": {}},
                     {"account": a.handle, "day": iso, "metric": "followers_count",
                      "value": 9000.0 + 8 * d, "payload": {}},
                     {"account": a.handle, "day": iso, "metric": "_synced", "value": 3.0,
                      "payload": {"missing": {}}}]
        with store.session() as s:
            s.execute(insert(PostRow), posts)
            s.execute(insert(VariantRow), variants)
            s.execute(insert(AccountMetricRow), days)
    return features


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one snapshot per post (not five)")
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--out", type=Path, default=None, help="keep the report files here")
    args = ap.parse_args(argv)
    per_account = args.posts // args.accounts
    tmp = tempfile.TemporaryDirectory(prefix="bench-analytics-")
    url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
    end = START + timedelta(days=per_account // 3 + 2)
    clock = SimulatedClock(end)
    store = Store(url, clock)
    accounts = [Account(handle=f"acct{i:02d}", timezone="Europe/Berlin")
                for i in range(args.accounts)]
    model = AudienceModel(seed=7)
    t = time.perf_counter()
    features = populate(store, accounts, per_account, model)
    print(f"populate_s={time.perf_counter() - t:.2f} posts={len(features)}", flush=True)

    source = AudienceSource(model, features)
    t0 = time.perf_counter()
    snapshots = 0
    now = clock.now()
    for a in accounts:
        for post in store.posts(a.handle):
            assert post.media_id and post.published_at and post.format
            product = PRODUCT[post.format.value]
            taken = [x.age_hours for x in store.snapshots(post.id)]  # as the loop asks
            due = due_snapshots(post.published_at, now, taken, product)
            if args.quick:
                due = due[-1:]
            result = sync_media(source, post.media_id, product)
            snapshots += save_snapshots(store, [  # one transaction per post
                MetricSnapshot(post.id, post.media_id, now, float(age), dict(result))
                for age in due])
        done = store.account_metrics(a.handle, "_synced")
        sync_account(source, store.ig_user_id(a.handle), a.handle, now,
                     done[-1][0] if done else None, store.save_account_metric)
    t_sync = time.perf_counter() - t0
    print(f"sync_s={t_sync:.2f} snapshots={snapshots} api_calls={source.calls}", flush=True)

    t1 = time.perf_counter()
    measured = 0
    for a in accounts:
        results = results_from_store(store, a, START, end)
        measured += sum(1 for r in results if r.metrics)
        weeks: dict[int, list[Any]] = {}
        for r in results:
            assert r.published_at is not None
            weeks.setdefault((r.published_at - START).days // 7, []).append(r)
        for k, posts in weeks.items():
            weekly_kpis(AccountWeek(a.handle, START + timedelta(weeks=k), posts))
        for dim in DIMENSIONS:
            effect_table(results, dim)
    t_kpis = time.perf_counter() - t1
    print(f"kpis_s={t_kpis:.2f} measured_posts={measured}", flush=True)

    t2 = time.perf_counter()
    last_week = START + timedelta(weeks=(per_account // 3) // 7 - 1)
    report = weekly_report(store, accounts, last_week, now)
    out = args.out or Path(tmp.name)
    (out / "report.json").write_text(json.dumps(report, default=str))
    (out / "report.md").write_text(render_markdown(report))
    html = render_html(report, out)
    t_report = time.perf_counter() - t2
    print(f"report_s={t_report:.2f} html_kb={html.stat().st_size // 1024}", flush=True)
    store.close()
    tmp.cleanup()
    assert measured == len(features), "every post should have insights after the sync"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"analytics_10k_s={t_sync + t_kpis + t_report:.2f}")
    print(f"peak_mb={peak:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
