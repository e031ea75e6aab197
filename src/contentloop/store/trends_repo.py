"""Persistence for the trends stage: the hashtag budget that survives restarts, and source health.

The budget is Instagram's rule (30 unique hashtags per IG user per rolling 7 days). Every
decision runs in one transaction that first updates a per-user lock row, so concurrent
processes (SQLite or PostgreSQL) take turns and the count can never go over the limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.clock import utc
from .repo import Store
from .tables_trends import HashtagBudgetLockRow, HashtagQueryRow, TrendSourceHealthRow

HASHTAG_LIMIT = 30
HASHTAG_WINDOW = timedelta(days=7)


def _norm(tag: str) -> str:
    return " ".join(tag.strip().lstrip("#").lower().split())


class StoreHashtagBudget:
    """`trends.hashtags.HashtagBudget` backed by the store: never exceeded, across restarts."""

    def __init__(
        self, store: Store, limit: int = HASHTAG_LIMIT, window: timedelta = HASHTAG_WINDOW
    ) -> None:
        self.store = store
        self.limit = limit
        self.window = window

    def _lock(self, s: Session, ig_user_id: str) -> None:
        """Take the per-user write lock (creating its row the first time)."""
        stmt = (
            update(HashtagBudgetLockRow)
            .where(HashtagBudgetLockRow.ig_user_id == ig_user_id)
            .values(version=HashtagBudgetLockRow.version + 1)
        )
        if s.execute(stmt).rowcount:  # type: ignore[attr-defined]
            return
        try:
            with s.begin_nested():
                s.add(HashtagBudgetLockRow(ig_user_id=ig_user_id, version=1))
        except IntegrityError:  # another process created it first: lock it now
            s.execute(stmt)

    def _live_count(self, s: Session, ig_user_id: str, now: datetime) -> int:
        return int(
            s.scalar(
                select(func.count())
                .select_from(HashtagQueryRow)
                .where(
                    HashtagQueryRow.ig_user_id == ig_user_id,
                    HashtagQueryRow.first_at > now - self.window,
                )
            )
            or 0
        )

    def acquire(self, ig_user_id: str, tag: str, now: datetime) -> bool:
        """True if `tag` may be queried at `now` (counting it if new); False if over budget."""
        tag, now = _norm(tag)[:120], utc(now)
        with self.store.session() as s:
            self._lock(s, ig_user_id)
            row = s.scalar(
                select(HashtagQueryRow).where(
                    HashtagQueryRow.ig_user_id == ig_user_id, HashtagQueryRow.tag == tag
                )
            )
            if row is not None and now - utc(row.first_at) < self.window:
                return True  # re-querying a counted tag is free
            if self._live_count(s, ig_user_id, now) >= self.limit:
                return False
            if row is None:
                s.add(HashtagQueryRow(ig_user_id=ig_user_id, tag=tag, first_at=now))
            else:
                row.first_at = now  # expired: counts afresh from now
            return True

    def remaining(self, ig_user_id: str, now: datetime) -> int:
        with self.store.session() as s:
            return max(0, self.limit - self._live_count(s, ig_user_id, utc(now)))

    def counted(self, ig_user_id: str, now: datetime) -> dict[str, datetime]:
        """Tags counted in the window and when each was first queried."""
        now = utc(now)
        with self.store.session() as s:
            rows = s.scalars(
                select(HashtagQueryRow).where(
                    HashtagQueryRow.ig_user_id == ig_user_id,
                    HashtagQueryRow.first_at > now - self.window,
                )
            )
            return {r.tag: utc(r.first_at) for r in rows}


@dataclass(frozen=True, slots=True)
class SourceHealth:
    account: str
    source: str
    kind: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str
    consecutive_failures: int
    last_signals: int
    total_signals: int

    @property
    def status(self) -> str:
        if self.last_attempt_at is None:
            return "never"
        return "failing" if self.consecutive_failures else "ok"

    def to_dict(self) -> dict[str, object]:
        def iso(d: datetime | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "account": self.account,
            "source": self.source,
            "kind": self.kind,
            "status": self.status,
            "last_attempt_at": iso(self.last_attempt_at),
            "last_success_at": iso(self.last_success_at),
            "last_error_at": iso(self.last_error_at),
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "last_signals": self.last_signals,
            "total_signals": self.total_signals,
        }


def _health(r: TrendSourceHealthRow) -> SourceHealth:
    return SourceHealth(
        account=r.account,
        source=r.source,
        kind=r.kind,
        last_attempt_at=utc(r.last_attempt_at) if r.last_attempt_at else None,
        last_success_at=utc(r.last_success_at) if r.last_success_at else None,
        last_error_at=utc(r.last_error_at) if r.last_error_at else None,
        last_error=r.last_error,
        consecutive_failures=r.consecutive_failures,
        last_signals=r.last_signals,
        total_signals=r.total_signals,
    )


def record_outcome(
    store: Store,
    account: str,
    source: str,
    *,
    ok: bool,
    now: datetime,
    kind: str = "",
    signals: int = 0,
    error: str = "",
) -> None:
    """Update one source's health after a fetch (success resets the failure streak)."""
    now = utc(now)
    source = source[:200]
    with store.session() as s:
        row = s.scalar(
            select(TrendSourceHealthRow).where(
                TrendSourceHealthRow.account == account, TrendSourceHealthRow.source == source
            )
        )
        if row is None:
            row = TrendSourceHealthRow(
                account=account,
                source=source,
                kind=kind,
                last_error="",
                consecutive_failures=0,
                last_signals=0,
                total_signals=0,
            )
            s.add(row)
        row.kind = kind or row.kind
        row.last_attempt_at = now
        if ok:
            row.last_success_at = now
            row.consecutive_failures = 0
            row.last_signals = signals
            row.total_signals = (row.total_signals or 0) + signals
        else:
            row.last_error_at = now
            row.last_error = error[:2000]
            row.consecutive_failures = (row.consecutive_failures or 0) + 1
            row.last_signals = 0


def record_outcomes(
    store: Store, account: str, outcomes: Iterable[object], now: datetime
) -> None:
    """Record every `trends.ingest.SourceOutcome` of one pass."""
    for o in outcomes:
        record_outcome(
            store,
            account,
            str(getattr(o, "source", "")),
            ok=bool(getattr(o, "ok", False)),
            now=now,
            kind=str(getattr(o, "kind", "")),
            signals=int(getattr(o, "signals", 0)),
            error=str(getattr(o, "reason", "")),
        )


def source_health(store: Store, account: str | None = None) -> list[SourceHealth]:
    """Health rows, by account then source name."""
    with store.session() as s:
        q = select(TrendSourceHealthRow)
        if account is not None:
            q = q.where(TrendSourceHealthRow.account == account)
        rows = s.scalars(q.order_by(TrendSourceHealthRow.account, TrendSourceHealthRow.source))
        return [_health(r) for r in rows]
