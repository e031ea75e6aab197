"""REST API: bearer auth (401/403), approve/reject/edit/reschedule through the state machine,
the guard re-check after an edit, and the audit log. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from contentloop.domain import PostState
from contentloop.store.web_repo import Role

from .conftest import Web, client


def test_no_token_or_unknown_token_is_401(web_sqlite: Web) -> None:
    web = web_sqlite
    c = client(web.app())
    approve = f"/api/posts/{web.posts[0].id}/approve"
    for method, path in (("get", "/api/posts"), ("post", approve)):
        r = c.request(method.upper(), path, json={})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        r = c.request(method.upper(), path, json={},
                      headers={"Authorization": "Bearer clt_not-a-real-token"})
        assert r.status_code == 401
    revoked = web.repo.create_token(Role.ADMIN)
    web.repo.revoke_token(revoked[:10])
    assert c.get("/api/posts", headers={"Authorization": f"Bearer {revoked}"}).status_code == 401


def test_viewer_token_reads_but_cannot_act(web_sqlite: Web) -> None:
    web = web_sqlite
    c = client(web.app())
    h = web.token(Role.VIEWER)
    r = c.get("/api/posts", headers=h)
    assert r.status_code == 200
    assert {p["id"] for p in r.json()} == {p.id for p in web.posts}
    assert {p["state"] for p in r.json()} == {"in_review"}
    pid = web.posts[0].id
    for verb, body in (("approve", {}), ("reject", {}), ("edit", {"caption": "hello there"}),
                       ("reschedule", {"scheduled_at": "2026-04-01T09:00:00Z"})):
        r = c.post(f"/api/posts/{pid}/{verb}", json=body, headers=h)
        assert r.status_code == 403, verb
    assert web.store.get_post(pid).state is PostState.IN_REVIEW
    assert web.repo.audit(post_id=pid) == []


def test_approver_approves_through_the_state_machine(web: Web) -> None:
    c = client(web.app())
    h = web.token(Role.APPROVER)
    pid = web.posts[0].id
    variants = web.store.variants(pid)
    pick = min(variants, key=lambda v: v.score)  # a person may overrule the score
    r = c.post(f"/api/posts/{pid}/approve", json={"variant_id": pick.id, "reason": "on brand"},
               headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "approved" and r.json()["variant_id"] == pick.id
    assert [v.id for v in web.store.variants(pid) if v.chosen] == [pick.id]
    last = web.store.transitions(pid)[-1]
    assert (last.from_state, last.to_state, last.actor) == (
        PostState.IN_REVIEW, PostState.APPROVED, "api:approver")
    (entry,) = web.repo.audit(post_id=pid)
    assert entry.action == "approve" and entry.actor == "api:approver"
    assert entry.before["state"] == "in_review" and entry.after["state"] == "approved"
    assert entry.after["variant_id"] == pick.id
    # approving twice is a conflict, not a silent success
    again = c.post(f"/api/posts/{pid}/approve", json={}, headers=h)
    assert again.status_code == 409
    assert c.post("/api/posts/nope-1/approve", json={}, headers=h).status_code == 404
    listed = c.get("/api/posts", params={"state": "approved"}, headers=h).json()
    assert [p["id"] for p in listed] == [pid]


def test_edit_rechecks_with_guard_and_blocked_variant_cannot_be_approved(
    web_sqlite: Web,
) -> None:
    web = web_sqlite
    c = client(web.app())
    h = web.token(Role.APPROVER)
    pid = web.posts[1].id
    vid = web.store.variants(pid)[0].id
    bad = "Email me at jane.doe@example.com for the recipe. Save this."
    r = c.post(f"/api/posts/{pid}/edit", json={"caption": bad, "variant_id": vid}, headers=h)
    assert r.status_code == 200, r.text
    edited = next(v for v in r.json()["variants"] if v["id"] == vid)
    assert edited["caption"] == bad
    assert any(x["rule"] == "personal_data" and x["severity"] == "block"
               for x in edited["verdicts"])
    blocked = c.post(f"/api/posts/{pid}/approve", json={"variant_id": vid}, headers=h)
    assert blocked.status_code == 409 and "personal_data" in blocked.json()["detail"]
    assert web.store.get_post(pid).state is PostState.IN_REVIEW
    # fix it, approve it, then edit again: the post goes back to review
    good = "Cold brew at home: 1 part coffee, 8 parts water, 14 hours. Save this."
    assert c.post(f"/api/posts/{pid}/edit", json={"caption": good, "variant_id": vid},
                  headers=h).status_code == 200
    assert c.post(f"/api/posts/{pid}/approve", json={"variant_id": vid},
                  headers=h).status_code == 200
    r = c.post(f"/api/posts/{pid}/edit", json={"caption": good + " Enjoy!"}, headers=h)
    assert r.json()["post"]["state"] == "in_review"
    actions = [e.action for e in reversed(web.repo.audit(post_id=pid))]
    assert actions == ["edit", "edit", "approve", "edit"]
    first = web.repo.audit(post_id=pid)[-1]
    assert first.after["caption"] == bad and first.before["caption"] != bad


def test_reject_stops_an_approved_post_and_reschedule_checks_slots(web: Web) -> None:
    c = client(web.app())
    h = web.token(Role.APPROVER)
    a, b = web.posts[0].id, web.posts[1].id
    assert c.post(f"/api/posts/{a}/approve", json={}, headers=h).status_code == 200
    r = c.post(f"/api/posts/{a}/reject", json={"reason": "off-topic"}, headers=h)
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    states = [t.to_state for t in web.store.transitions(a)][-3:]
    assert states == [PostState.APPROVED, PostState.IN_REVIEW, PostState.REJECTED]
    taken = web.store.get_post(a).scheduled_at
    r = c.post(f"/api/posts/{b}/reschedule", json={"scheduled_at": taken.isoformat()},
               headers=h)
    assert r.status_code == 409 and "already has a post" in r.json()["detail"]
    past = web.clock.now() - timedelta(hours=1)
    r = c.post(f"/api/posts/{b}/reschedule", json={"scheduled_at": past.isoformat()}, headers=h)
    assert r.status_code == 409
    new = web.clock.now() + timedelta(days=10, hours=3)
    r = c.post(f"/api/posts/{b}/reschedule", json={"scheduled_at": new.isoformat()}, headers=h)
    assert r.status_code == 200
    moved = web.store.get_post(b)
    assert moved.scheduled_at == new
    assert moved.local_date == new.astimezone(__import__("zoneinfo").ZoneInfo(
        web.account.timezone)).date().isoformat()
    naive = c.post(f"/api/posts/{b}/reschedule", json={"scheduled_at": "2026-05-01T10:00:00"},
                   headers=h)
    assert naive.status_code == 422  # times must say their zone
    audit = c.get("/api/audit", params={"post_id": b}, headers=web.token(Role.VIEWER)).json()
    assert [e["action"] for e in audit] == ["reschedule"]
    assert audit[0]["before"]["scheduled_at"] != audit[0]["after"]["scheduled_at"]


def test_openapi_document_is_served_offline(web_sqlite: Web) -> None:
    web = web_sqlite
    c = client(web.app())
    spec = c.get("/api/openapi.json").json()
    assert "/api/posts/{post_id}/approve" in spec["paths"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    docs = c.get("/api/docs")
    assert docs.status_code == 200 and "/api/posts/{post_id}/reschedule" in docs.text
    assert "cdn" not in docs.text.lower() and "<script" not in docs.text.lower()
    assert c.get("/docs").status_code == 404  # Swagger UI would load from a CDN
