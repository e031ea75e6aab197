"""Starlette app: Graph-API-shaped HTTP over a SimWorld (routing, params, tokens, throttling)."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
import threading
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from . import errors as E
from . import insights as I
from .fields import parse_fields
from .hashtags import hashtag_id
from .model import Token
from .render import comment_json, hashtag_media_json, media_json, page, user_json
from .world import SimWorld, fault_error

_log = logging.getLogger(__name__)
_VERSION_RE = re.compile(r"^v\d+(\.\d+)?$")
_HASHTAG_Q_RE = re.compile(r"^[^\W]+$", re.UNICODE)
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class _Ctx:
    """One request: its params, token, segments and where it came from."""

    def __init__(self, request: Request, params: dict[str, Any], segments: list[str],
                 token_value: str | None, token_in_query: bool) -> None:
        self.request = request
        self.params = params
        self.segments = segments
        self.method = request.method
        self.token_value = token_value
        self.token_in_query = token_in_query
        self.headers: dict[str, str] = {}

    @property
    def fields(self) -> str | None:
        v = self.params.get("fields")
        return None if v is None else str(v)

    def base_path_url(self) -> str:
        return str(self.request.url.replace(query=""))

    def query_for_links(self) -> dict[str, str]:
        q = dict(self.request.query_params)
        if not self.token_in_query:
            q.pop("access_token", None)
        return q


class _DropAfterPublish(Response):
    """Send the status line and headers, then make the server abort the socket."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", b"64")]})
        raise E.DropConnection()


class RateLimiter:
    """Rolling one-hour call budget per token, reported like Meta's usage headers."""

    def __init__(self, world: SimWorld) -> None:
        self.world = world
        self._calls: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def check(self, tok: Token, platform: bool) -> dict[str, str]:
        cfg = self.world.config
        now = self.world.clock.now()
        budget = max(cfg.rate_limit_calls_per_hour, 1)
        with self._lock:
            q = self._calls.setdefault(tok.value, deque())
            while q and q[0] <= now - timedelta(hours=1):
                q.popleft()
            over = len(q) >= budget
            if not over:
                q.append(now)
            pct = min(100, math.ceil(len(q) * 100 / budget))
            regain = 0
            if over:
                regain = max(1, math.ceil((q[0] + timedelta(hours=1) - now).total_seconds() / 60))
        usage = {"call_count": pct, "total_cputime": pct // 3, "total_time": pct // 2}
        headers = {
            "x-app-usage": json.dumps(usage),
            "x-business-use-case-usage": json.dumps({tok.ig_user_id: [{
                "type": "instagram", **usage, "estimated_time_to_regain_access": regain}]}),
        }
        if over:
            code = cfg.platform_rate_limit_code if platform else cfg.rate_limit_code
            raise E.rate_limited(code, regain, headers)
        return headers


async def _read_params(request: Request) -> tuple[dict[str, Any], bool]:
    params: dict[str, Any] = dict(request.query_params)
    token_in_query = "access_token" in params
    if request.method in ("POST", "DELETE"):
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("application/json"):
            body = await request.body()
            if body:
                try:
                    data = json.loads(body)
                except json.JSONDecodeError as exc:
                    raise E.invalid_param("The request body is not valid JSON") from exc
                if isinstance(data, dict):
                    params.update(data)
        elif ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params, token_in_query


def _token_from(request: Request, params: dict[str, Any]) -> str | None:
    auth = request.headers.get("authorization", "")
    for scheme in ("Bearer ", "OAuth ", "bearer ", "oauth "):
        if auth.startswith(scheme):
            return auth[len(scheme):].strip()
    tok = params.get("access_token")
    return str(tok) if tok else None


def _segments(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return [p for p in parts if not _VERSION_RE.match(p)]


def _compression(clock: object) -> float:
    """How many simulated seconds pass per wall second (1 for the wall clock)."""
    factor = getattr(clock, "factor", 1.0)
    return float(factor) if isinstance(factor, int | float) and factor > 0 else 1.0


def create_app(world: SimWorld) -> Starlette:
    """The simulator as an ASGI app; every path goes through one dispatcher."""
    limiter = RateLimiter(world)

    async def endpoint(request: Request) -> Response:
        trace = world.fbtrace_id()
        if world.config.latency_s is not None:
            lo, hi = world.config.latency_s
            # Latency is simulated time: under a compressed clock (ScaledClock.factor) a
            # wall sleep of the full amount would inflate simulated lateness by the factor.
            await asyncio.sleep(random.uniform(lo, hi) / _compression(world.clock))
        try:
            # Read the raw body first: Starlette then parses forms from the cached bytes.
            raw_body = await request.body() if request.method in ("POST", "DELETE") else b""
            params, in_query = await _read_params(request)
            ctx = _Ctx(request, params, _segments(request.url.path),
                       _token_from(request, params), in_query)
            result = await run_in_threadpool(_dispatch_locked, world, limiter, ctx, raw_body)
        except E.GraphError as err:
            return JSONResponse(err.body(trace), status_code=err.status, headers=err.headers)
        except _Stall as stall:  # a "timeout" fault: answer too late for the client
            await asyncio.sleep(world.config.fault_timeout_s)
            if stall.body is None:
                return JSONResponse(E.server_error().body(trace), status_code=500)
            return JSONResponse(stall.body)
        except Exception as exc:  # a simulator bug must still look like a Graph error
            _log.error("simulator error %s on %s %s", type(exc).__name__, request.method,
                       request.url.path)
            return JSONResponse(E.server_error().body(trace), status_code=500)
        if result is _DROP:
            return _DropAfterPublish()
        if isinstance(result, Response):
            return result
        return JSONResponse(result, headers=ctx.headers)

    app = Starlette(
        routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "DELETE"])],
        middleware=[Middleware(_DropGuard)],
    )
    app.state.world = world
    return app


class _DropGuard:
    """ASGI middleware: swallowing DropConnection leaves the response incomplete,
    which makes uvicorn close the socket (the client sees a connection error)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except E.DropConnection:
            return


def _dispatch_locked(world: SimWorld, limiter: RateLimiter, ctx: _Ctx, raw_body: bytes) -> Any:
    """Requests run one at a time against the world, except container creation, whose
    media download happens outside the lock (it locks the state it touches itself)."""
    seg = ctx.segments
    if ctx.method == "POST" and (len(seg) == 2 and seg[1] == "media" or
                                 (seg and seg[0] == "ig-api-upload")):
        return _dispatch(world, limiter, ctx, raw_body)
    with world.lock:
        return _dispatch(world, limiter, ctx, raw_body)


_DROP = object()


def _dispatch(world: SimWorld, limiter: RateLimiter, ctx: _Ctx, raw_body: bytes) -> Any:
    seg = ctx.segments
    if not seg:
        raise E.invalid_param("Unsupported request")
    head = seg[0]
    # --- OAuth and token endpoints (no regular token check) ---
    if head == "oauth" and len(seg) > 1 and seg[1] == "access_token":
        return _oauth_access_token(world, ctx)
    if head == "access_token":
        return _ig_exchange(world, ctx)
    if head == "refresh_access_token":
        return _ig_refresh(world, ctx)
    if head == "ig-api-upload":
        return _rupload(world, ctx, raw_body)
    tok = world.authenticate(ctx.token_value, head if head.isdigit() else None)
    platform = head == "ig_hashtag_search" or (len(seg) > 1 and seg[1] in (
        "top_media", "recent_media")) or "business_discovery" in (ctx.fields or "")
    ctx.headers = limiter.check(tok, platform)
    if head == "debug_token":
        return _debug_token(world, ctx, tok)
    if head == "me":
        acct = world.accounts[tok.ig_user_id]
        if len(seg) == 1:
            return user_json(world, acct, parse_fields(ctx.fields), me=True)
        if seg[1] == "permissions":
            return {"data": [{"permission": s, "status": "granted"} for s in tok.scopes]}
        if seg[1] == "accounts":
            return {"data": [{"id": "1" + acct.ig_user_id[5:], "name": f"{acct.name} Page",
                              "access_token": tok.value,
                              "instagram_business_account": {"id": acct.ig_user_id}}]}
        seg = [acct.ig_user_id, *seg[1:]]
        head = seg[0]
    if head == "ig_hashtag_search":
        return _hashtag_search(world, ctx, tok)
    obj_id = head
    if len(seg) == 1:
        return _node(world, ctx, tok, obj_id)
    edge = seg[1]
    return _edge(world, ctx, tok, obj_id, edge)


class _Stall(Exception):
    """A "timeout" fault: the endpoint sleeps outside the world lock, then answers."""

    def __init__(self, body: dict[str, Any] | None = None) -> None:
        super().__init__("stalled answer")
        self.body = body


def _fault(world: SimWorld, endpoint: str) -> str | None:
    kind = world.faults.take(endpoint)
    if kind is None or kind == "drop_after_publish":
        return kind
    if kind == "timeout":
        if endpoint == "media_publish":
            return kind  # the publish commits, then its answer stalls
        raise _Stall()
    if kind.startswith("error") and endpoint == "media":
        return kind
    raise fault_error(kind)


def _node(world: SimWorld, ctx: _Ctx, tok: Token, obj_id: str) -> Any:
    specs = parse_fields(ctx.fields)
    if obj_id in world.accounts:
        acct = world.accounts[obj_id]
        if ctx.method == "GET":
            return user_json(world, acct, specs)
        raise E.unsupported_post(obj_id)
    if obj_id in world.containers:
        c = world.containers[obj_id]
        if c.owner != tok.ig_user_id:
            raise E.not_found(obj_id)
        _fault(world, "container_status")
        names = [s.name for s in specs] or ["id"]
        out: dict[str, Any] = {}
        if "status_code" in names or "status" in names:
            code, text = world.container_status(c)
            if "status" in names:
                out["status"] = text
            if "status_code" in names:
                out["status_code"] = code
        if "copyright_check_status" in names and c.is_video:
            out["copyright_check_status"] = {"matches_found": False, "status": "completed"}
        out["id"] = c.id
        return out
    if obj_id in world.media:
        m = world.media[obj_id]
        if ctx.method == "POST":
            if m.owner != tok.ig_user_id:
                raise E.unsupported_post(obj_id)
            if "comment_enabled" in ctx.params:
                m.comment_enabled = str(ctx.params["comment_enabled"]).lower() in ("true", "1")
                return {"success": True}
            raise E.invalid_param("Unsupported post request")
        return media_json(world, m, specs)
    if obj_id in world.comments:
        c2 = world.comments[obj_id]
        media = world.media.get(c2.media_id)
        if media is None or media.owner != tok.ig_user_id:
            raise E.not_found(obj_id)
        if ctx.method == "DELETE":
            with world.lock:
                for k in [k for k, v in world.comments.items()
                          if v.parent_id == obj_id or k == obj_id]:
                    del world.comments[k]
            return {"success": True}
        if ctx.method == "POST":
            if "hide" not in ctx.params:
                raise E.invalid_param("The parameter hide is required")
            if c2.user_id == media.owner:
                raise E.invalid_param("Comments made by the media owner cannot be hidden")
            c2.hidden = str(ctx.params["hide"]).lower() in ("true", "1")
            return {"success": True}
        return comment_json(world, c2, specs)
    name = world.hashtags.name_of(obj_id)
    if name is not None:
        out = {"id": obj_id}
        if any(s.name == "name" for s in specs):
            out["name"] = name
        return out
    raise E.not_found(obj_id)


def _edge(world: SimWorld, ctx: _Ctx, tok: Token, obj_id: str, edge: str) -> Any:
    p, method = ctx.params, ctx.method
    if obj_id in world.accounts:
        if edge == "media" and method == "POST":
            kind = _fault(world, "media")
            out = world.create_container(tok, obj_id, p)
            if kind is not None:  # "error[=SUBCODE]": the container ends in ERROR
                sub = kind.partition("=")[2]
                with world.lock:
                    c = world.containers[out["id"]]
                    c.fail_subcode = int(sub) if sub else 2207082
                    c.fail_reason = "injected fault"
            return out
        if edge == "media_publish" and method == "POST":
            kind = _fault(world, "media_publish")
            media_id = world.publish(tok, obj_id, p.get("creation_id"))
            if kind == "timeout":
                raise _Stall({"id": media_id})
            return _DROP if kind == "drop_after_publish" else {"id": media_id}
        acct = world.owned_account(tok, obj_id)
        if edge == "content_publishing_limit":
            return _publishing_limit(world, ctx, acct)
        if edge in ("media", "stories") and method == "GET":
            items = world.account_media(obj_id, stories=edge == "stories")
            since, until = I._ts_param(p.get("since")), I._ts_param(p.get("until"))
            items = [m for m in items if (since is None or m.timestamp >= since)
                     and (until is None or m.timestamp <= until)]
            return _paged(world, ctx, items, lambda m: m.id,
                          lambda m, s: media_json(world, m, s), max_limit=100)
        if edge == "insights":
            _fault(world, "user_insights")
            return I.account_insights(world, acct, p, _ig_host(world))
        if edge == "recently_searched_hashtags":
            return {"data": [{"id": hashtag_id(n)} for n in _live_queries(world, acct)]}
        raise E.invalid_param(f"Unknown path components: /{edge}")
    if obj_id in world.media:
        m = world.media[obj_id]
        if edge == "insights":
            if m.owner != tok.ig_user_id:
                raise E.not_found(obj_id)
            _fault(world, "media_insights")
            return I.media_insights(world, m, p, _ig_host(world))
        if edge == "children":
            kids = [world.media[k] for k in m.children]
            return {"data": [media_json(world, k, parse_fields(ctx.fields)) for k in kids]}
        if edge == "comments":
            acct = world.accounts[tok.ig_user_id]
            if method == "POST":
                if not m.comment_enabled:
                    raise E.invalid_param("Comments are disabled for this media")
                msg = str(p.get("message") or "")
                if not msg:
                    raise E.invalid_param("The parameter message is required")
                return {"id": world.add_comment(m.id, msg, acct).id}
            comments = world.audience_comments(m)
            return _paged(world, ctx, comments, lambda c: c.id,
                          lambda c, s: comment_json(world, c, s), max_limit=50)
        raise E.invalid_param(f"Unknown path components: /{edge}")
    if obj_id in world.comments and edge == "replies":
        parent = world.comments[obj_id]
        acct = world.accounts[tok.ig_user_id]
        if method == "POST":
            msg = str(p.get("message") or "")
            if not msg:
                raise E.invalid_param("The parameter message is required")
            return {"id": world.add_comment(parent.media_id, msg, acct, parent_id=obj_id).id}
        replies = sorted((c for c in world.comments.values() if c.parent_id == obj_id),
                         key=lambda c: c.timestamp)
        return {"data": [comment_json(world, c, parse_fields(ctx.fields)) for c in replies]}
    name = world.hashtags.name_of(obj_id)
    if name is not None and edge in ("top_media", "recent_media"):
        user_id = str(p.get("user_id") or "")
        if not user_id:
            raise E.invalid_param("The parameter user_id is required")
        world.owned_account(tok, user_id)
        specs = parse_fields(ctx.fields)
        for s in specs:  # validate before paging so errors do not depend on data
            hashtag_media_json_probe(s.name)
        now = world.clock.now()
        tagged = (world.hashtags.recent_media(name, now) if edge == "recent_media"
                  else world.hashtags.top_media(name, now))
        return _paged(world, ctx, tagged, lambda h: h.id,
                      lambda h, s: hashtag_media_json(h, s), max_limit=50,
                      only_after=True, default_limit=25)
    raise E.not_found(obj_id)


def hashtag_media_json_probe(field: str) -> None:
    if field == "username":
        raise E.invalid_param("The username field cannot be requested on hashtag media")


def _paged(world: SimWorld, ctx: _Ctx, items: list[Any], key: Callable[[Any], str],
           render: Callable[[Any, Any], dict[str, Any]], *, max_limit: int,
           only_after: bool = False, default_limit: int = 25) -> dict[str, Any]:
    p = ctx.params
    try:
        limit = int(p.get("limit") or default_limit)
    except ValueError as exc:
        raise E.invalid_param("limit must be an integer") from exc
    limit = max(1, min(limit, max_limit))
    if only_after and p.get("before"):
        raise E.invalid_param("Paging with before is not supported on this edge")
    chunk, paging = page(items, key, limit=limit, after=p.get("after"),
                         before=p.get("before"), next_base=ctx.base_path_url(),
                         next_query=ctx.query_for_links(), only_after=only_after)
    specs = parse_fields(ctx.fields)
    out: dict[str, Any] = {"data": [render(i, specs) for i in chunk]}
    if paging:
        out["paging"] = paging
    return out


def _ig_host(world: SimWorld) -> bool:
    return "instagram" in world.config.api_host


def _publishing_limit(world: SimWorld, ctx: _Ctx, acct: Any) -> dict[str, Any]:
    fields = [f.strip() for f in (ctx.fields or "quota_usage").split(",") if f.strip()]
    for f in fields:
        if f not in ("quota_usage", "config"):
            raise E.invalid_param(
                f"Tried accessing nonexisting field ({f}) on node type "
                "(ContentPublishingLimit)")
    since = I._ts_param(ctx.params.get("since"))
    now = world.clock.now()
    if since is not None and since < now - timedelta(seconds=world.config.quota_duration_s):
        raise E.invalid_param("The since parameter must be a Unix timestamp within the last "
                              "24 hours")
    row: dict[str, Any] = {}
    if "quota_usage" in fields:
        row["quota_usage"] = world.publishing_usage(acct, since)
    if "config" in fields:
        row["config"] = {"quota_total": world.config.quota_total,
                         "quota_duration": world.config.quota_duration_s}
    return {"data": [row]}


def _live_queries(world: SimWorld, acct: Any) -> list[str]:
    week_ago = world.clock.now() - timedelta(days=7)
    with world.lock:
        acct.hashtag_queries = {k: v for k, v in acct.hashtag_queries.items() if v > week_ago}
        return list(acct.hashtag_queries)


def _hashtag_search(world: SimWorld, ctx: _Ctx, tok: Token) -> dict[str, Any]:
    user_id = str(ctx.params.get("user_id") or "")
    if not user_id:
        raise E.invalid_param("The parameter user_id is required")
    acct = world.owned_account(tok, user_id)
    _fault(world, "hashtag_search")
    q = str(ctx.params.get("q") or "").strip().lstrip("#").lower()
    if not q:
        raise E.invalid_param("The parameter q is required")
    if not q.isascii() or not _HASHTAG_Q_RE.match(q):
        raise E.invalid_param("Invalid parameter: hashtag names cannot contain emoji, spaces "
                              "or punctuation")
    live = _live_queries(world, acct)
    with world.lock:
        if q not in acct.hashtag_queries:
            if len(live) >= world.config.hashtag_weekly_unique:
                raise E.invalid_param(
                    f"You have reached the limit of {world.config.hashtag_weekly_unique} "
                    "unique hashtags searched within a 7 day period")
            acct.hashtag_queries[q] = world.clock.now()
    hid = world.hashtags.register(q)
    return {"data": [{"id": hid, "name": q}]}


# ----------------------------------------------------------------------------- OAuth
def _oauth_access_token(world: SimWorld, ctx: _Ctx) -> Any:
    p = ctx.params
    grant = p.get("grant_type")
    if grant == "fb_exchange_token":
        short = str(p.get("fb_exchange_token") or "")
        tok = world.authenticate(short)
        new = world.issue_token(tok.ig_user_id, ttl_s=5183944, long_lived=True)
        return {"access_token": new.value, "token_type": "bearer", "expires_in": 5183944}
    code = str(p.get("code") or "")
    if not code:
        return _flat_oauth_error("Missing required parameter: code")
    with world.lock:
        ig = world.auth_codes.pop(code, None)
    if ig is None:
        if world.config.strict_tokens or code in _used_codes(world):
            return _flat_oauth_error("Invalid authorization code")
        ig, _ = world.create_account(f"sandbox_{len(world.accounts) + 1}")
    _used_codes(world).add(code)
    if ctx.method == "GET":  # FBL code exchange → short-lived user token
        tok = world.issue_token(ig, ttl_s=3600, long_lived=False)
        return {"access_token": tok.value, "token_type": "bearer", "expires_in": 3600}
    tok = world.issue_token(ig, ttl_s=3600, long_lived=False)
    perms = ["instagram_business_basic", "instagram_business_content_publish",
             "instagram_business_manage_insights", "instagram_business_manage_comments"]
    if world.config.oauth_wrapped_shape:
        return {"data": [{"access_token": tok.value, "user_id": ig,
                          "permissions": ",".join(perms)}]}
    return {"access_token": tok.value, "user_id": int(ig), "permissions": perms}


def _used_codes(world: SimWorld) -> set[str]:
    used = getattr(world, "_used_codes", None)
    if used is None:
        used = set()
        world._used_codes = used  # type: ignore[attr-defined]
    return used


def _flat_oauth_error(message: str) -> Response:
    return JSONResponse({"error_type": "OAuthException", "code": 400, "error_message": message},
                        status_code=400)


def _ig_exchange(world: SimWorld, ctx: _Ctx) -> dict[str, Any]:
    if ctx.params.get("grant_type") != "ig_exchange_token":
        raise E.invalid_param("grant_type must be ig_exchange_token")
    tok = world.authenticate(ctx.token_value)
    new = world.issue_token(tok.ig_user_id, ttl_s=5183944, long_lived=True)
    return {"access_token": new.value, "token_type": "bearer", "expires_in": 5183944}


def _ig_refresh(world: SimWorld, ctx: _Ctx) -> dict[str, Any]:
    if ctx.params.get("grant_type") != "ig_refresh_token":
        raise E.invalid_param("grant_type must be ig_refresh_token")
    tok = world.authenticate(ctx.token_value)
    now = world.clock.now()
    if now - tok.issued_at < timedelta(hours=24):
        raise E.invalid_param("Token not yet eligible for refresh: it must be at least 24 "
                              "hours old")
    new = world.issue_token(tok.ig_user_id, ttl_s=5184000, long_lived=True)
    return {"access_token": new.value, "token_type": "bearer", "expires_in": 5184000}


def _debug_token(world: SimWorld, ctx: _Ctx, caller: Token) -> dict[str, Any]:
    value = str(ctx.params.get("input_token") or "")
    tok = world.tokens.get(value)
    if tok is None:
        return {"data": {"is_valid": False, "error": {
            "code": 190, "message": "Invalid OAuth access token."}}}
    now = world.clock.now()
    valid = tok.expires_at is None or now < tok.expires_at
    exp = int(tok.expires_at.timestamp()) if tok.expires_at else 0
    return {"data": {
        "app_id": "100000000000001", "type": tok.kind, "application": "contentloop-sim",
        "data_access_expires_at": exp, "expires_at": exp, "is_valid": valid,
        "issued_at": int(tok.issued_at.timestamp()), "scopes": list(tok.scopes),
        "granular_scopes": [{"scope": s, "target_ids": [tok.ig_user_id]}
                            for s in tok.scopes if "content_publish" in s],
        "user_id": tok.ig_user_id,
    }}


def _rupload(world: SimWorld, ctx: _Ctx, body: bytes) -> Any:
    auth = ctx.request.headers.get("authorization", "")
    cid = ctx.segments[-1]
    fail = {"debug_info": {"retriable": False, "type": "ProcessingFailedError",
                           "message": json.dumps({"success": False, "error": {
                               "message": "unauthorized user request"}})}}
    if not auth.startswith("OAuth "):
        return JSONResponse(fail, status_code=400)
    try:
        tok = world.authenticate(auth[6:].strip())
    except E.GraphError:
        return JSONResponse(fail, status_code=400)
    c = world.containers.get(cid)
    if c is None or c.owner != tok.ig_user_id:
        return JSONResponse(fail, status_code=400)
    file_url = ctx.request.headers.get("file_url")
    if file_url:
        from . import mediacheck

        try:
            body = mediacheck.fetch(file_url, world.config.fetch_timeout_s, 300 * 1024 * 1024)
        except E.GraphError:
            c.fail_subcode, c.fail_reason = 2207077, "video download failed"
            return {"success": True, "message": "Upload successful."}
    world.upload(cid, body)
    return {"success": True, "message": "Upload successful."}
