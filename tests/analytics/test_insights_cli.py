"""`contentloop insights sync` against the simulator on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contentloop.cli.main import app
from contentloop.domain import SystemClock
from contentloop.sim import SimConfig, SimWorld, serve_in_thread
from contentloop.store import Store


@pytest.fixture
def sim() -> tuple[str, str]:  # type: ignore[misc]
    world = SimWorld(SystemClock(), SimConfig(seed=9))  # the CLI runs on the system clock
    base, stop = serve_in_thread(world)
    _ig, token = world.create_account("acme", followers=5000)
    yield base, token
    stop()


def test_insights_sync_fetches_account_days_once(sim: tuple[str, str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    base, token = sim
    cfg = tmp_path / "contentloop.toml"
    cfg.write_text(f'[instagram]\ngraph_url = "{base}"\n\n[[accounts]]\nhandle = "acme"\n')
    monkeypatch.setenv("CONTENTLOOP_IG_ACCESS_TOKEN", token)
    db = tmp_path / "db.sqlite"
    monkeypatch.setenv("CONTENTLOOP_DATABASE_URL", f"sqlite:///{db}")
    runner = CliRunner()
    first = runner.invoke(app, ["insights", "sync", "--config", str(cfg)])
    assert first.exit_code == 0, first.output
    body = json.loads(first.output)
    assert body["account_days"] == 7 and body["account_values"] > 0
    assert token not in first.output
    again = json.loads(runner.invoke(app, ["insights", "sync", "--config", str(cfg)]).output)
    assert again["account_days"] == 0  # idempotent: every complete day is already stored
    store = Store(f"sqlite:///{db}", SystemClock())
    try:
        assert len(store.account_metrics("acme", "online_followers")) == 7
    finally:
        store.close()


def test_insights_sync_needs_a_graph_url(tmp_path: Path) -> None:
    cfg = tmp_path / "contentloop.toml"
    cfg.write_text('[[accounts]]\nhandle = "acme"\n')
    result = CliRunner().invoke(app, ["insights", "sync", "--config", str(cfg)])
    assert result.exit_code == 2 and "graph_url" in result.output
