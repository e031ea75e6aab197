"""`contentloop run` embedded (SQLite store and queue, built-in simulator; no Redis, no
PostgreSQL): it publishes, serves /healthz and /metrics, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx2

from contentloop.orchestrator.timescale import ScaledClock


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_embedded_publishes_serves_health_and_stops_on_sigterm(tmp_path) -> None:
    (tmp_path / "contentloop.toml").write_text(
        '[[accounts]]\nhandle = "embedded_one"\ntimezone = "UTC"\nformats = ["image"]\n'
        'variants_per_day = 1\nposting_windows = [{start = "08:00", end = "08:20"}]\n')
    port = _free_port()
    # 4 simulated minutes per second: the 08:00-08:20 slot falls due 15-20 s after start.
    clock = ScaledClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), 240.0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTENTLOOP_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "contentloop.cli.main", "run", "--tick", "0.3",
         "--horizon-days", "1", "--health-port", str(port), "--clock", clock.spec()],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        published = 0.0
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                metrics = httpx2.get(f"{base}/metrics", timeout=2).text
            except httpx2.HTTPError:
                time.sleep(0.3)
                continue
            line = [x for x in metrics.splitlines()
                    if x.startswith("contentloop_posts_published_total ")]
            published = float(line[0].split()[1]) if line else 0.0
            if published >= 1:
                break
            time.sleep(0.3)
        assert published >= 1, proc.stdout.read1().decode() if proc.stdout else ""  # type: ignore[union-attr]
        health = httpx2.get(f"{base}/healthz", timeout=2)
        assert health.status_code == 200
        body = health.json()
        assert body["ok"] is True and body["leader"] is True
        assert "contentloop_queue_depth" in metrics
        assert "contentloop_task_seconds_bucket" in metrics
        assert "contentloop_publish_lateness_seconds_count 1.0" in metrics
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    data = tmp_path / ".contentloop"
    assert (data / "queue.db").exists()  # the embedded queue is a SQLite file
    with sqlite3.connect(data / "contentloop.db") as db:
        # A clean stop removes the heartbeat and the leadership: nothing waits on a dead owner.
        assert db.execute("SELECT count(*) FROM scale_workers").fetchone() == (0,)
        assert db.execute(
            "SELECT count(*) FROM scale_leases WHERE name = 'scheduler'").fetchone() == (0,)
        states = dict(db.execute("SELECT state, count(*) FROM posts GROUP BY state").fetchall())
    assert states.get("published") == 1
