"""`contentloop report` end to end: a short demo, then every format against its database."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "contentloop.cli.main", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("rcli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTENTLOOP_")}
    r = _cli("demo", "--days", "1", "--seed", "11", "--out", str(root / "demo"), cwd=root,
             env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    env["CONTENTLOOP_DATABASE_URL"] = f"sqlite:///{root / 'demo' / 'contentloop.db'}"
    return root, env


def test_json_report_matches_the_database(demo: tuple[Path, dict[str, str]]) -> None:
    root, env = demo
    r = _cli("report", "--format", "json", "--week", "2026-W02", "--out", "j", cwd=root, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads((root / "j" / "report.json").read_text())
    assert report["week_start"] == "2026-01-05"
    acc = report["accounts"]["sandbox_coffee"]
    con = sqlite3.connect(root / "demo" / "contentloop.db")
    published = {m for (m,) in con.execute(
        "select media_id from posts where published_at is not null")}
    assert {p["media_id"] for p in acc["posts"]} == published
    assert acc["kpis"]["posts"] == len(published)
    assert {p["media_id"] for p in acc["top_posts"]} <= published
    assert all(p["why"] for p in acc["top_posts"])
    plan = acc["plan_diff"]
    assert plan["status"] == "proposed" and set(plan["dimensions"]) == {
        "format", "pillar", "hook_style", "slot_hour"}
    this_week = sum(r["this_week_posts"] for r in plan["dimensions"]["format"])
    assert this_week == len(published)
    assert acc["kpis"]["generation_cost_per_post"] == 0.0  # template engine: no LLM cost
    assert acc["trend_radar"] and all(t["explanation"] for t in acc["trend_radar"])
    assert {s["status"] for s in acc["kpi_status"].values()} <= {"good", "watch", "bad", "none"}


def test_markdown_and_html(demo: tuple[Path, dict[str, str]]) -> None:
    root, env = demo
    r = _cli("report", "--format", "md", "--week", "2026-W02", "--out", "m", cwd=root, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    md = (root / "m" / "report.md").read_text()
    assert md.startswith("# Weekly report (week of 2026-01-05)") and "@sandbox_coffee" in md
    assert "Next week's plan" in md
    r = _cli("report", "--week", "2026-W02", "--out", "h", cwd=root, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    html = (root / "h" / "report.html").read_text()
    assert len(re.findall(r'src="data:image/png;base64,', html)) >= 4
    assert "Next week's plan" in html and "Trend radar" in html
    assert "http://" not in html and "https://" not in html


def test_bad_week_and_unknown_account(demo: tuple[Path, dict[str, str]]) -> None:
    root, env = demo
    r = _cli("report", "--week", "last-tuesday", "--out", "x", cwd=root, env=env)
    assert r.returncode == 2 and "2026-W05" in r.stdout + r.stderr
    r = _cli("report", "--account", "nobody", "--out", "x", cwd=root, env=env)
    assert r.returncode == 2 and "nobody" in r.stdout + r.stderr
