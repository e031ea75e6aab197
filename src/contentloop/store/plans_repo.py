"""Repository for weekly plans (table `plans`): one row per account and ISO week.

A proposal from the optimizer may be rewritten every refit until a person approves or
edits the week; from then on only a person changes it (the optimizer's later proposals
are ignored for that week, so a human decision is never silently overwritten).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..domain import ContentloopError, NotFound, utc
from .repo import Store
from .tables_plans import PlanRow

Allocation = dict[str, dict[str, float]]


class PlanStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    EDITED = "edited"

    @property
    def decided(self) -> bool:
        """True once a person has approved or edited the plan."""
        return self is not PlanStatus.PROPOSED


class PlanConflict(ContentloopError):
    """Two writers raced on the same week; the caller may simply retry."""


@dataclass(frozen=True, slots=True)
class Plan:
    account: str
    week: str  # "2026-W11"
    week_start: str  # local Monday, "2026-03-09"
    status: PlanStatus
    allocation: Allocation
    proposal: Allocation
    proposed_at: datetime
    decisions_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""
    updated_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t is not None else None

        return {
            "account": self.account, "week": self.week, "week_start": self.week_start,
            "status": self.status.value, "allocation": self.allocation,
            "proposal": self.proposal, "proposed_at": iso(self.proposed_at),
            "decisions_at": iso(self.decisions_at), "decided_by": self.decided_by,
            "decided_at": iso(self.decided_at), "note": self.note,
        }


def _alloc(raw: Any) -> Allocation:
    return {str(d): {str(k): float(v) for k, v in (levels or {}).items()}
            for d, levels in (raw or {}).items()}


def _plan(row: PlanRow) -> Plan:
    return Plan(
        account=row.account, week=row.week, week_start=row.week_start,
        status=PlanStatus(row.status), allocation=_alloc(row.allocation),
        proposal=_alloc(row.proposal), proposed_at=utc(row.proposed_at),
        decisions_at=utc(row.decisions_at) if row.decisions_at else None,
        decided_by=row.decided_by, decided_at=utc(row.decided_at) if row.decided_at else None,
        note=row.note, updated_at=utc(row.updated_at),
    )


class PlansRepo:
    """Weekly plans over a `Store` (same database, same clock)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, account: str, week: str) -> Plan | None:
        with self.store.session() as s:
            row = self._row(s, account, week)
            return _plan(row) if row else None

    def list(self, account: str, limit: int = 12) -> list[Plan]:
        """The account's plans, newest week first."""
        with self.store.session() as s:
            q = (select(PlanRow).where(PlanRow.account == account)
                 .order_by(PlanRow.week.desc()).limit(limit))
            return [_plan(r) for r in s.scalars(q)]

    def propose(self, account: str, week: str, week_start: str, allocation: Allocation,
                decisions_at: datetime | None = None) -> tuple[Plan, bool]:
        """Write or refresh the optimizer's proposal for a week.

        Returns (plan, created). A week a person already approved or edited is returned
        unchanged: the proposal is not written over a human decision.
        """
        now = self.store.clock.now()
        for _attempt in range(2):
            try:
                with self.store.session() as s:
                    row = self._row(s, account, week, lock=True)
                    if row is None:
                        row = PlanRow(account=account, week=week, week_start=week_start,
                                      status=PlanStatus.PROPOSED.value,
                                      allocation=_alloc(allocation), proposal=_alloc(allocation),
                                      proposed_at=now, decisions_at=decisions_at, note="",
                                      updated_at=now)
                        s.add(row)
                        s.flush()
                        return _plan(row), True
                    if PlanStatus(row.status).decided:
                        return _plan(row), False
                    row.allocation = _alloc(allocation)
                    row.proposal = _alloc(allocation)
                    row.proposed_at, row.decisions_at, row.updated_at = now, decisions_at, now
                    return _plan(row), False
            except IntegrityError:  # another refit created the row first: read it again
                continue
        raise PlanConflict(f"could not write the plan of {account} for {week}; retry")

    def decide(self, account: str, week: str, status: PlanStatus, actor: str,
               allocation: Allocation | None = None, note: str = "") -> tuple[Plan, Plan]:
        """Approve (allocation None: as it stands) or edit a week's plan; (before, after).

        Raises NotFound when the week has no plan yet (propose one first).
        """
        if not PlanStatus(status).decided:
            raise ValueError("decide() approves or edits; proposals go through propose()")
        now = self.store.clock.now()
        with self.store.session() as s:
            row = self._row(s, account, week, lock=True)
            if row is None:
                raise NotFound(f"no plan for {account} in {week}; run the optimizer "
                               "(contentloop run / demo) or give a plan file to edit")
            before = _plan(row)
            if allocation is not None:
                row.allocation = _alloc(allocation)
            row.status = PlanStatus(status).value
            row.decided_by, row.decided_at = actor[:100], now
            row.note = note[:4000]
            row.updated_at = now
            return before, _plan(row)

    def _row(self, s: Any, account: str, week: str, lock: bool = False) -> PlanRow | None:
        q = select(PlanRow).where(PlanRow.account == account).where(PlanRow.week == week)
        if lock and self.store.is_postgres:
            q = q.with_for_update()
        row: PlanRow | None = s.scalars(q).first()
        return row


__all__ = ["Allocation", "Plan", "PlanConflict", "PlanStatus", "PlansRepo"]
