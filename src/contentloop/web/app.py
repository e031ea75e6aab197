"""The dashboard and REST API as one FastAPI app: `create_app(store, accounts)`.

Works fully offline: server-rendered pages, our own CSS, no third-party JavaScript; the
OpenAPI document is at /api/openapi.json and a readable reference at /api/docs.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from contentloop import __version__
from contentloop.domain import Account
from contentloop.policy.settings import PolicySettings
from contentloop.store import Store

from . import api, pages, plan_pages
from .context import WebConfig, WebContext

CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
       "script-src 'none'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")
PUBLIC_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
              "frame-ancestors 'none'; base-uri 'none'")
LINKS_MODULE = "contentloop.web.links"


def create_app(
    store: Store,
    accounts: Sequence[Account],
    *,
    config: WebConfig | None = None,
    policies: Mapping[str, PolicySettings] | None = None,
) -> FastAPI:
    """Build the app over an open store; accounts are the configured ones (for time zones)."""
    if not accounts:
        raise ValueError("the dashboard needs at least one configured account")
    cfg = config or WebConfig()
    app = FastAPI(
        title="contentloop", version=__version__,
        description="Approve, reject, edit and reschedule posts; read states and the audit log.",
        openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,
    )
    app.state.ctx = WebContext.build(store, accounts, cfg, policies)
    app.state.store = store  # what the short-link router (web.links) reads
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(plan_pages.router)  # weekly plan: approve or edit as a whole
    if importlib.util.find_spec(LINKS_MODULE) is not None:  # short links (/r/CODE, /l/HANDLE)
        app.include_router(importlib.import_module(LINKS_MODULE).router)

    @app.exception_handler(pages.LoginRequired)
    async def _login(request: Request, exc: pages.LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}",
                                status_code=303)

    @app.exception_handler(pages.PageError)
    async def _page_error(request: Request, exc: pages.PageError) -> Response:
        session = None
        with contextlib.suppress(pages.LoginRequired):
            session = pages.current(request)
        return pages.render(request, "error.html", status=exc.status,
                            _session=session or (None, ""), message=exc.message,
                            code=exc.status)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or exc.status_code in (401, 405):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=exc.headers)
        return await _page_error(request, pages.PageError(exc.status_code, str(exc.detail)))

    @app.middleware("http")
    async def _headers(request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        resp = await call_next(request)
        public_page = request.url.path.startswith("/l/")  # link-in-bio: own inline style
        resp.headers.setdefault("Content-Security-Policy", PUBLIC_CSP if public_page else CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if not request.url.path.startswith("/static/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    return app


__all__ = ["CSP", "WebConfig", "create_app"]
