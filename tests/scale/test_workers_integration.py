"""Two `contentloop worker` processes and a scheduler on real Redis + PostgreSQL against the
simulator, 200 accounts, one worker SIGKILLed mid-run: every post is published exactly once.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from .harness import REDIS_URL, fresh_pg_database, rig, services_up, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ACCOUNTS = 200


def _states(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT state, count(*) FROM posts GROUP BY state"))
            return {str(s): int(n) for s, n in rows}
    except Exception:  # schema not created yet
        return {}
    finally:
        engine.dispose()


def test_two_workers_one_killed_every_post_published_exactly_once(tmp_path) -> None:
    ok, why = services_up()
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"Redis/PostgreSQL must be up in CI: {why}")
        pytest.skip(f"Redis/PostgreSQL not reachable: {why}")
    queue = f"{REDIS_URL}?queue=cltest-{os.getpid()}-{tmp_path.name}"
    # 2 simulated minutes per second: the 10:00-11:00 UTC slots fall due 40-70 s after start,
    # after the processes have started, planned, drafted, reviewed and rendered.
    with fresh_pg_database() as db_url, rig(
        tmp_path, accounts=ACCOUNTS, start=datetime(2026, 3, 2, 8, 40, tzinfo=UTC),
        factor=120.0, database_url=db_url, queue_url=queue,
    ) as r:
        r.scheduler()
        a = r.worker("worker_a")
        b = r.worker("worker_b")

        def published() -> int:
            return _states(db_url).get("published", 0)

        assert wait_for(lambda: published() >= 30, timeout=70), (
            _states(db_url), r.log("worker_a")[-3000:], r.log("scheduler")[-2000:])
        a.send_signal(signal.SIGKILL)  # mid-run: work in hand is lost, claims stay in the store
        a.wait(timeout=10)
        t_kill = time.monotonic()
        before_kill = published()
        assert before_kill < ACCOUNTS, "the kill must happen while posts are still pending"

        assert wait_for(lambda: published() == ACCOUNTS, timeout=60, every=1.0), (
            _states(db_url), r.log("worker_b")[-3000:], r.log("scheduler")[-2000:])
        assert b.poll() is None, "the surviving worker must still be running"
        print(f"killed at {before_kill} published; all {ACCOUNTS} after "
              f"{time.monotonic() - t_kill:.1f} s more")

        # Exactly once, as Instagram (the simulator) saw it: one media per account.
        per_account = r.published_per_account()
        assert len(per_account) == ACCOUNTS
        doubles = {ig: n for ig, n in per_account.items() if n != 1}
        assert not doubles, f"accounts with != 1 published media: {doubles}"
        assert len(r.world.published_records()) == ACCOUNTS
        # The store agrees with the API: every post's media id is a real published media.
        engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            media = [m for (m,) in conn.execute(
                text("SELECT media_id FROM posts WHERE state = 'published'"))]
        engine.dispose()
        assert sorted(media) == sorted(rec["media_id"] for rec in r.world.published_records())
