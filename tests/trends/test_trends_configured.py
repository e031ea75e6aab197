"""Sources from configuration → ingest → store → health, the TOML editor and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from pytest_httpserver import HTTPServer
from trends_fixture_data import FIXTURES, fixture_bytes
from trends_helpers import NOW

from contentloop.config import load_settings
from contentloop.domain import Account, BrandProfile, ConfigError, Pillar
from contentloop.domain.clock import SimulatedClock
from contentloop.store import Store
from contentloop.store.trends_repo import source_health
from contentloop.trends.account_signals import own_results
from contentloop.trends.config_edit import append_source
from contentloop.trends.registry import BrokenSource, SourceContext, build_sources, check_spec
from contentloop.trends.service import ingest_account

ACCOUNT = Account(
    handle="brew",
    niche="specialty coffee at home",
    brand=BrandProfile(pillars=(Pillar("brewing", 2, ("brew", "cold brew", "pour over")),)),
)


def serve_all(server: HTTPServer) -> list[dict[str, object]]:
    server.expect_request("/trending/rss").respond_with_data(fixture_bytes("google_trends_us.xml"))
    server.expect_request("/r/Coffee/hot.json").respond_with_data(
        fixture_bytes("reddit_coffee_hot.json"))
    server.expect_request("/yt/videos").respond_with_data(
        fixture_bytes("youtube_most_popular.json"))
    server.expect_request("/broken.xml").respond_with_data(b"<html>nope</html>")
    base = {"allow_private": True, "timeout": 2.0}
    return [
        {"kind": "google_trends", "url": server.url_for("/trending/rss"), "geo": "US", **base},
        {"kind": "reddit", "url": server.url_for(""), "subreddits": ["Coffee"],
         "listings": ["hot"], **base},
        {"kind": "youtube", "url": server.url_for("/yt"), "region": "US", **base},
        {"kind": "import", "url": str(FIXTURES / "signals_import.csv")},
        {"kind": "rss", "url": server.url_for("/broken.xml"), **base},
        {"kind": "youtube", "name": "yt-nokey", "key_env": "NOPE_KEY"},
        {"kind": "instagram_competitors", "usernames": ["rival"]},
    ]


def test_every_configured_kind_ingests_and_failures_are_isolated(
    httpserver: HTTPServer, db_url: str
) -> None:
    specs = serve_all(httpserver)
    ctx = SourceContext(env={"CONTENTLOOP_YOUTUBE_API_KEY": "k-123"})
    sources = build_sources(ACCOUNT, specs, ctx)
    assert isinstance(sources[5], BrokenSource) and isinstance(sources[6], BrokenSource)
    store = Store(db_url, SimulatedClock(NOW))
    try:
        result = ingest_account(store, ACCOUNT, sources, NOW)
        ok = {o.source: o.signals for o in result.report.outcomes if o.ok}
        failed = {o.source: o.reason for o in result.report.outcomes if not o.ok}
        assert ok == {"google_trends:US": 3, "reddit:Coffee": 2, "youtube:chart:US": 2,
                      "import:signals_import": 3}
        assert "HTML" in failed[sources[4].name]
        assert "NOPE_KEY" in failed["yt-nokey"]
        assert "Graph API" in failed["instagram_competitors"]
        assert result.any_source_worked and result.stored == 10
        top = result.opportunities[0]
        assert top.topic == "cold brew"  # on four sources and on-niche
        assert {e["source"] for e in top.evidence if e["kind"] == "signal"} >= {
            "google_trends:US", "reddit:Coffee", "youtube:chart:US", "import:signals_import"}
        assert "cold brew" in top.explanation
        health = {h.source: h for h in source_health(store, "brew")}
        assert health["google_trends:US"].status == "ok"
        assert health["yt-nokey"].status == "failing"
        assert store.opportunities("brew")[0].topic == "cold brew"
    finally:
        store.close()


def test_duplicate_source_names_are_made_unique() -> None:
    specs = [{"kind": "import", "url": "/a/x.csv"}, {"kind": "import", "url": "/b/x.csv"}]
    names = [s.name for s in build_sources(ACCOUNT, specs, SourceContext())]
    assert names == ["import:x", "import:x#2"]


def test_check_spec_explains_bad_specs() -> None:
    assert check_spec({"kind": "google_trends", "geo": "DE"}) is None
    assert "geo" in (check_spec({"kind": "google_trends", "geo": "Germany!"}) or "")
    assert "unknown keys" in (check_spec({"kind": "rss", "url": "x", "geo": "US"}) or "")
    assert "unknown kind" in (check_spec({"kind": "myspace"}) or "")


def test_own_results_lift_what_worked() -> None:
    def post(pillar: str, caption: str, value: float) -> SimpleNamespace:
        return SimpleNamespace(pillar=pillar, caption=caption, metrics={"v": value})

    results = [post("brewing", "#coldbrew", 30), post("brewing", "#coldbrew", 30),
               post("gear", "#grinder", 10), post("gear", "", 10),
               SimpleNamespace(pillar="gear", caption="", metrics={})]
    lifts = own_results(results, lambda r: r.metrics["v"])
    assert lifts["brewing"] == pytest.approx((30 / 20 - 1) * 2 / 4, abs=1e-6)
    assert lifts["coldbrew"] == pytest.approx(lifts["brewing"])
    assert lifts["gear"] == pytest.approx((10 / 20 - 1) * 2 / 4, abs=1e-6)
    assert lifts["grinder"] == pytest.approx((10 / 20 - 1) * 1 / 3, abs=1e-6)
    assert own_results([], lambda r: 0.0) == {}


TOML = """
data_dir = "data"

[[accounts]]
handle = "first"
niche = "coffee"

  [accounts.brand]
  voice = ["warm"]

[[accounts]]
handle = "second"
niche = "fitness"
"""


def test_append_source_targets_the_right_account(tmp_path: Path) -> None:
    path = tmp_path / "contentloop.toml"
    path.write_text(TOML)
    assert append_source(path, "first", {"kind": "reddit", "subreddits": ["Coffee"],
                                         "allow_private": True}) == 1
    assert append_source(path, "second", {"kind": "google_trends", "geo": "GB"}) == 1
    assert append_source(path, "first", {"kind": "rss", "url": 'https://e.org/"q".xml'}) == 2
    settings = load_settings(path)
    first, second = settings.accounts
    assert [s.kind for s in first.sources] == ["reddit", "rss"]
    assert first.sources[0].allow_private and first.sources[1].url == 'https://e.org/"q".xml'
    assert first.brand.voice == ["warm"]  # the account's other tables are untouched
    assert [s.model_dump()["geo"] for s in second.sources] == ["GB"]
    with pytest.raises(ConfigError):
        append_source(path, "nobody", {"kind": "rss", "url": "https://e.org"})
    before = path.read_text()
    with pytest.raises(ConfigError):
        append_source(path, "first", {"kind": "rss", "timeout": -1})  # invalid → restored
    assert path.read_text() == before


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTENTLOOP_")}
    env["CONTENTLOOP_CONFIG"] = str(cwd / "contentloop.toml")
    return subprocess.run([sys.executable, "-m", "contentloop.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_add_source_ingest_list_sources(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/trending/rss").respond_with_data(fixture_bytes("google_trends_us.xml"))
    (tmp_path / "contentloop.toml").write_text(TOML)
    url = httpserver.url_for("/trending/rss")
    refused = cli("trends", "add-source", "--account", "first", "--kind", "google_trends",
                  "--geo", "not valid", "--url", url, cwd=tmp_path)
    assert refused.returncode == 2 and "geo" in refused.stderr
    added = cli("trends", "add-source", "--account", "first", "--kind", "google_trends",
                "--geo", "US", "--url", url, "--allow-private", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    # without --allow-private the loopback source is refused by the URL guard → no source works
    cli("trends", "add-source", "--account", "second", "--kind", "google_trends", "--url", url,
        cwd=tmp_path)
    bad = cli("trends", "ingest", "--account", "second", "--json", cwd=tmp_path)
    assert bad.returncode == 1
    [summary] = json.loads(bad.stdout)
    assert "loopback" in summary["sources"][0]["reason"]
    good = cli("trends", "ingest", "--json", cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    listed = cli("trends", "list", "--account", "first", "--json", cwd=tmp_path)
    opps = json.loads(listed.stdout)
    queries = ("cold brew", "super bowl halftime", "pour over kettle")
    assert opps and all(any(o["title"] in q for q in queries) for o in opps)
    assert all({"score", "evidence", "explanation"} <= set(o) for o in opps)
    assert [o["score"] for o in opps] == sorted((o["score"] for o in opps), reverse=True)
    health = json.loads(cli("trends", "sources", "--json", cwd=tmp_path).stdout)
    status = {(h["account"], h["kind"]): h["status"] for h in health}
    assert status == {("first", "google_trends"): "ok", ("second", "google_trends"): "failing"}
    text = cli("trends", "sources", cwd=tmp_path).stdout
    assert "failing" in text and "loopback" in text


def test_min_interval_and_history(httpserver: HTTPServer, db_url: str) -> None:
    """A second pass a day later uses the first day's counts as history."""
    httpserver.expect_request("/trending/rss").respond_with_data(fixture_bytes("google_trends_us.xml"))
    spec = {"kind": "google_trends", "url": httpserver.url_for("/trending/rss"),
            "allow_private": True}
    store = Store(db_url, SimulatedClock(NOW))
    try:
        [source] = build_sources(ACCOUNT, [spec], SourceContext())
        ingest_account(store, ACCOUNT, [source], NOW)
        later = ingest_account(store, ACCOUNT, [source], NOW + timedelta(days=1, hours=1))
        cold = next(o for o in later.opportunities if o.topic == "cold brew")
        assert cold.evidence[0]["history_median"] is not None
    finally:
        store.close()
