"""Tokens, OAuth exchanges, debug_token and call-rate throttling."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest

from .conftest import Sim, error_of


def test_expired_token_is_190_463(sim: Sim) -> None:
    sim.clock.advance(timedelta(days=61))
    r = sim.get("/me", fields="user_id")
    assert r.status_code == 400
    e = error_of(r)
    assert (e["code"], e["error_subcode"], e["type"]) == (190, 463, "OAuthException")
    assert sim.token not in r.text


def test_strict_mode_rejects_unknown_token(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(strict_tokens=True)
    r = s.client.get("/me", params={"access_token": "garbage"})
    assert error_of(r)["code"] == 190
    assert s.client.get("/me").json()["error"]["code"] in (190, 2500)


def test_standalone_unknown_token_creates_sandbox_account(sim: Sim) -> None:
    path_ig = "17841400000000042"
    r = sim.client.post(f"/{path_ig}/media", params={"image_url": "http://127.0.0.1:9/a.jpg",
                                                      "access_token": "anything-goes"})
    assert r.status_code == 200
    me = sim.client.get("/me", params={"fields": "user_id,username",
                                       "access_token": "anything-goes"}).json()
    assert me["user_id"] == path_ig
    assert me["username"].startswith("sandbox_")
    # another account's token cannot act on it
    r = sim.post(f"/{path_ig}/media", image_url="http://127.0.0.1:9/a.jpg")
    assert r.status_code == 400


def test_refresh_needs_24h_and_extends(sim: Sim) -> None:
    r = sim.client.get("/refresh_access_token",
                       params={"grant_type": "ig_refresh_token", "access_token": sim.token})
    assert error_of(r)["code"] == 100
    sim.clock.advance(timedelta(hours=25))
    body = sim.client.get("/refresh_access_token", params={
        "grant_type": "ig_refresh_token", "access_token": sim.token}).json()
    assert body["expires_in"] == 5184000 and body["token_type"] == "bearer"
    sim.clock.advance(timedelta(days=59))
    ok = sim.client.get("/me", params={"fields": "user_id", "access_token": body["access_token"]})
    assert ok.json()["user_id"] == sim.ig
    old = sim.client.get("/me", params={"access_token": sim.token})
    assert error_of(old)["error_subcode"] == 463


def test_exchanges_and_code_flow(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(strict_tokens=True)
    code = s.world.issue_auth_code(s.ig)
    flat = s.client.post("/oauth/access_token", data={
        "client_id": "1", "client_secret": "s", "grant_type": "authorization_code",
        "redirect_uri": "https://x/cb", "code": code}).json()
    assert flat["user_id"] == int(s.ig) and isinstance(flat["permissions"], list)
    reuse = s.client.post("/oauth/access_token", data={"code": code})
    assert reuse.status_code == 400 and reuse.json()["error_type"] == "OAuthException"
    long = s.client.get("/access_token", params={
        "grant_type": "ig_exchange_token", "client_secret": "s",
        "access_token": flat["access_token"]}).json()
    assert long["expires_in"] == 5183944
    fb = s.client.get("/v24.0/oauth/access_token", params={
        "grant_type": "fb_exchange_token", "client_id": "1", "client_secret": "s",
        "fb_exchange_token": long["access_token"]}).json()
    assert fb["token_type"] == "bearer" and fb["access_token"] != long["access_token"]
    dbg = s.client.get("/debug_token", params={"input_token": fb["access_token"],
                                               "access_token": s.token}).json()["data"]
    assert dbg["is_valid"] is True and dbg["user_id"] == s.ig
    assert dbg["expires_at"] - dbg["issued_at"] == 5183944


def test_usage_headers_and_throttle(make_sim: Callable[..., Sim]) -> None:
    s = make_sim(rate_limit_calls_per_hour=4)
    first = s.get("/me")
    usage = json.loads(first.headers["x-app-usage"])
    assert usage["call_count"] == 25
    buc = json.loads(first.headers["x-business-use-case-usage"])
    assert buc[s.ig][0]["type"] == "instagram"
    for _ in range(3):
        assert s.get("/me").status_code == 200
    r = s.get("/me")
    e = error_of(r)
    assert e["code"] == 80002 and e["is_transient"] is True
    regain = json.loads(r.headers["x-business-use-case-usage"])[s.ig][0][
        "estimated_time_to_regain_access"]
    assert 1 <= regain <= 60
    r = s.get("/ig_hashtag_search", user_id=s.ig, q="coffee")
    assert r.status_code == 403 and error_of(r)["code"] == 4
    s.clock.advance(timedelta(hours=1, seconds=1))
    assert s.get("/me").status_code == 200


def test_publish_needs_content_publish_scope(sim: Sim) -> None:
    ig, token = sim.world.create_account("reader", scopes=("instagram_basic",))
    r = sim.client.post(f"/{ig}/media", params={"image_url": "http://127.0.0.1:9/a.jpg",
                                                 "access_token": token})
    assert r.status_code == 403 and error_of(r)["code"] == 200


def test_serve_cli_entry(tmp_path: Path) -> None:
    """`serve` runs in the foreground; the full token goes to the 0600 file, not stderr."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token_file = tmp_path / "token"
    code = (f"from contentloop.sim import serve; serve('127.0.0.1', {port}, seed=3, "
            f"strict_tokens=True, token_file={str(token_file)!r})")
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if token_file.exists():
                    token = token_file.read_text().strip()
                    r = httpx2.get(f"http://127.0.0.1:{port}/me",
                                   params={"fields": "username", "access_token": token})
                    break
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("serve() did not come up")
        assert r.json()["username"] == "sim_creator"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        bad = httpx2.get(f"http://127.0.0.1:{port}/me", params={"access_token": "nope"})
        assert error_of(bad)["code"] == 190
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert token not in err
    assert "simulator" in err
