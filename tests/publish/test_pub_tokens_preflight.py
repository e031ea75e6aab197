"""Tokens encrypted at rest with rotation and refresh; pre-flight checks; fault SPEC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from PIL import Image

from contentloop.domain import SimulatedClock
from contentloop.instagram import GraphClient
from contentloop.publish import MediaHost
from contentloop.publish.preflight import check_media, check_quota, check_token, check_url
from contentloop.publish.tokens import TokenCipher, TokenUnreadable, TokenVault, generate_key
from contentloop.render.validate import validate_file
from contentloop.sim import FaultSpecError, SimConfig, SimWorld, parse_fault_spec, serve_in_thread
from contentloop.store import Store
from contentloop.store.tables import SecretRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_tokens_are_ciphertext_at_rest_and_survive_key_rotation(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 't.db'}", SimulatedClock(T0))
    old, new = generate_key(), generate_key()
    TokenVault(store, TokenCipher([old]), store.clock).put("acc", "IGSIMsecret123456", None)
    with store.session() as s:
        assert "IGSIMsecret123456" not in s.get(SecretRow, "ig_token:acc").ciphertext
    rotated = TokenVault(store, TokenCipher([new, old]), store.clock)
    assert rotated.rotate_all() == 1
    only_new = TokenVault(store, TokenCipher.from_env({"CONTENTLOOP_SECRET_KEY": new}),
                          store.clock)
    assert only_new.get("acc").token.get_secret_value() == "IGSIMsecret123456"
    assert "IGSIM" not in repr(only_new.get("acc"))
    with pytest.raises(TokenUnreadable):
        TokenVault(store, TokenCipher([old]), store.clock).get("acc")
    store.close()


def test_token_refreshed_ahead_of_expiry_against_the_simulator(tmp_path):
    clock = SimulatedClock(T0)
    world = SimWorld(clock, SimConfig(seed=1, token_ttl_s=20 * 86400))
    base, stop = serve_in_thread(world)
    ig, token = world.create_account("acc")
    store = Store(f"sqlite:///{tmp_path / 't.db'}", clock)
    vault = TokenVault(store, TokenCipher([generate_key()]), clock)
    vault.put("acc", token, T0 + timedelta(days=20))
    client = GraphClient(base, token, clock=clock)
    try:
        assert not vault.refresh_if_due("acc", client, ahead=timedelta(days=10))
        clock.advance(timedelta(days=11))
        assert vault.refresh_if_due("acc", client, ahead=timedelta(days=10))
        fresh = vault.get("acc")
        assert fresh.token.get_secret_value() != token
        assert fresh.expires_at > clock.now() + timedelta(days=59)
        clock.advance(timedelta(days=10))  # the old token has expired; the new one works
        assert client.me()["username"] == "acc"
        assert check_token(fresh.expires_at, clock.now(), timedelta(days=7)) == []
        assert check_token(T0 + timedelta(days=20), clock.now(), timedelta(days=7))
    finally:
        client.close()
        stop()
        store.close()


def test_facebook_login_token_is_re_exchanged_ahead_of_expiry(tmp_path):
    """Facebook Login has no refresh endpoint: the long-lived token is re-exchanged."""
    clock = SimulatedClock(T0)
    world = SimWorld(clock, SimConfig(seed=2, token_ttl_s=20 * 86400))
    base, stop = serve_in_thread(world)
    ig, token = world.create_account("fbacc")
    store = Store(f"sqlite:///{tmp_path / 'f.db'}", clock)
    vault = TokenVault(store, TokenCipher([generate_key()]), clock)
    vault.put("fbacc", token, T0 + timedelta(days=20))
    client = GraphClient(base, token, clock=clock)
    try:
        clock.advance(timedelta(days=12))
        with pytest.raises(Exception, match="app secret"):
            vault.refresh_if_due("fbacc", client, ahead=timedelta(days=10), app_id="1234")
        assert vault.refresh_if_due("fbacc", client, ahead=timedelta(days=10),
                                    app_id="1234", app_secret="app-secret-xyz")
        fresh = vault.get("fbacc")
        assert fresh.token.get_secret_value() != token
        assert fresh.expires_at > clock.now() + timedelta(days=59)
        clock.advance(timedelta(days=10))  # the first token is dead; the exchanged one works
        assert client.me()["username"] == "fbacc"
    finally:
        client.close()
        stop()
        store.close()


def test_preflight_media_url_and_quota(tmp_path):
    Image.new("RGB", (1080, 1350), "#123456").save(tmp_path / "ok.jpg", "JPEG")
    Image.new("RGB", (1080, 300), "#123456").save(tmp_path / "wide.jpg", "JPEG")
    (tmp_path / "page.html").write_text("<html>login</html>")
    assert check_media([(tmp_path / "ok.jpg", "feed")], validate_file) == []
    assert check_media([(tmp_path / "wide.jpg", "feed")], validate_file)
    assert check_media([(tmp_path / "gone.jpg", "feed")], validate_file)[0].check == "media"
    with MediaHost(tmp_path) as host, httpx2.Client(timeout=5) as http:
        assert check_url(host.url_for("ok.jpg"), http) == []
        assert "not an image" in check_url(host.url_for("page.html"), http)[0].message
        assert check_url(host.url_for("missing.jpg"), http)[0].check == "url"
    assert check_url("http://127.0.0.1:9/x.jpg", httpx2.Client(timeout=1))[0].check == "url"
    day = [T0 + timedelta(hours=h) for h in range(4)]
    assert check_quota(day, 4) == [] and check_quota(day, 3)[0].check == "quota"
    spread = [T0 + timedelta(hours=13 * h) for h in range(6)]
    assert check_quota(spread, 2) == []


@pytest.mark.parametrize("bad", ["media_publish", "nowhere:500", "media_publish:teapot",
                                 "media:drop", "media_publish:error", "media_publish:500@2"])
def test_fault_spec_rejects_bad_items(bad):
    with pytest.raises(FaultSpecError):
        parse_fault_spec(bad)


def test_fault_spec_drives_the_served_simulator():
    clock = SimulatedClock(T0)
    world = SimWorld(clock, SimConfig(seed=1))
    plan = parse_fault_spec("media_publish:500x2, *:500@100%, latency:1-2ms, seed:3")
    plan.apply(world.faults, world.config)
    assert world.config.latency_s == (0.001, 0.002)
    assert world.faults.take("media_publish") == "500"
    assert world.faults.take("media_publish") == "500"
    assert world.faults.take("media_publish") == "500"  # the 100 % rule, never used up
    assert world.faults.pending() == []


def test_token_status_and_refresh_service_never_shows_the_token(tmp_path):
    from contentloop.config import InstagramConfig, Settings
    from contentloop.domain import Account
    from contentloop.orchestrator.publish_worker import token_states

    clock = SimulatedClock(T0)
    world = SimWorld(clock, SimConfig(seed=2, token_ttl_s=60 * 86400))
    base, stop = serve_in_thread(world)
    ig, token = world.create_account("acc")
    key = generate_key()
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'v.db'}",
                        instagram=InstagramConfig(graph_url=base), secret_key=key)
    store = Store(settings.resolved_database_url, clock)
    store.ensure_account(Account(handle="acc"))
    store.set_ig_user_id("acc", ig)
    TokenVault(store, TokenCipher([key]), clock).put("acc", token, T0 + timedelta(days=5))
    store.close()
    try:
        [before] = token_states(settings, clock=clock)
        assert before.due and before.valid_days == 5.0 and not before.refreshed
        assert token not in repr(before)
        clock.advance(timedelta(days=2))  # Instagram refreshes only tokens 24 h old or more
        [after] = token_states(settings, refresh=True, clock=clock)
        assert after.refreshed and not after.due and after.error == ""
        assert after.valid_days is not None and after.valid_days > 59
        assert token not in repr(after)
        [same] = token_states(settings, refresh=True, clock=clock)
        assert not same.refreshed  # nothing due any more
    finally:
        stop()
