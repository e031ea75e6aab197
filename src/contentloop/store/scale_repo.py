"""Coordination of many workers through the store: leases, heartbeats and claim recovery.

The queue only says "do this now"; these rows decide who may do it. Lease and heartbeat
times are operational wall time (a `wall` clock, SystemClock by default), not the domain
clock, so a time-compressed simulation does not expire a lease in a blink.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..domain import Clock, PostState, SystemClock, utc
from .repo import Store
from .tables import PostRow
from .tables_scale import LeaseRow, WorkerRow

#: States a post passes through before it is scheduled: work for the `advance` task.
PREPARING = (
    PostState.PLANNED,
    PostState.DRAFTED,
    PostState.IN_REVIEW,
    PostState.APPROVED,
    PostState.RENDERED,
)


class Coordination:
    """Leases (leader election, per-account locks, once-per-period marks) and heartbeats."""

    def __init__(self, store: Store, wall: Clock | None = None) -> None:
        self.store = store
        self.wall = wall or SystemClock()

    # -- leases ------------------------------------------------------------------------------
    def acquire(self, name: str, holder: str, ttl_s: float, *,
                live: set[str] | None = None, renew: bool = True) -> bool:
        """Take or renew lease `name` for `ttl_s` seconds.

        Succeeds when nobody holds it, `holder` already does (unless `renew` is False), it
        expired, or (when `live` is given) its holder is not among the live workers.
        """
        now = self.wall.now()
        until = now + timedelta(seconds=ttl_s)
        try:
            with self.store.session() as s:
                q = select(LeaseRow).where(LeaseRow.name == name)
                if self.store.is_postgres:
                    q = q.with_for_update()
                row = s.scalars(q).one_or_none()
                if row is None:
                    s.add(LeaseRow(name=name, holder=holder, expires_at=until))
                    s.flush()
                    return True
                free = (
                    (renew and row.holder == holder)
                    or utc(row.expires_at) <= now
                    or (live is not None and row.holder not in live)
                )
                if not free:
                    return False
                old = row.holder
                res = s.execute(
                    update(LeaseRow)
                    .where(LeaseRow.name == name, LeaseRow.holder == old)
                    .values(holder=holder, expires_at=until)
                )
                return bool(res.rowcount)  # type: ignore[attr-defined]
        except IntegrityError:  # another process inserted it first
            return False

    def release(self, name: str, holder: str) -> None:
        with self.store.session() as s:
            s.execute(delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder))

    def holder(self, name: str) -> str | None:
        with self.store.session() as s:
            row = s.get(LeaseRow, name)
            if row is None or utc(row.expires_at) <= self.wall.now():
                return None
            return row.holder

    def once(self, mark: str, holder: str, keep_s: float = 8 * 86400) -> bool:
        """True exactly once per `mark` across every process (e.g. "plan:2026-03-02T06")."""
        try:
            with self.store.session() as s:
                s.add(LeaseRow(name=f"once:{mark}", holder=holder,
                               expires_at=self.wall.now() + timedelta(seconds=keep_s)))
                s.flush()
            return True
        except IntegrityError:
            return False

    def purge_expired(self) -> int:
        """Drop expired leases and marks (housekeeping)."""
        with self.store.session() as s:
            res = s.execute(delete(LeaseRow).where(LeaseRow.expires_at < self.wall.now()))
            return int(res.rowcount)  # type: ignore[attr-defined]

    # -- heartbeats -------------------------------------------------------------------------
    def beat(self, worker: str, host: str, pid: int) -> None:
        now = self.wall.now()
        with self.store.session() as s:
            row = s.get(WorkerRow, worker)
            if row is None:
                s.add(WorkerRow(name=worker, host=host, pid=pid, started_at=now, beat_at=now))
            else:
                row.beat_at = now

    def forget(self, worker: str) -> None:
        """A worker leaving cleanly: its claims become recoverable at once."""
        with self.store.session() as s:
            s.execute(delete(WorkerRow).where(WorkerRow.name == worker))

    def live_workers(self, ttl_s: float) -> set[str]:
        since = self.wall.now() - timedelta(seconds=ttl_s)
        with self.store.session() as s:
            return set(s.scalars(select(WorkerRow.name).where(WorkerRow.beat_at >= since)))

    def workers(self) -> list[tuple[str, str, int, datetime]]:
        with self.store.session() as s:
            rows = s.scalars(select(WorkerRow).order_by(WorkerRow.name))
            return [(r.name, r.host, r.pid, utc(r.beat_at)) for r in rows]

    # -- claims ----------------------------------------------------------------------------
    def orphaned_publishing(self, live: Iterable[str]) -> list[tuple[str, str | None]]:
        """(post id, claimer) of posts in `publishing` whose claimer is not alive."""
        alive = set(live)
        with self.store.session() as s:
            rows = s.execute(
                select(PostRow.id, PostRow.claimed_by)
                .where(PostRow.state == PostState.PUBLISHING.value)
                .order_by(PostRow.scheduled_at)
            ).all()
            return [(pid, by) for pid, by in rows if by not in alive]

    def reclaim(self, post_id: str, previous: str | None, worker: str) -> bool:
        """Take over a dead worker's claim; only one caller can win (conditional update)."""
        with self.store.session() as s:
            cond = (PostRow.claimed_by.is_(None) if previous is None
                    else PostRow.claimed_by == previous)
            res = s.execute(
                update(PostRow)
                .where(PostRow.id == post_id, PostRow.state == PostState.PUBLISHING.value, cond)
                .values(claimed_by=worker)
            )
            return bool(res.rowcount)  # type: ignore[attr-defined]

    # -- what is there to do ----------------------------------------------------------------
    def accounts_with_work(self) -> list[str]:
        """Accounts with posts not yet scheduled (planned through rendered)."""
        with self.store.session() as s:
            rows = s.scalars(
                select(PostRow.account)
                .where(PostRow.state.in_([st.value for st in PREPARING]))
                .distinct()
                .order_by(PostRow.account)
            )
            return list(rows)

    def count_due(self, now: datetime) -> int:
        """Posts a `publish_due` pass would claim at `now` (scheduled or retry time reached)."""
        with self.store.session() as s:
            q = (
                select(func.count())
                .select_from(PostRow)
                .where(PostRow.state.in_([PostState.SCHEDULED.value,
                                          PostState.RETRY_WAIT.value]))
                .where(PostRow.scheduled_at <= now)
                .where(or_(PostRow.next_attempt_at.is_(None), PostRow.next_attempt_at <= now))
            )
            return int(s.scalar(q) or 0)

    def count_states(self) -> dict[str, int]:
        with self.store.session() as s:
            rows = s.execute(
                select(PostRow.state, func.count()).group_by(PostRow.state)
            ).all()
            return {state: int(n) for state, n in rows}
