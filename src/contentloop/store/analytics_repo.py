"""Analytics repository: short links and clicks, imported revenue, account time series.

Clicks are measured by contentloop itself (each post variant gets its own `/r/CODE`
link with a UTM-tagged target), because the Graph API does not say which post a website
visit came from.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..domain import ContentloopError, MetricSnapshot, Opportunity, utc
from .repo import Store
from .tables import (
    AccountMetricRow,
    AssetRow,
    MetricSnapshotRow,
    OpportunityRow,
    PostRow,
    SignalRow,
    VariantRow,
)
from .tables_analytics import ClickRow, LinkRow, RevenueRow
from .tables_creative import LlmUsageRow


class RevenueImportError(ContentloopError):
    """A revenue CSV cannot be read at all (missing columns); row errors are reported instead."""


@dataclass(frozen=True, slots=True)
class Link:
    code: str
    account: str
    target: str
    post_id: str = ""
    variant_id: str = ""
    label: str = ""
    active: bool = True


def utm_tag(url: str, *, account: str, content: str, campaign: str = "") -> str:
    """Add UTM parameters (kept if the URL already sets them) so analytics can attribute."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in (
        ("utm_source", "instagram"),
        ("utm_medium", "social"),
        ("utm_campaign", campaign or account),
        ("utm_content", content),
    ):
        if value:
            query.setdefault(key, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


def link_code(account: str, post_id: str, variant_id: str, target: str) -> str:
    """Stable 8-character code: asking twice for the same link gives the same code."""
    digest = hashlib.sha256(f"{account}|{post_id}|{variant_id}|{target}".encode()).digest()
    return base64.b32encode(digest[:5]).decode("ascii").lower()


def _link(row: LinkRow) -> Link:
    return Link(row.code, row.account, row.target, row.post_id, row.variant_id, row.label,
                bool(row.active))


def create_link(
    store: Store,
    account: str,
    target: str,
    *,
    post_id: str = "",
    variant_id: str = "",
    label: str = "",
    campaign: str = "",
) -> Link:
    """The short link of one post variant (created once; later calls return the same link)."""
    if not target.startswith(("http://", "https://")):
        raise ValueError(f"link target must be an http(s) URL, got {target!r}")
    code = link_code(account, post_id, variant_id, target)
    tagged = utm_tag(target, account=account, content=variant_id or post_id, campaign=campaign)
    with store.session() as s:
        row = s.get(LinkRow, code)
        if row is None:
            row = LinkRow(code=code, account=account, post_id=post_id, variant_id=variant_id,
                          label=label[:200], target=tagged, active=1,
                          created_at=store.clock.now())
            s.add(row)
        return _link(row)


def get_link(store: Store, code: str) -> Link | None:
    with store.session() as s:
        row = s.get(LinkRow, code)
        return _link(row) if row else None


def active_links(store: Store, account: str, limit: int = 12) -> list[Link]:
    """Newest active links first: what the link-in-bio page shows."""
    with store.session() as s:
        rows = s.scalars(
            select(LinkRow)
            .where(LinkRow.account == account, LinkRow.active == 1)
            .order_by(LinkRow.created_at.desc(), LinkRow.code)
            .limit(limit)
        )
        return [_link(r) for r in rows]


def record_click(store: Store, code: str, at: datetime, referrer_host: str = "") -> bool:
    """Count one click; False if the code is unknown (nothing is written)."""
    with store.session() as s:
        if s.get(LinkRow, code) is None:
            return False
        s.add(ClickRow(code=code, at=utc(at), referrer_host=referrer_host[:200]))
    return True


def clicks_by(
    store: Store, account: str, key: str = "post_id",
    start: datetime | None = None, end: datetime | None = None,
) -> dict[str, int]:
    """Click counts per post (key="post_id"), variant ("variant_id") or link ("code")."""
    column = {"post_id": LinkRow.post_id, "variant_id": LinkRow.variant_id,
              "code": LinkRow.code}[key]
    with store.session() as s:
        q = (
            select(column, func.count(ClickRow.id))
            .join(LinkRow, LinkRow.code == ClickRow.code)
            .where(LinkRow.account == account)
            .group_by(column)
        )
        if start is not None:
            q = q.where(ClickRow.at >= start)
        if end is not None:
            q = q.where(ClickRow.at < end)
        return {str(k): int(n) for k, n in s.execute(q).all()}


@dataclass
class RevenueImport:
    added: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


_REQUIRED = ("date", "amount")


def import_revenue_csv(store: Store, account: str, text: str) -> RevenueImport:
    """Import affiliate/sponsor revenue rows; re-importing the same file adds nothing.

    Columns: date (YYYY-MM-DD), amount, and optionally currency, source (affiliate |
    sponsored | other), post_id, link_code, ref (the network's order id; a hash of the row
    when absent), note. Bad rows are listed in `errors` with their line number.
    """
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED if c not in fields]
    if missing:
        raise RevenueImportError(
            f"revenue CSV lacks column(s) {', '.join(missing)}; header was {fields or 'empty'} "
            "(needed: date, amount; optional: currency, source, post_id, link_code, ref, note)"
        )
    result = RevenueImport()
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            day = date.fromisoformat(row["date"]).isoformat()
            amount = float(row["amount"].replace(",", ""))
        except ValueError as exc:
            result.errors.append(f"line {line}: {exc}")
            continue
        ref = row.get("ref") or hashlib.sha256(repr(sorted(row.items())).encode()).hexdigest()[:32]
        try:
            with store.session() as s:
                s.add(RevenueRow(
                    account=account, ref=ref[:200], day=day,
                    source=(row.get("source") or "affiliate")[:40], amount=amount,
                    currency=(row.get("currency") or "USD")[:3].upper(),
                    post_id=row.get("post_id", "")[:80], link_code=row.get("link_code", "")[:32],
                    note=row.get("note", ""),
                ))
            result.added += 1
        except IntegrityError:
            result.duplicates += 1
    return result


def revenue_by_post(
    store: Store, account: str, start_day: str | None = None, end_day: str | None = None
) -> dict[str, float]:
    """Revenue per post id; rows attributed only to a link go to that link's post; the rest
    are under "" (unattributed). Days are inclusive-exclusive ISO dates."""
    with store.session() as s:
        q = select(RevenueRow).where(RevenueRow.account == account)
        if start_day:
            q = q.where(RevenueRow.day >= start_day)
        if end_day:
            q = q.where(RevenueRow.day < end_day)
        rows = list(s.scalars(q))
        link_posts = {
            code: post for code, post in s.execute(
                select(LinkRow.code, LinkRow.post_id).where(LinkRow.account == account)
            ).all()
        }
    out: dict[str, float] = {}
    for r in rows:
        post = r.post_id or link_posts.get(r.link_code, "")
        out[post] = out.get(post, 0.0) + r.amount
    return out


def daily_series(store: Store, account: str, metric: str) -> dict[str, float]:
    """An account metric as {ISO day: value} (e.g. followers_count, reach, online_followers)."""
    return {day: value for day, value, _payload in store.account_metrics(account, metric)}


@dataclass(frozen=True, slots=True)
class PostFacts:
    """What the report needs of one post, read in a handful of queries for a whole window."""

    post_id: str
    scheduled_at: datetime
    published_at: datetime | None
    media_id: str
    format: str
    pillar: str = ""
    hook_style: str = ""
    caption: str = ""
    trend: str = ""
    opportunity_id: str = ""
    generator: str = "template"
    metrics: dict[str, float] = field(default_factory=dict)
    duration_s: float = 0.0
    cover_path: str = ""
    generation_cost: float | None = None


def post_facts(store: Store, account: str, start: datetime, end: datetime) -> list[PostFacts]:
    """Posts scheduled in [start, end) with variant, latest snapshot, assets and LLM cost.

    Five queries whatever the number of posts (the per-post repository calls made a
    10,000-post report take minutes). Generation cost: the sum of the post's LLM usage
    rows; 0 for template-engine posts without any; None when unknown.
    """
    window = (PostRow.account == account, PostRow.scheduled_at >= start,
              PostRow.scheduled_at < end)
    with store.session() as s:
        rows = s.execute(
            select(PostRow, VariantRow).outerjoin(VariantRow, VariantRow.id == PostRow.variant_id)
            .where(*window).order_by(PostRow.scheduled_at, PostRow.id)
        ).all()
        latest = (select(MetricSnapshotRow.post_id, func.max(MetricSnapshotRow.age_hours)
                         .label("age")).join(PostRow, PostRow.id == MetricSnapshotRow.post_id)
                  .where(*window).group_by(MetricSnapshotRow.post_id).subquery())
        metrics = {
            pid: dict(m) for pid, m in s.execute(
                select(MetricSnapshotRow.post_id, MetricSnapshotRow.metrics).join(
                    latest, (latest.c.post_id == MetricSnapshotRow.post_id)
                    & (latest.c.age == MetricSnapshotRow.age_hours))
            ).all()
        }
        assets = s.execute(
            select(AssetRow.post_id, AssetRow.role, AssetRow.mime, AssetRow.path,
                   AssetRow.duration_s).join(PostRow, PostRow.id == AssetRow.post_id)
            .where(*window).order_by(AssetRow.post_id, AssetRow.position, AssetRow.id)
        ).all()
        costs = {
            pid: float(c) for pid, c in s.execute(
                select(LlmUsageRow.post_id, func.sum(LlmUsageRow.cost_usd))
                .join(PostRow, PostRow.id == LlmUsageRow.post_id).where(*window)
                .group_by(LlmUsageRow.post_id)
            ).all()
        }
    duration: dict[str, float] = {}
    cover: dict[str, tuple[int, str]] = {}
    for pid, role, mime, path, dur in assets:
        if role == "main":
            duration[pid] = duration.get(pid, 0.0) + float(dur or 0.0)
        if mime.startswith("image/"):
            rank = 0 if role == "cover" else 1
            if pid not in cover or rank < cover[pid][0]:
                cover[pid] = (rank, path)
    out = []
    for post, var in rows:
        generator = var.generator if var is not None else "template"
        cost = costs.get(post.id, 0.0 if generator == "template" else None)
        out.append(PostFacts(
            post_id=post.id, scheduled_at=utc(post.scheduled_at),
            published_at=utc(post.published_at) if post.published_at else None,
            media_id=post.media_id or "",
            format=(var.format if var is not None else post.format) or "image",
            pillar=var.pillar if var is not None else "",
            hook_style=var.hook_style if var is not None else "",
            caption=var.caption if var is not None else "",
            trend=(var.trend or "") if var is not None else "",
            opportunity_id=(var.opportunity_id or "") if var is not None else "",
            generator=generator, metrics={k: float(v) for k, v in metrics.get(post.id, {}).items()
                                          if isinstance(v, int | float)},
            duration_s=duration.get(post.id, 0.0), cover_path=cover.get(post.id, (0, ""))[1],
            generation_cost=cost,
        ))
    return out


def account_series(
    store: Store, account: str, metrics: Iterable[str]
) -> dict[str, list[tuple[str, float, dict]]]:
    """Several account metrics in one query: metric -> [(day, value, payload)] by day."""
    names = list(metrics)
    out: dict[str, list[tuple[str, float, dict]]] = {m: [] for m in names}
    with store.session() as s:
        for metric, day, value, payload in s.execute(
            select(AccountMetricRow.metric, AccountMetricRow.day, AccountMetricRow.value,
                   AccountMetricRow.payload)
            .where(AccountMetricRow.account == account, AccountMetricRow.metric.in_(names))
            .order_by(AccountMetricRow.day)
        ).all():
            out[metric].append((day, float(value), dict(payload or {})))
    return out


def first_seen(store: Store, account: str, terms: Iterable[str]) -> dict[str, datetime]:
    """When each trend term (case-insensitive) was first observed for this account."""
    wanted = {t.lower() for t in terms if t}
    if not wanted:
        return {}
    with store.session() as s:
        rows = s.execute(
            select(func.lower(SignalRow.term), func.min(SignalRow.observed_at))
            .where(SignalRow.account == account, func.lower(SignalRow.term).in_(wanted))
            .group_by(func.lower(SignalRow.term))
        ).all()
    return {str(t): utc(at) for t, at in rows}


def opportunities_between(
    store: Store, account: str, start: datetime, end: datetime, limit: int = 200
) -> list[Opportunity]:
    """Opportunities scored in [start, end), best first (the week's trend radar)."""
    with store.session() as s:
        rows = s.scalars(
            select(OpportunityRow)
            .where(OpportunityRow.account == account, OpportunityRow.created_at >= start,
                   OpportunityRow.created_at < end)
            .order_by(OpportunityRow.score.desc()).limit(limit)
        ).all()
        return [Opportunity(id=r.id, account=r.account, topic=r.topic, score=r.score,
                            explanation=r.explanation, evidence=tuple(r.evidence),
                            tags=tuple(r.tags), pillar=r.pillar) for r in rows]


def save_snapshots(store: Store, snaps: Sequence[MetricSnapshot]) -> int:
    """Store several snapshots in one transaction (one post's due ages, or a batch);
    idempotent per (post, age) like `Store.save_snapshot`. Returns how many were new."""
    if not snaps:
        return 0
    posts = {x.post_id for x in snaps}
    with store.session() as s:
        have = {(str(pid), float(age)) for pid, age in s.execute(
            select(MetricSnapshotRow.post_id, MetricSnapshotRow.age_hours)
            .where(MetricSnapshotRow.post_id.in_(posts))
        ).all()}
        new = []
        for x in snaps:
            key = (x.post_id, float(x.age_hours))
            if key in have:
                continue
            have.add(key)
            new.append(MetricSnapshotRow(post_id=x.post_id, media_id=x.media_id, at=x.at,
                                         age_hours=float(x.age_hours), metrics=dict(x.metrics)))
        s.add_all(new)
    return len(new)
