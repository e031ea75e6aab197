"""The chaos drill: a real `contentloop publish run` subprocess, SIGKILLed repeatedly."""

from __future__ import annotations

import json

from contentloop.orchestrator.drill import DEFAULT_FAULTS, DrillOptions, run_drill


def test_drill_kills_the_worker_and_nothing_is_lost_or_doubled(tmp_path):
    result = run_drill(DrillOptions(posts=30, kills=5, accounts=3, faults=DEFAULT_FAULTS,
                                    out=tmp_path, seed=11, window_s=12))
    assert result.kills + result.self_kills >= 5
    assert result.ok, result.summary()
    posts = json.loads((tmp_path / "posts.json").read_text())
    published = json.loads((tmp_path / "published.json").read_text())
    assert len(posts) == 30
    live = [p for p in posts if p["state"] == "published"]
    assert all(p["state"] in ("published", "failed") for p in posts)
    assert all(p["reason"] for p in posts if p["state"] == "failed")
    assert len(published) == len(live)  # every publish belongs to exactly one post
    assert {r["media_id"] for r in published} >= {p["media_id"] for p in live if p["media_id"]}
    assert len({r["caption"] for r in published}) == len(published)
    assert "IGSIM" not in (tmp_path / "worker.log").read_text()  # no token in the logs
