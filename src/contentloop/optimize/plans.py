"""Next week's plan: the optimizer proposes an allocation per dimension, a person approves
or edits it as a whole, and the loop follows the approved/edited plan for that week.

One service for every caller (the Learner, `contentloop plan ...`, the dashboard): weeks are
ISO weeks of the account's local time; shares per dimension sum to 1; an edited share of 0
means "do not use" (e.g. a pillar paused by a person).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..domain import Account, ContentloopError, Decision, Opportunity
from ..store import Store
from ..store.plans_repo import Allocation, Plan, PlansRepo, PlanStatus

DIMENSIONS: tuple[str, ...] = ("format", "pillar", "hook_style", "slot_hour")
#: How far a dimension's shares may sum from 1 in an edit (rounding in hand-made files).
SUM_TOLERANCE = 0.01
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


class PlanInvalid(ContentloopError):
    """An edited plan is not usable; `key` names the offending entry (e.g. "pillar.news")."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)


# -- weeks -----------------------------------------------------------------------------------
def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> date:
    m = _WEEK_RE.match(week.strip())
    if not m:
        raise PlanInvalid("week", f"{week!r} is not an ISO week; write it as YYYY-Www "
                                  "(e.g. 2026-W11)")
    try:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise PlanInvalid("week", f"{week!r} does not exist") from None


def local_week(account: Account, now: datetime, weeks_ahead: int = 0) -> str:
    """The ISO week of `now` in the account's time zone, plus `weeks_ahead`."""
    today = now.astimezone(ZoneInfo(account.timezone)).date()
    return iso_week(today + timedelta(days=7 * weeks_ahead))


# -- levels and proposals ------------------------------------------------------------------------
def known_levels(account: Account) -> dict[str, list[str]]:
    """Every level a plan may name, per dimension, from the account's configuration."""
    from ..creative import HOOK_STYLES

    return {
        "format": [f.value for f in account.formats],
        "pillar": [p.name for p in account.brand.pillars],
        "hook_style": list(HOOK_STYLES),
        "slot_hour": [str(h) for h in range(24)],
    }


def _window_hours(account: Account) -> list[str]:
    hours: set[int] = set()
    for w in account.posting_windows:
        start = int(w.start[:2]) * 60 + int(w.start[3:5])
        end = int(w.end[:2]) * 60 + int(w.end[3:5])
        end = end if end > start else start + 60
        hours.update(range(start // 60, (end - 1) // 60 + 1))
    return [str(h) for h in sorted(hours)] or [str(h) for h in range(24)]


def _normalised(shares: Mapping[str, float]) -> dict[str, float]:
    total = sum(max(0.0, float(v)) for v in shares.values())
    if total <= 0:
        return {}
    return {str(k): round(max(0.0, float(v)) / total, 4) for k, v in shares.items()}


def proposal_from_decisions(account: Account, decisions: Sequence[Decision]) -> Allocation:
    """The optimizer's selection probabilities per dimension (rule-paused levels at 0).

    A dimension without a decision yet gets the default the loop uses without one:
    formats and hook styles evenly, pillars by their configured weight, hours evenly over
    the posting windows.
    """
    paused = {tuple(d.choice.split(":", 1)) for d in decisions
              if d.kind not in DIMENSIONS and ":" in d.choice}
    out: Allocation = {}
    for dim in DIMENSIONS:
        decision = next((d for d in decisions if d.kind == dim and d.probabilities), None)
        if decision is not None:
            shares = {str(k): float(v) for k, v in decision.probabilities.items()}
            for d_, level in paused:
                if d_ == dim:
                    shares[level] = 0.0
        elif dim == "pillar":
            shares = {p.name: max(0.0, p.weight) for p in account.brand.pillars}
        elif dim == "slot_hour":
            shares = dict.fromkeys(_window_hours(account), 1.0)
        else:
            shares = dict.fromkeys(known_levels(account)[dim], 1.0)
        norm = _normalised(shares)
        if norm:
            out[dim] = norm
    return out


# -- validation of a person's edit --------------------------------------------------------------
def _share(key: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise PlanInvalid(key, f"share must be a number between 0 and 1, not {raw!r}")
    value = float(raw)
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise PlanInvalid(key, f"share {raw!r} is outside [0, 1]")
    return value


def _level(dim: str, raw: Any, known: Sequence[str]) -> str:
    level = str(raw).strip()
    if dim == "slot_hour":
        try:
            level = str(int(level.split(":")[0]))
        except ValueError:
            level = f"?{level}"
    if level not in known:
        raise PlanInvalid(f"{dim}.{raw}", f"unknown {dim.replace('_', ' ')}; known: "
                                          f"{', '.join(known)}")
    return level


def validate_allocation(account: Account, data: Any,
                        base: Allocation | None = None) -> Allocation:
    """Check a person's plan and merge it over `base` (dimensions not given are kept).

    Accepts `{"format": {"reel": 0.5, ...}, ...}` or the same under `"allocation"`. In a
    given dimension every level left out gets 0 (do not use); shares are in [0, 1] and sum
    to 1 within SUM_TOLERANCE. Errors name the key, e.g. `pillar.news`.
    """
    if isinstance(data, Mapping) and "allocation" in data:
        data = data["allocation"]
    if not isinstance(data, Mapping) or not data:
        raise PlanInvalid("", "a plan is a JSON object: {dimension: {level: share}}, e.g. "
                              '{"format": {"reel": 0.6, "carousel": 0.4}}')
    known = known_levels(account)
    out: Allocation = {d: dict(v) for d, v in (base or {}).items()}
    for dim, levels in data.items():
        if dim not in known:
            raise PlanInvalid(str(dim), f"unknown dimension; use one of {', '.join(known)}")
        if not isinstance(levels, Mapping) or not levels:
            raise PlanInvalid(dim, "must be an object {level: share}")
        shares: dict[str, float] = {}
        for raw_level, raw_share in levels.items():
            level = _level(dim, raw_level, known[dim])
            shares[level] = shares.get(level, 0.0) + _share(f"{dim}.{raw_level}", raw_share)
        total = sum(shares.values())
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise PlanInvalid(dim, f"shares sum to {total:.3f}; they must sum to 1 "
                                   f"(±{SUM_TOLERANCE})")
        full = dict.fromkeys(known[dim], 0.0) if dim != "slot_hour" else {}
        full.update({k: round(v, 4) for k, v in shares.items()})
        out[dim] = full
    return out


# -- what the loop follows -----------------------------------------------------------------------
def plan_preferences(plan: Plan) -> dict[str, dict[str, float]]:
    """Generator preferences (format, pillar, hook style) from a plan's shares."""
    return {d: dict(v) for d, v in plan.allocation.items() if d != "slot_hour" and v}


def plan_hour_weights(plan: Plan) -> dict[int, float] | None:
    """Planner hour weights: the hours with a positive share, by share (None: no hours).

    The planner takes the best-weighted hour inside each posting window, else the best
    hour overall, so an hour with share 0 (or left out) is never used."""
    hours = {int(h): s for h, s in plan.allocation.get("slot_hour", {}).items() if s > 0}
    return hours or None


def plan_exclusions(plan: Plan) -> dict[str, set[str]]:
    """Levels a plan gives 0: the loop does not use them that week."""
    return {d: {lv for lv, s in v.items() if s <= 0} for d, v in plan.allocation.items()}


def restrict(account: Account, plan: Plan,
             opportunities: Iterable[Opportunity] = ()) -> tuple[Account, list[Opportunity]]:
    """The account as the generator should see it under the plan: formats and pillars with
    share 0 removed (kept when that would leave none), and opportunities in removed pillars
    dropped. Hook styles stay soft (via preferences): every variant of a post needs its own."""
    out = plan_exclusions(plan)
    formats = tuple(f for f in account.formats if f.value not in out.get("format", set()))
    pillars = tuple(p for p in account.brand.pillars if p.name not in out.get("pillar", set()))
    acc = replace(account, formats=formats or account.formats,
                  brand=replace(account.brand, pillars=pillars or account.brand.pillars))
    dropped = {p.name for p in account.brand.pillars} - {p.name for p in acc.brand.pillars}
    return acc, [o for o in opportunities if not o.pillar or o.pillar not in dropped]


def active_plan(store: Store, account: Account, now: datetime) -> Plan | None:
    """This week's plan if a person approved or edited it, else None (decisions rule)."""
    plan = PlansRepo(store).get(account.handle, local_week(account, now))
    return plan if plan is not None and plan.status.decided else None


# -- service: propose, show, approve, edit ---------------------------------------------------------
def _audit(store: Store, plan: Plan, actor: str, action: str, note: str,
           before: Plan | None) -> None:
    """One row in the approvals audit log (who, when, shares before and after)."""
    from ..store.web_repo import AuditEntry, WebRepo

    def flat(p: Plan | None) -> dict[str, Any]:
        if p is None:
            return {}
        out: dict[str, Any] = {"status": p.status.value}
        for dim, levels in p.allocation.items():
            for level, share in levels.items():
                out[f"{dim}.{level}"] = f"{share:.0%}"
        return out

    WebRepo(store).add_audit(AuditEntry(
        post_id=f"plan:{plan.week}", account=plan.account, at=store.clock.now(), actor=actor,
        action=action, reason=note, before=flat(before), after=flat(plan)))


def propose_next_week(store: Store, account: Account, decisions: Sequence[Decision],
                      now: datetime) -> Plan:
    """Write (or refresh) the proposed plan for the account's next local week from a refit's
    decisions; a week a person already approved or edited is left as it is."""
    week = local_week(account, now, 1)
    made = max((d.made_at for d in decisions), default=None)
    plan, created = PlansRepo(store).propose(
        account.handle, week, week_monday(week).isoformat(),
        proposal_from_decisions(account, decisions), made)
    if created:
        _audit(store, plan, "optimizer", "plan_proposed", "from the optimizer's decisions",
               None)
    return plan


def resolve_week(account: Account, week: str | None, now: datetime) -> str:
    """`week` checked (YYYY-Www), or the account's next local week."""
    if week:
        return iso_week(week_monday(week))
    return local_week(account, now, 1)


def preview(store: Store, account: Account, week: str) -> Plan:
    """The stored plan of a week, or (not stored) the proposal the latest decisions make."""
    found = PlansRepo(store).get(account.handle, week)
    if found is not None:
        return found
    decisions = store.decisions(account.handle)
    alloc = proposal_from_decisions(account, decisions)
    made = max((d.made_at for d in decisions), default=None)
    return Plan(account.handle, week, week_monday(week).isoformat(), PlanStatus.PROPOSED,
                alloc, alloc, store.clock.now(), made)


def _ensure(store: Store, account: Account, week: str) -> Plan:
    repo = PlansRepo(store)
    found = repo.get(account.handle, week)
    if found is not None:
        return found
    draft = preview(store, account, week)
    plan, created = repo.propose(account.handle, week, draft.week_start, draft.proposal,
                                 draft.decisions_at)
    if created:
        _audit(store, plan, "optimizer", "plan_proposed", "proposed on first review", None)
    return plan


def approve_plan(store: Store, account: Account, week: str, actor: str,
                 note: str = "") -> Plan:
    """Approve a week's plan as it stands (proposed or edited shares)."""
    current = _ensure(store, account, week)
    # Approving an edited plan keeps it marked "edited": its shares are a person's, not
    # the optimizer's, and the report must say so.
    status = PlanStatus.EDITED if current.status is PlanStatus.EDITED else PlanStatus.APPROVED
    before, after = PlansRepo(store).decide(account.handle, week, status, actor, note=note)
    _audit(store, after, actor, "plan_approve", note, before)
    return after


def edit_plan(store: Store, account: Account, week: str, data: Any, actor: str,
              note: str = "") -> Plan:
    """Replace the shares of the dimensions given (validated), and mark the plan edited."""
    current = _ensure(store, account, week)
    allocation = validate_allocation(account, data, base=current.allocation)
    before, after = PlansRepo(store).decide(account.handle, week, PlanStatus.EDITED, actor,
                                            allocation=allocation, note=note)
    _audit(store, after, actor, "plan_edit", note, before)
    return after


def plan_view(store: Store, account: Account, week: str, now: datetime) -> dict[str, Any]:
    """The plan as JSON-ready data: status, who, and per dimension each level's share next
    to the optimizer's proposal and to this week's plan (the diff a person reviews)."""
    plan = preview(store, account, week)
    stored = PlansRepo(store).get(account.handle, week) is not None
    prev_week = iso_week(week_monday(week) - timedelta(days=7))
    prev = PlansRepo(store).get(account.handle, prev_week)
    dims: dict[str, list[dict[str, Any]]] = {}
    for dim in DIMENSIONS:
        mine, proposed = plan.allocation.get(dim, {}), plan.proposal.get(dim, {})
        before = prev.allocation.get(dim, {}) if prev else {}
        levels = sorted(set(mine) | set(proposed) | set(before), key=lambda lv: (
            -mine.get(lv, 0.0), -proposed.get(lv, 0.0), lv.zfill(2) if dim == "slot_hour"
            else lv))
        dims[dim] = [{
            "level": lv,
            "label": f"{int(lv):02d}:00" if dim == "slot_hour" else lv,
            "share": mine.get(lv, 0.0),
            "proposed": proposed.get(lv),
            "previous_week": before.get(lv) if prev else None,
            "edited": plan.status is PlanStatus.EDITED and abs(
                mine.get(lv, 0.0) - proposed.get(lv, 0.0)) > 1e-9,
            "off": lv in mine and mine[lv] <= 0,
        } for lv in levels]
    return {**plan.as_dict(), "stored": stored, "is_current_week":
            week == local_week(account, now), "previous_week": prev_week,
            "previous_status": prev.status.value if prev else None, "dimensions": dims}


__all__ = [
    "DIMENSIONS", "PlanInvalid", "SUM_TOLERANCE", "active_plan", "approve_plan", "edit_plan",
    "iso_week", "known_levels", "local_week", "plan_exclusions", "plan_hour_weights",
    "plan_preferences", "plan_view", "preview", "proposal_from_decisions", "propose_next_week",
    "resolve_week", "restrict", "validate_allocation", "week_monday",
]
