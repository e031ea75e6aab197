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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..domain import ContentloopError, utc
from .repo import Store
from .tables_analytics import ClickRow, LinkRow, RevenueRow


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


def set_link_active(store: Store, code: str, active: bool) -> None:
    with store.session() as s:
        row = s.get(LinkRow, code)
        if row is not None:
            row.active = int(active)


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
        return {str(k): int(n) for k, n in s.execute(q).tuples()}


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
            ).tuples()
        }
    out: dict[str, float] = {}
    for r in rows:
        post = r.post_id or link_posts.get(r.link_code, "")
        out[post] = out.get(post, 0.0) + r.amount
    return out


def daily_series(store: Store, account: str, metric: str) -> dict[str, float]:
    """An account metric as {ISO day: value} (e.g. followers_count, reach, online_followers)."""
    return {day: value for day, value, _payload in store.account_metrics(account, metric)}


def save_daily(store: Store, account: str, rows: Iterable[tuple[str, str, float, dict]]) -> int:
    """Upsert (day, metric, value, payload) rows; idempotent per (account, day, metric)."""
    n = 0
    for day, metric, value, payload in rows:
        store.save_account_metric(account, day, metric, float(value), payload)
        n += 1
    return n
