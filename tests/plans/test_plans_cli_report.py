"""`contentloop plan show|approve|edit` round trip on a real store, and the weekly report
showing the plan's status, who decided, and the edited shares."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contentloop.analytics.report import render_html
from contentloop.analytics.service import render_markdown, weekly_report
from contentloop.cli.main import app
from contentloop.domain import SimulatedClock, SystemClock
from contentloop.optimize.plans import edit_plan
from contentloop.store import Store
from contentloop.store.plans_repo import PlansRepo, PlanStatus
from contentloop.store.web_repo import WebRepo

from .helpers import account, learner

TOML = """
database_url = "{url}"
[[accounts]]
handle = "acme"
timezone = "Europe/Berlin"
[[accounts.brand.pillars]]
name = "tips"
[[accounts.brand.pillars]]
name = "recipes"
[[accounts.brand.pillars]]
name = "behind"
[[accounts]]
handle = "other"
"""


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    cfg = tmp_path / "contentloop.toml"
    cfg.write_text(TOML.format(url=url))
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["plan", *args, "--config", str(cfg)],
                             env={"CONTENTLOOP_DATABASE_URL": url})
    return run, url


def test_cli_show_approve_edit_round_trip(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run, url = cli
    r = run("show", "--account", "acme", "--week", "2026-W11", "--json")
    assert r.exit_code == 0, r.output
    view = json.loads(r.output)
    assert (view["status"], view["stored"], view["week_start"]) == ("proposed", False,
                                                                    "2026-03-09")
    assert {row["level"] for row in view["dimensions"]["pillar"]} == {"tips", "recipes",
                                                                        "behind"}
    r = run("approve", "--account", "acme", "--week", "2026-W11", "--by", "cli:ann",
            "--note", "fine")
    assert r.exit_code == 0 and "approved by cli:ann" in r.output
    view = json.loads(run("show", "-a", "acme", "--week", "2026-W11", "--json").output)
    assert (view["status"], view["decided_by"], view["note"], view["stored"]) == (
        "approved", "cli:ann", "fine", True)

    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"week": "2026-W11", "allocation": {
        "pillar": {"tips": 0.7, "recipes": 0.3, "behind": 0}}}))
    r = run("edit", "-a", "acme", "--file", str(plan_file), "--by", "cli:bob")
    assert r.exit_code == 0 and "edited by cli:bob" in r.output
    view = json.loads(run("show", "-a", "acme", "--week", "2026-W11", "--json").output)
    assert view["status"] == "edited" and view["allocation"]["pillar"] == {
        "tips": 0.7, "recipes": 0.3, "behind": 0.0}
    assert view["proposal"]["pillar"] != view["allocation"]["pillar"]  # proposal kept
    off = {row["level"]: row["off"] for row in view["dimensions"]["pillar"]}
    assert off == {"tips": False, "recipes": False, "behind": True}

    # Invalid files: exit 2, the key named, nothing changed.
    for data, key in (({"pillar": {"tips": 0.7, "news": 0.3}}, "pillar.news"),
                      ({"format": {"reel": 0.5}}, "format: shares sum to 0.500")):
        plan_file.write_text(json.dumps(data))
        r = run("edit", "-a", "acme", "--week", "2026-W11", "--file", str(plan_file))
        assert r.exit_code == 2 and key in r.output, r.output
    plan_file.write_text("{not json")
    r = run("edit", "-a", "acme", "--week", "2026-W11", "--file", str(plan_file))
    assert r.exit_code == 2 and "not valid JSON" in r.output
    r = run("show", "-a", "nobody")
    assert r.exit_code == 2 and "not configured" in r.output
    r = run("show")  # two accounts configured: which one?
    assert r.exit_code == 2 and "--account" in r.output

    store = Store(url, SystemClock())
    try:
        plan = PlansRepo(store).get("acme", "2026-W11")
        assert plan is not None and plan.status is PlanStatus.EDITED
        assert plan.decided_by == "cli:bob" and plan.allocation["pillar"]["behind"] == 0.0
        actions = [(e.action, e.actor) for e in WebRepo(store).audit(account="acme")]
        assert actions == [("plan_edit", "cli:bob"), ("plan_approve", "cli:ann"),
                           ("plan_proposed", "optimizer")]
    finally:
        store.close()


def test_report_shows_the_plan_status_and_edited_shares(tmp_path: Path,
                                                         clock: SimulatedClock) -> None:
    store = Store(f"sqlite:///{tmp_path / 'r.db'}", clock)
    try:
        acc = account()
        store.ensure_account(acc)
        learner(store).refit(acc)  # proposes 2026-W11
        week = datetime.fromisoformat("2026-03-02T00:00:00+00:00")
        now = clock.now() + timedelta(days=6)
        report = weekly_report(store, [acc], week, now)
        plan = report["accounts"]["acme"]["plan_diff"]
        assert (plan["status"], plan["week"], plan["decided_by"]) == ("proposed", "2026-W11",
                                                                      None)
        proposed = {r["level"]: r["next_week_share"] for r in plan["dimensions"]["pillar"]}
        assert proposed["behind"] > 0

        edit_plan(store, acc, "2026-W11", {"pillar": {"tips": 0.8, "recipes": 0.2,
                                                      "behind": 0.0}}, actor="cli:ann",
                  note="no behind-the-scenes")
        report = weekly_report(store, [acc], week, now)
        plan = report["accounts"]["acme"]["plan_diff"]
        assert (plan["status"], plan["decided_by"], plan["note"]) == (
            "edited", "cli:ann", "no behind-the-scenes")
        rows = {r["level"]: r for r in plan["dimensions"]["pillar"]}
        assert rows["tips"]["next_week_share"] == 0.8
        assert rows["behind"]["next_week_share"] == 0.0 and rows["behind"]["paused"]
        html = render_html(report, tmp_path / "out").read_text()
        assert "Plan edited by cli:ann" in " ".join(html.split())
        md = render_markdown(report)
        assert "Next week's plan (edited by cli:ann at" in md
    finally:
        store.close()
