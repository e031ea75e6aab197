"""The /plan page: approve as a whole or edit shares, CSRF-checked, approver/admin only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from contentloop.domain import Account, SimulatedClock
from contentloop.store import Store
from contentloop.store.plans_repo import PlansRepo, PlanStatus
from contentloop.store.web_repo import Role, WebRepo
from contentloop.web import WebConfig, create_app
from contentloop.web.auth import hash_password, use_hasher

from .helpers import account, learner

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    store: Store
    account: Account
    app: object


@pytest.fixture
def site(db_url: str, clock: SimulatedClock) -> Iterator[Site]:
    old = use_hasher(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    store = Store(db_url, clock)
    acc = account()
    store.ensure_account(acc)
    learner(store).refit(acc)  # proposes 2026-W11
    repo = WebRepo(store)
    pw = hash_password(PASSWORD)
    for name, role in (("ada", Role.ADMIN), ("alice", Role.APPROVER), ("vic", Role.VIEWER)):
        repo.add_user(name, role, pw)
    yield Site(store, acc, create_app(store, [acc], config=WebConfig()))
    store.close()
    use_hasher(old)


def _login(site: Site, name: str) -> TestClient:
    c = TestClient(site.app, base_url="https://testserver")  # type: ignore[arg-type]
    token = CSRF_RE.search(c.get("/login").text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token,
                               "next": "/plan"}, follow_redirects=False)
    assert r.status_code == 303
    return c


def _csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def test_approver_approves_the_plan_as_a_whole_and_it_is_audited(site: Site) -> None:
    c = _login(site, "alice")
    page = c.get("/plan?account=acme")
    assert page.status_code == 200
    assert "Plan for 2026-W11" in page.text and "proposed" in page.text
    assert 'action="/plan/approve"' in page.text and 'action="/plan/edit"' in page.text
    r = c.post("/plan/approve", data={"csrf_token": _csrf(page.text), "account": "acme",
                                      "week": "2026-W11", "note": "looks right"},
               follow_redirects=False)
    assert r.status_code == 303 and "done=approved" in r.headers["location"]
    plan = PlansRepo(site.store).get("acme", "2026-W11")
    assert plan is not None and plan.status is PlanStatus.APPROVED
    assert (plan.decided_by, plan.note) == ("web:alice", "looks right")
    shown = c.get(r.headers["location"]).text
    assert "approved" in shown and "web:alice" in shown
    audit = c.get("/audit?account=acme").text
    assert "plan:2026-W11" in audit and "plan_approve" in audit


def test_edit_form_saves_shares_and_reports_a_bad_sum(site: Site) -> None:
    c = _login(site, "ada")
    page = c.get("/plan?account=acme&week=2026-W11").text
    fields = dict(re.findall(r'name="(share__[^"]+)" value="([^"]*)"', page))
    assert {"share__pillar__behind", "share__format__reel", "share__slot_hour__19"} <= set(
        fields)
    form = {**fields, "share__pillar__tips": "60", "share__pillar__recipes": "40",
            "share__pillar__behind": "0", "csrf_token": _csrf(page), "account": "acme",
            "week": "2026-W11", "note": "pause behind"}
    r = c.post("/plan/edit", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    plan = PlansRepo(site.store).get("acme", "2026-W11")
    assert plan is not None and plan.status is PlanStatus.EDITED
    assert plan.allocation["pillar"] == {"tips": 0.6, "recipes": 0.4, "behind": 0.0}
    assert plan.allocation["format"] == plan.proposal["format"]  # untouched dimension kept
    assert plan.decided_by == "web:ada"
    bad = {**form, "share__pillar__tips": "70"}
    r = c.post("/plan/edit", data=bad, follow_redirects=False)
    assert r.status_code == 422 and "pillar: shares sum to 1.100" in r.text
    r = c.post("/plan/edit", data={**form, "share__format__reel": "lots"})
    assert r.status_code == 422 and "format.reel" in r.text
    after = PlansRepo(site.store).get("acme", "2026-W11")
    assert after is not None and after.allocation["pillar"]["tips"] == 0.6  # unchanged


def test_plan_forms_need_a_csrf_token_and_an_approver(site: Site) -> None:
    alice = _login(site, "alice")
    page = alice.get("/plan?account=acme").text
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "forged"}):
        r = alice.post("/plan/approve", data={**data, "account": "acme", "week": "2026-W11"},
                       follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text
    vic = _login(site, "vic")
    page = vic.get("/plan?account=acme").text
    assert "2026-W11" in page and 'action="/plan/approve"' not in page
    r = vic.post("/plan/approve", data={"csrf_token": _csrf(page), "account": "acme",
                                        "week": "2026-W11"}, follow_redirects=False)
    assert r.status_code == 403 and "viewer" in r.text
    r = vic.post("/plan/edit", data={"csrf_token": _csrf(page), "account": "acme",
                                     "week": "2026-W11", "share__format__reel": "100"},
                 follow_redirects=False)
    assert r.status_code == 403
    plan = PlansRepo(site.store).get("acme", "2026-W11")
    assert plan is not None and plan.status is PlanStatus.PROPOSED and plan.decided_by is None
    anon = TestClient(site.app, base_url="https://testserver")  # type: ignore[arg-type]
    r = anon.get("/plan", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
