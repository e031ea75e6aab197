"""The weekly plan page: next week's allocation against the proposal and this week, with
forms to approve it as a whole or edit its shares (approver and admin only, CSRF-checked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contentloop.domain import Account
from contentloop.optimize.plans import (
    DIMENSIONS,
    PlanInvalid,
    approve_plan,
    edit_plan,
    known_levels,
    plan_view,
    preview,
    resolve_week,
)
from contentloop.store.web_repo import Role

from .context import ctx
from .pages import PageError, checked_form, current, render

router = APIRouter(include_in_schema=False)
#: Form field of one share, in percent: share__<dimension>__<level>.
FIELD = "share__{}__{}"


def _account(request: Request, handle: str) -> Account:
    c = ctx(request)
    if handle and handle not in {a.handle for a in c.accounts}:
        raise PageError(404, f"account {handle!r} is not configured")
    return c.account(handle or None)


def _week(acc: Account, raw: str, request: Request) -> str:
    try:
        return resolve_week(acc, raw or None, ctx(request).clock.now())
    except PlanInvalid as e:
        raise PageError(422, str(e)) from None


def _form_rows(acc: Account, view: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every level the person may set, per dimension, with the plan's share in percent."""
    known = known_levels(acc)
    out: dict[str, list[dict[str, Any]]] = {}
    for dim in DIMENSIONS:
        shown = {r["level"]: r for r in view["dimensions"][dim]}
        levels = known[dim] if dim == "slot_hour" else (
            [lv for lv in shown if lv in known[dim]] + [lv for lv in known[dim]
                                                         if lv not in shown])
        out[dim] = [{
            "level": lv, "field": FIELD.format(dim, lv),
            "label": f"{int(lv):02d}:00" if dim == "slot_hour" else lv,
            "percent": round(100 * float((shown.get(lv) or {}).get("share") or 0.0), 2),
        } for lv in levels]
    return out


@router.get("/plan")
def plan_page(request: Request, account: str = "", week: str = "", done: str = "",
              error: str = "", status: int = 200) -> HTMLResponse:
    session = current(request)
    c = ctx(request)
    acc = _account(request, account)
    wk = _week(acc, week, request)
    view = plan_view(c.store, acc, wk, c.clock.now())
    return render(request, "plan.html", status=status, _session=session, account=acc,
                  plan=view, form_rows=_form_rows(acc, view), done=done, error=error,
                  can_decide=session[0].role.allows(Role.APPROVER))


def _back(acc: Account, week: str, done: str) -> RedirectResponse:
    return RedirectResponse("/plan?" + urlencode({"account": acc.handle, "week": week,
                                                  "done": done}), status_code=303)


@router.post("/plan/approve")
async def plan_approve(request: Request) -> Response:
    user, form = await checked_form(request, Role.APPROVER)
    c = ctx(request)
    acc = _account(request, str(form.get("account", "")))
    wk = _week(acc, str(form.get("week", "")), request)
    approve_plan(c.store, acc, wk, actor=f"web:{user.name}",
                 note=str(form.get("note", ""))[:2000])
    return _back(acc, wk, "approved")


@router.post("/plan/edit")
async def plan_edit(request: Request) -> Response:
    user, form = await checked_form(request, Role.APPROVER)
    c = ctx(request)
    acc = _account(request, str(form.get("account", "")))
    wk = _week(acc, str(form.get("week", "")), request)
    data: dict[str, dict[str, Any]] = {}
    for key, raw in form.items():
        parts = str(key).split("__")
        if len(parts) != 3 or parts[0] != "share":
            continue
        text = str(raw).strip()
        try:
            value: Any = float(text) / 100 if text else 0.0
        except ValueError:
            value = text  # the service names the key and says it is not a number
        data.setdefault(parts[1], {})[parts[2]] = value
    # Only dimensions the person changed are replaced: an untouched one keeps its shares
    # exactly (levels the optimizer has no opinion on stay out, rather than becoming 0).
    base = preview(c.store, acc, wk).allocation
    data = {dim: levels for dim, levels in data.items() if not _same(levels, base.get(dim))}
    if not data:
        return plan_page(request, account=acc.handle, week=wk, status=422,
                         error="No share changed; use Approve to accept the plan as it is.")
    try:
        edit_plan(c.store, acc, wk, data, actor=f"web:{user.name}",
                  note=str(form.get("note", ""))[:2000])
    except PlanInvalid as e:
        return plan_page(request, account=acc.handle, week=wk, error=str(e), status=422)
    return _back(acc, wk, "edited")


def _same(levels: Mapping[str, Any], current: Mapping[str, float] | None) -> bool:
    current = current or {}
    for level, value in levels.items():
        if not isinstance(value, float) or abs(value - current.get(level, 0.0)) > 5e-5:
            return False
    return all(lv in levels or v <= 5e-5 for lv, v in current.items())


__all__ = ["router"]
