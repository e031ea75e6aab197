"""End to end: `contentloop demo --days 7` on embedded defaults, checked from its outputs."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTENTLOOP_")}
    r = subprocess.run(
        [sys.executable, "-m", "contentloop.cli.main", "demo", "--days", "7", "--seed", "7",
         "--out", str(out)],
        cwd=out.parent, env=env, capture_output=True, text=True, timeout=240,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "demo finished" in r.stdout
    return out


def _calendar(out: Path) -> list[dict]:
    return json.loads((out / "calendar.json").read_text())["slots"]


def test_seven_local_dates_with_three_variants_each(demo_out):
    slots = _calendar(demo_out)
    dates = sorted({s["local_date"] for s in slots})
    assert len(dates) == 7
    for s in slots:
        assert len(s["variants"]) >= 3
        for v in s["variants"]:
            assert v["format"] in ("image", "carousel", "reel", "story")
            for key in ("id", "hook", "hook_style", "caption", "hashtags", "trend", "verdicts"):
                assert key in v
        assert sum(v["chosen"] for v in s["variants"]) <= 1
        assert len({v["hook_style"] for v in s["variants"]}) == len(s["variants"])
    # a trend fed at least some variants
    assert any(v["trend"] for s in slots for v in s["variants"])


def test_every_chosen_post_published_exactly_once(demo_out):
    slots = _calendar(demo_out)
    published = json.loads((demo_out / "published.json").read_text())
    by_media = Counter(p["media_id"] for p in published)
    assert all(n == 1 for n in by_media.values())
    chosen = [s for s in slots if any(v["chosen"] for v in s["variants"])]
    assert chosen and all(s["state"] == "published" for s in chosen)
    assert {s["media_id"] for s in chosen} == set(by_media)
    # the caption the simulator received is the chosen variant's caption
    caption_of = {p["media_id"]: p["caption"] for p in published}
    for s in chosen:
        v = next(v for v in s["variants"] if v["chosen"])
        assert caption_of[s["media_id"]] == v["caption"]
    # published at (not before) the scheduled time
    times = {p["media_id"]: p["timestamp"] for p in published}
    from datetime import datetime

    for s in chosen:
        sched = datetime.fromisoformat(s["scheduled_at"].replace("Z", "+00:00"))
        pub = datetime.fromisoformat(times[s["media_id"]].replace("Z", "+00:00"))
        assert 0 <= (pub - sched).total_seconds() < 600


def test_metrics_stored_for_every_published_post(demo_out):
    con = sqlite3.connect(demo_out / "contentloop.db")
    published = {r[0] for r in con.execute("select id from posts where state='published'")}
    with_metrics = {r[0] for r in con.execute(
        "select distinct post_id from metric_snapshots where metrics != '{}'")}
    assert published and published <= with_metrics
    reach = con.execute("select metrics from metric_snapshots").fetchall()
    assert any(json.loads(m[0]).get("reach", 0) > 0 for m in reach)


def test_report_names_the_top_post(demo_out):
    report = json.loads((demo_out / "report.json").read_text())
    con = sqlite3.connect(demo_out / "contentloop.db")
    acc = next(iter(report["accounts"].values()))
    top = acc["top_posts"][0]
    # the top post is the published post with the highest business value in the store
    rows = con.execute("select p.media_id, m.metrics from posts p join metric_snapshots m "
                       "on m.post_id = p.id where p.state='published' order by m.age_hours")
    latest: dict[str, dict] = {}
    for media_id, metrics in rows:
        latest[media_id] = json.loads(metrics)

    def value(m):
        return (m.get("likes", 0) + 3 * m.get("saved", 0) + 5 * m.get("shares", 0)
                + 20 * m.get("follows", 0))

    assert top["media_id"] == max(latest, key=lambda k: value(latest[k]))
    html = (demo_out / "report.html").read_text()
    assert top["media_id"] in html
    assert acc["next_actions"]


def test_rendered_media_exist(demo_out):
    files = list((demo_out / "media").rglob("*.jpg"))
    assert files
    from PIL import Image

    with Image.open(files[0]) as im:
        assert im.format == "JPEG"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_against_an_external_graph_endpoint_leaks_no_token(tmp_path):
    """`--graph-url` drives any Graph-compatible server: here `contentloop sim serve`."""
    import time

    import httpx2

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTENTLOOP_")}
    sim = subprocess.Popen(
        [sys.executable, "-m", "contentloop.cli.main", "sim", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx2.get(base + "/me", params={"access_token": "probe-token"}, timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        token = "IGQ-test-secret-token-1234567890"
        out = tmp_path / "out"
        r = subprocess.run(
            [sys.executable, "-m", "contentloop.cli.main", "demo", "--days", "1",
             "--graph-url", base, "--out", str(out)],
            env={**env, "CONTENTLOOP_IG_ACCESS_TOKEN": token},
            capture_output=True, text=True, timeout=180,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        published = json.loads((out / "published.json").read_text())
        slots = _calendar(out)
        live = {s["media_id"] for s in slots if s["state"] == "published"}
        assert live and live <= {p["media_id"] for p in published}
        for f in [*out.glob("*.json"), out / "contentloop.log"]:
            assert token not in f.read_text(), f
        assert token not in r.stdout + r.stderr
        con = sqlite3.connect(out / "contentloop.db")
        for (dump,) in con.execute("select group_concat(ciphertext) from secrets"):
            assert dump is None or token not in dump
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def test_demo_under_faults_publishes_each_post_exactly_once(tmp_path):
    """500s, dropped `media_publish` answers and transient errors: no duplicate, none lost."""
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTENTLOOP_")}
    # An answered 500 is retried at once twice (container checked FINISHED first): the
    # third one sends the post to retry_wait.
    r = subprocess.run(
        [sys.executable, "-m", "contentloop.cli.main", "demo", "--days", "3", "--out", str(out),
         "--faults", "media_publish:500x3,media_publish:drop@40%,*:500@5%,seed:3"],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    published = json.loads((out / "published.json").read_text())
    slots = _calendar(out)
    captions = Counter(p["caption"] for p in published)
    assert captions and max(captions.values()) == 1  # no post went out twice
    assert len(published) == len(slots)  # and none was lost
    assert all(s["state"] == "published" for s in slots)
    con = sqlite3.connect(out / "contentloop.db")
    outcomes = {o for (o,) in con.execute("select outcome from publish_attempts")}
    assert "retry" in outcomes  # the faults really happened
    # the token is stored encrypted, never in plain text
    (cipher,) = con.execute("select ciphertext from secrets").fetchone()
    assert cipher.startswith("gAAAA")
