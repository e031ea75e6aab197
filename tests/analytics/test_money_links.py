"""Short links, clicks, revenue import, reel-follows attribution, account-sync days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from contentloop.analytics.account_sync import due_days
from contentloop.analytics.attribution import impute_reel_follows
from contentloop.analytics.kpis import PostResult
from contentloop.store import Store
from contentloop.store.analytics_repo import (
    RevenueImportError,
    clicks_by,
    create_link,
    import_revenue_csv,
    revenue_by_post,
)
from contentloop.web.links import router


def _post(pid: str, fmt: str, reach: float, follows: float | None) -> PostResult:
    m = {"reach": reach, "likes": reach * 0.03}
    if follows is not None:
        m["follows"] = follows
    return PostResult(pid, "", "acme", fmt, "tips", "question", 9,
                      datetime(2026, 3, 2, tzinfo=UTC), m)


def test_reel_follows_from_follower_deltas_split_by_reach() -> None:
    posts = [_post("a", "image", 1000, 4), _post("r1", "reel", 3000, None),
             _post("r2", "reel", 1000, None)]
    out = {p.post_id: p for p in impute_reel_follows(posts, new_followers=24)}
    assert out["a"].metrics["follows"] == 4
    assert out["r1"].metrics["follows"] == pytest.approx(15)
    assert out["r2"].metrics["follows"] == pytest.approx(5)
    assert out["r1"].metrics["follows_estimated"] == 1.0


def test_reel_follows_rate_fallback_and_untouched_when_nothing_to_learn() -> None:
    posts = [_post("a", "image", 1000, 2), _post("r", "reel", 2000, None)]
    out = {p.post_id: p for p in impute_reel_follows(posts, None)}
    assert out["r"].metrics["follows"] == pytest.approx(4)
    only_reels = [_post("r", "reel", 2000, None)]
    assert "follows" not in impute_reel_follows(only_reels, None)[0].metrics


def test_due_days_waits_for_complete_days_and_resumes() -> None:
    now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    days = due_days(now, None)
    assert days[-1] == "2026-03-09" and len(days) == 7
    assert due_days(now, "2026-03-08") == ["2026-03-09"]
    assert due_days(now - timedelta(hours=2), "2026-03-08") == []


def test_links_clicks_and_revenue(db_url: str, clock) -> None:
    store = Store(db_url, clock)
    link = create_link(store, "acme", "https://shop.example/p?x=1", post_id="p1",
                       variant_id="v1", label="Shop")
    assert create_link(store, "acme", "https://shop.example/p?x=1", post_id="p1",
                       variant_id="v1").code == link.code
    assert "utm_source=instagram" in link.target and "utm_content=v1" in link.target
    app = FastAPI()
    app.state.store = store
    app.include_router(router)
    client = TestClient(app)
    r = client.get(f"/r/{link.code}", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == link.target
    client.get(f"/r/{link.code}", follow_redirects=False)
    assert client.get("/r/nope", follow_redirects=False).status_code == 404
    assert clicks_by(store, "acme", "variant_id") == {"v1": 2}
    page = client.get("/l/acme")
    assert page.status_code == 200 and f'href="/r/{link.code}"' in page.text
    csv_text = ("date,amount,ref,post_id,link_code\n2026-03-01,12.50,o1,p1,\n"
                f"2026-03-02,7.5,o2,,{link.code}\n2026-03-02,oops,o3,,\n")
    first = import_revenue_csv(store, "acme", csv_text)
    assert (first.added, first.duplicates, len(first.errors)) == (2, 0, 1)
    again = import_revenue_csv(store, "acme", csv_text)
    assert (again.added, again.duplicates) == (0, 2)
    assert revenue_by_post(store, "acme") == {"p1": pytest.approx(20.0)}
    with pytest.raises(RevenueImportError, match="amount"):
        import_revenue_csv(store, "acme", "date,value\n2026-03-01,3\n")
    store.close()
