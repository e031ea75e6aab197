"""Dashboard pages: argon2 login, session cookies, throttling, CSRF on every form, roles,
media previews from stored asset paths, and the weekly report."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from PIL import Image

from contentloop.analytics.report import build_weekly_report
from contentloop.domain import Asset, PostState
from contentloop.web import WebConfig

from .conftest import PASSWORD, Web, client, csrf_of, login


def test_pages_need_login_and_argon2_login_sets_a_secure_session(web: Web) -> None:
    c = client(web.app())
    r = c.get("/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/queue"
    _, stored = web.repo.user_with_hash("alice")  # type: ignore[misc]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    bad = login(c, "alice", "wrong password!!")
    assert bad.status_code == 401 and "Wrong name or password" in bad.text
    ok = login(c, "alice")
    assert ok.status_code == 303 and ok.headers["location"] == "/queue"
    cookie = ok.headers["set-cookie"]
    assert cookie.startswith("__Host-cl_session=")
    for attr in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
        assert attr.lower() in cookie.lower(), attr
    page = c.get("/queue")
    assert page.status_code == 200 and "alice" in page.text
    assert all(p.id in page.text for p in web.posts)
    # logging out ends the session server-side: the old cookie no longer works
    old = c.cookies.get("__Host-cl_session")
    assert c.post("/logout", data={"csrf_token": csrf_of(page.text)},
                  follow_redirects=False).status_code == 303
    c2 = client(web.app())
    c2.cookies.set("__Host-cl_session", old)  # type: ignore[arg-type]
    assert c2.get("/queue", follow_redirects=False).status_code == 303


def test_login_throttling_per_user_then_released_after_the_window(web_sqlite: Web) -> None:
    web = web_sqlite
    app = web.app()
    c = client(app)
    for _ in range(5):
        assert login(c, "alice", "not the password").status_code == 401
    blocked = login(c, "alice")  # even the right password is refused while throttled
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    assert "too many failed logins" in blocked.text
    web.clock.advance(timedelta(minutes=16))
    assert login(c, "alice").status_code == 303


def test_login_throttling_per_address_across_user_names(web_sqlite: Web) -> None:
    c = client(web_sqlite.app())
    for i in range(5):
        assert login(c, f"guess{i}", "whatever-password").status_code == 401
    assert login(c, "vic").status_code == 429  # same address, any name


def test_forms_without_or_with_a_foreign_csrf_token_are_rejected(web: Web) -> None:
    app = web.app()
    c = client(app)
    login(c, "alice")
    page = c.get("/queue")
    pid = web.posts[0].id
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "forged-token"}):
        r = c.post(f"/posts/{pid}/approve", data=data, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text
    other = client(app)
    login(other, "ada")
    foreign = csrf_of(other.get("/queue").text)  # valid, but for another session
    assert foreign != csrf_of(page.text)
    r = c.post(f"/posts/{pid}/reject", data={"csrf_token": foreign}, follow_redirects=False)
    assert r.status_code == 403
    assert web.store.get_post(pid).state is PostState.IN_REVIEW
    # the login form is protected too (double-submit cookie)
    fresh = client(app)
    r = fresh.post("/login", data={"name": "alice", "password": PASSWORD, "csrf_token": "x"})
    assert r.status_code == 403
    # and with the right token the same action works
    r = c.post(f"/posts/{pid}/reject", data={"csrf_token": csrf_of(page.text), "reason": "no"},
               follow_redirects=False)
    assert r.status_code == 303
    assert web.store.get_post(pid).state is PostState.REJECTED


def test_viewer_sees_no_buttons_and_cannot_post_actions(web_sqlite: Web) -> None:
    web = web_sqlite
    c = client(web.app())
    login(c, "vic")
    page = c.get("/queue")
    assert page.status_code == 200 and "Approve this variant" not in page.text
    pid = web.posts[0].id
    r = c.post(f"/posts/{pid}/approve", data={"csrf_token": csrf_of(page.text)},
               follow_redirects=False)
    assert r.status_code == 403 and "viewer" in r.text
    assert web.store.get_post(pid).state is PostState.IN_REVIEW


def test_edit_form_rechecks_and_reports_a_blocked_approval(web_sqlite: Web) -> None:
    web = web_sqlite
    c = client(web.app())
    login(c, "alice")
    pid = web.posts[2].id
    vid = web.store.variants(pid)[0].id
    token = csrf_of(c.get(f"/posts/{pid}").text)
    r = c.post(f"/posts/{pid}/edit", data={"csrf_token": token, "variant_id": vid,
                                           "caption": "This is fucking great coffee."})
    assert r.status_code == 200 and "profanity" in r.text
    r = c.post(f"/posts/{pid}/approve", data={"csrf_token": token, "variant_id": vid})
    assert r.status_code == 409 and "blocked by profanity" in r.text
    assert web.store.get_post(pid).state is PostState.IN_REVIEW


def _jpeg(path: Path, color: str) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (108, 135), color).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return path


def test_media_previews_come_only_from_stored_asset_paths(web_sqlite: Web,
                                                         tmp_path: Path) -> None:
    web = web_sqlite
    pid = web.posts[0].id
    f = _jpeg(tmp_path / "a.jpg", "red")
    web.store.save_assets(pid, [Asset("ab" * 32, str(f), "image/jpeg", 108, 135)])
    c = client(web.app())
    login(c, "vic")
    r = c.get(f"/media/{pid}/0")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == f.read_bytes()
    assert c.get(f"/media/{pid}/1").status_code == 404
    assert c.get("/media/..%2F..%2Fetc%2Fpasswd/0").status_code == 404
    vid = web.store.variants(web.posts[1].id)[0].id
    p = c.get(f"/preview/{vid}.jpg")
    assert p.status_code == 200 and Image.open(io.BytesIO(p.content)).format == "JPEG"
    assert client(web.app()).get(f"/media/{pid}/0", follow_redirects=False).status_code == 303


def test_weekly_report_and_security_headers(web_sqlite: Web, tmp_path: Path) -> None:
    web = web_sqlite
    c = client(web.app(report_dir=tmp_path / "r"))
    login(c, "vic")
    assert "No weekly report yet" in c.get("/report").text
    web.store.save_report("2026-02-23", build_weekly_report({}, [], web.clock.now()))
    page = c.get("/report")
    assert '<iframe class="report" src="/report/view"' in page.text
    assert "script-src 'none'" in page.headers["content-security-policy"]
    view = c.get("/report/view")
    assert view.status_code == 200 and "<html" in view.text.lower()
    assert (tmp_path / "r" / "report.html").exists()


def test_plain_http_mode_uses_non_host_cookie(web_sqlite: Web) -> None:
    c = client(web_sqlite.app(secure_cookies=False))
    r = login(c, "alice")
    assert r.headers["set-cookie"].startswith("cl_session=")
    assert "secure" not in r.headers["set-cookie"].lower()
    assert isinstance(WebConfig().throttle.window, timedelta)
