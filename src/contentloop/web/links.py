"""Short links and the link-in-bio page: contentloop measures its own clicks.

`GET /r/{code}` records one click and answers 302 to the UTM-tagged target; `GET
/l/{handle}` lists the account's current links. The dashboard app includes `router` and
sets `app.state.store` (a `contentloop.store.Store`); its clock stamps the clicks.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ..store import Store
from ..store.analytics_repo import active_links, get_link, record_click

router = APIRouter(tags=["links"])


def _store(request: Request) -> Store:
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise HTTPException(status_code=503, detail="no store configured (app.state.store)")
    return store


@router.get("/r/{code}", include_in_schema=True)
def redirect(code: str, request: Request) -> RedirectResponse:
    """302 to the link's target and count the click (only the referrer's host is kept)."""
    store = _store(request)
    link = get_link(store, code)
    if link is None or not link.active:
        raise HTTPException(status_code=404, detail=f"no active link {code!r}")
    referrer = urlsplit(request.headers.get("referer", "")).hostname or ""
    record_click(store, code, store.clock.now(), referrer)
    return RedirectResponse(link.target, status_code=302)


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>@{handle}</title>
<style>body{{font-family:"Noto Sans","DejaVu Sans",sans-serif;background:#f7f4ea;margin:0;
color:#1f2a44}}main{{max-width:480px;margin:0 auto;padding:28px 16px}}h1{{font-size:22px;
text-align:center}}a.l{{display:block;background:#1f2a44;color:#fff;text-decoration:none;
padding:14px;border-radius:10px;margin:10px 0;text-align:center}}p{{text-align:center;
color:#6b7280}}</style></head><body><main><h1>@{handle}</h1>{items}</main></body></html>"""


@router.get("/l/{handle}", response_class=HTMLResponse)
def link_in_bio(handle: str, request: Request) -> HTMLResponse:
    """The account's current links, newest first, each through its counting short link."""
    links = active_links(_store(request), handle)
    if links:
        items = "".join(
            f'<a class="l" href="/r/{escape(link.code)}">'
            f"{escape(link.label or urlsplit(link.target).hostname or link.code)}</a>"
            for link in links
        )
    else:
        items = "<p>No links yet.</p>"
    return HTMLResponse(_PAGE.format(handle=escape(handle), items=items))
