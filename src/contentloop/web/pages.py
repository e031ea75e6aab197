"""Server-rendered dashboard pages: login, approval queue, calendar, post detail, report.

Every form carries the session's CSRF token; a POST without it (or with another) gets 403.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from contentloop.domain import ContentloopError, NotFound, PostState
from contentloop.store.web_repo import Role, WebUser

from .auth import LoginThrottled, authenticate, same_token
from .context import WebContext, ctx
from .views import calendar_week, card, parse_week, week_start, worst

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class PageError(Exception):
    """Rendered as the error page with this status (403 forbidden, 404 missing, 409 ...)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def _safe_next(raw: str | None) -> str:
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/queue"


def current(request: Request) -> tuple[WebUser, str]:
    c = ctx(request)
    raw = request.cookies.get(c.config.session_cookie)
    found = c.repo.session_user(raw) if raw else None
    if found is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return found


async def checked_form(request: Request, need: Role) -> tuple[WebUser, Mapping[str, Any]]:
    """The user and form of a state-changing POST: logged in, right role, valid CSRF token."""
    user, csrf = current(request)
    form = await request.form()
    if not same_token(csrf, form.get("csrf_token")):  # type: ignore[arg-type]
        raise PageError(403, "This form has expired or did not come from the dashboard "
                             "(missing CSRF token). Reload the page and try again.")
    if not user.role.allows(need):
        raise PageError(403, f"Your role ({user.role.value}) cannot do this; it needs "
                             f"{need.value}. Ask an admin.")
    return user, form


def render(request: Request, name: str, status: int = 200, **data: Any) -> HTMLResponse:
    c = ctx(request)
    user, csrf = data.pop("_session", (None, ""))
    base = {"user": user, "csrf": csrf, "accounts": c.accounts, "now": c.clock.now(),
            "Role": Role}
    return TEMPLATES.TemplateResponse(request, name, {**base, **data}, status_code=status)


def _cookie(resp: Response, c: WebContext, name: str, value: str, max_age: int) -> None:
    resp.set_cookie(name, value, max_age=max_age, path="/", secure=c.config.secure_cookies,
                    httponly=True, samesite="lax")


# -- login -------------------------------------------------------------------------------------
@router.get("/login")
def login_page(request: Request, next: str = "/queue", error: str = "") -> HTMLResponse:
    c = ctx(request)
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", login_csrf=token, next=_safe_next(next), error=error)
    _cookie(resp, c, c.config.login_cookie, token, 3600)
    return resp


@router.post("/login")
async def login(request: Request) -> Response:
    c = ctx(request)
    form = await request.form()
    nxt = _safe_next(str(form.get("next", "")))
    if not same_token(request.cookies.get(c.config.login_cookie, ""), form.get("csrf_token")):  # type: ignore[arg-type]
        raise PageError(403, "The login form expired or did not come from this site. "
                             "Reload the login page.")
    name = str(form.get("name", ""))[:64]
    password = str(form.get("password", ""))[:1024]
    address = request.client.host if request.client else "unknown"
    try:
        user = authenticate(c.repo, c.config.throttle, name, password, address, c.clock.now())
    except LoginThrottled as e:
        resp = login_page(request, next=nxt, error=str(e))
        resp.status_code = 429
        resp.headers["Retry-After"] = str(e.retry_after_s)
        return resp
    if user is None:
        resp = login_page(request, next=nxt, error="Wrong name or password.")
        resp.status_code = 401
        return resp
    raw, _ = c.repo.create_session(user.id, c.config.session_ttl)
    done = RedirectResponse(nxt, status_code=303)
    _cookie(done, c, c.config.session_cookie, raw, int(c.config.session_ttl.total_seconds()))
    done.delete_cookie(c.config.login_cookie, path="/", secure=c.config.secure_cookies)
    return done


@router.post("/logout")
async def logout(request: Request) -> Response:
    c = ctx(request)
    await checked_form(request, Role.VIEWER)
    c.repo.delete_session(request.cookies.get(c.config.session_cookie, ""))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(c.config.session_cookie, path="/", secure=c.config.secure_cookies)
    return resp


# -- queue, calendar, post ---------------------------------------------------------------------
@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue")
def queue(request: Request, account: str = "", done: str = "") -> HTMLResponse:
    session = current(request)
    c = ctx(request)
    accounts = [a for a in c.accounts if not account or a.handle == account]
    items = []
    for acc in accounts:
        tz = ZoneInfo(acc.timezone)
        for post in c.store.posts(acc.handle, states=[PostState.IN_REVIEW]):
            variants = c.store.variants(post.id)
            items.append({"card": card(c.store, post, tz), "account": acc,
                          "variants": sorted(variants, key=lambda v: -v.score),
                          "assets": c.store.assets(post.id)})
    return render(request, "queue.html", _session=session, items=items, account=account,
                  done=done, worst=worst)


@router.get("/calendar")
def calendar(request: Request, account: str = "", week: str = "") -> HTMLResponse:
    session = current(request)
    c = ctx(request)
    acc = c.account(account)
    monday = parse_week(week, acc, c.clock.now())
    return render(request, "calendar.html", _session=session, account=acc,
                  days=calendar_week(c.store, acc, monday), monday=monday,
                  prev_week=(monday - timedelta(days=7)).isoformat(),
                  next_week=(monday + timedelta(days=7)).isoformat())


@router.get("/posts/{post_id}")
def post_detail(request: Request, post_id: str, done: str = "", error: str = "",
                status: int = 200) -> HTMLResponse:
    session = current(request)
    c = ctx(request)
    try:
        post = c.store.get_post(post_id)
    except NotFound as e:
        raise PageError(404, str(e)) from None
    acc = c.account(post.account)
    tz = ZoneInfo(acc.timezone)
    return render(
        request, "post.html", status=status, _session=session, post=post, account=acc,
        local=post.scheduled_at.astimezone(tz),
        variants=sorted(c.store.variants(post_id), key=lambda v: -v.score),
        transitions=c.store.transitions(post_id), attempts=c.store.attempts(post_id),
        snapshots=c.store.snapshots(post_id), assets=c.store.assets(post_id),
        audit=c.repo.audit(post_id=post_id), done=done, error=error, worst=worst,
        tz=tz,
    )


async def _action(request: Request, post_id: str, verb: str) -> Response:
    user, form = await checked_form(request, Role.APPROVER)
    c = ctx(request)
    actor = f"web:{user.name}"
    reason = str(form.get("reason", ""))[:2000]
    try:
        if verb == "approve":
            c.approvals.approve(post_id, actor=actor, reason=reason,
                                variant_id=str(form.get("variant_id") or "") or None)
        elif verb == "reject":
            c.approvals.reject(post_id, actor=actor, reason=reason)
        elif verb == "edit":
            c.approvals.edit_caption(post_id, str(form.get("caption", "")), actor=actor,
                                     variant_id=str(form.get("variant_id") or "") or None,
                                     reason=reason)
        else:
            post = c.store.get_post(post_id)
            tz = ZoneInfo(c.account(post.account).timezone)
            try:
                when = datetime.fromisoformat(str(form.get("scheduled_at", ""))[:32])
            except ValueError:
                raise PageError(422, "Give the new time as YYYY-MM-DDTHH:MM.") from None
            when = when.replace(tzinfo=tz) if when.tzinfo is None else when
            c.approvals.reschedule(post_id, when, actor=actor, reason=reason)
    except NotFound as e:
        raise PageError(404, str(e)) from None
    except ContentloopError as e:
        return post_detail(request, post_id, error=str(e), status=409)
    back = _safe_next(str(form.get("next", "")) or f"/posts/{quote(post_id)}")
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}done={verb}", status_code=303)


@router.post("/posts/{post_id}/approve")
async def approve(request: Request, post_id: str) -> Response:
    return await _action(request, post_id, "approve")


@router.post("/posts/{post_id}/reject")
async def reject(request: Request, post_id: str) -> Response:
    return await _action(request, post_id, "reject")


@router.post("/posts/{post_id}/edit")
async def edit(request: Request, post_id: str) -> Response:
    return await _action(request, post_id, "edit")


@router.post("/posts/{post_id}/reschedule")
async def reschedule(request: Request, post_id: str) -> Response:
    return await _action(request, post_id, "reschedule")


# -- media -------------------------------------------------------------------------------------
@router.get("/media/{post_id}/{index}")
def media(request: Request, post_id: str, index: int) -> FileResponse:
    """A rendered asset of a post, by position: only paths the store recorded are served."""
    current(request)
    assets = ctx(request).store.assets(post_id)
    if not 0 <= index < len(assets) or not Path(assets[index].path).is_file():
        raise PageError(404, "no such rendered file")
    a = assets[index]
    return FileResponse(a.path, media_type=a.mime)


@router.get("/preview/{variant_id}.jpg")
def preview(request: Request, variant_id: str) -> Response:
    """A quick still of a not-yet-rendered variant (its hook on the brand's template)."""
    current(request)
    c = ctx(request)
    try:
        v = c.store.get_variant(variant_id)
    except NotFound as e:
        raise PageError(404, str(e)) from None
    from .preview import preview_jpeg

    return Response(preview_jpeg(v, c.account(v.account).brand), media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=60"})


# -- report, digest, audit ---------------------------------------------------------------------
@router.get("/report")
def report(request: Request) -> HTMLResponse:
    session = current(request)
    body = ctx(request).store.latest_report()
    return render(request, "report.html", _session=session, has_report=body is not None,
                  generated=(body or {}).get("generated_at", ""))


@router.get("/report/view")
def report_view(request: Request) -> Response:
    """The weekly report's own self-contained HTML (shown in a sandboxed frame)."""
    current(request)
    c = ctx(request)
    body = c.store.latest_report()
    if body is None:
        raise PageError(404, "No weekly report yet; the loop writes one after a week.")
    from contentloop.analytics.report import render_html

    out = c.config.report_dir or Path(tempfile.mkdtemp(prefix="contentloop-report-"))
    html = render_html(body, out).read_text(encoding="utf-8")
    return HTMLResponse(html, headers={
        "Content-Security-Policy": "default-src 'none'; img-src data:; style-src "
                                   "'unsafe-inline'; frame-ancestors 'self'",
    })


@router.get("/digest")
def digest(request: Request, account: str = "", day: str = "") -> HTMLResponse:
    session = current(request)
    c = ctx(request)
    from contentloop.policy.digest import build_digest

    acc = c.account(account)
    d = build_digest(c.store, acc, c.clock.now(), day=day or None)
    return render(request, "digest.html", _session=session, account=acc, digest=d)


@router.get("/audit")
def audit(request: Request, account: str = "") -> HTMLResponse:
    session = current(request)
    c = ctx(request)
    return render(request, "audit.html", _session=session, account=account,
                  entries=c.repo.audit(account=account or None, limit=300))


@router.get("/api/docs")
def api_docs(request: Request) -> HTMLResponse:
    """The REST API's reference, rendered from its own OpenAPI document (no CDN)."""
    spec = request.app.openapi()
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            ops.append({"method": method.upper(), "path": path,
                        "summary": op.get("summary", ""),
                        "description": op.get("description", ""),
                        "codes": sorted(op.get("responses", {}))})
    return render(request, "api_docs.html", _session=(None, ""), ops=ops,
                  title=spec.get("info", {}).get("title", ""))


__all__ = ["LoginRequired", "PageError", "TEMPLATES", "router", "week_start"]
