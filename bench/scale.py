"""Scale-out benchmark: posts per minute end to end (plan → generate → review → render →
publish) for A accounts and W `contentloop worker` processes, on real PostgreSQL + Redis,
against the simulator on a time-compressed clock.

Accounts are image-only (reel rendering would dominate) and the simulator does not fetch
and decode media. Each run: every account gets one post in a 10:00-10:20 UTC window that
opens about when start-up and planning are done (simulated clock at 60x). Throughput is
published posts / wall minutes from launching the scheduler to the last publish, so it
includes process start-up (a few seconds) and, for small A, some waiting for the window.

    python bench/scale.py            # 10, 100, 500 accounts x 1, 2 workers
    python bench/scale.py --quick    # 10, 50 accounts x 1, 2 workers (about a minute)

Prints `posts_per_min_A_W=` (and `seconds_A_W=`) lines last.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.scale.harness import (  # noqa: E402
    REDIS_URL,
    fresh_pg_database,
    rig,
    services_up,
    wait_for,
)


def _published(db_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return int(conn.execute(
                text("SELECT count(*) FROM posts WHERE state = 'published'")).scalar() or 0)
    except Exception:
        return 0
    finally:
        engine.dispose()


def run_one(accounts: int, workers: int, timeout: float) -> tuple[float, float, int]:
    """(posts per minute, seconds, published) for one configuration."""
    # The window opens about when start-up and planning are done (estimated), so posts are
    # due as soon as they can be rendered; 60 simulated seconds per wall second.
    opens_in_s = 12.0 + 0.06 * accounts
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC) - timedelta(seconds=60.0 * opens_in_s)
    with tempfile.TemporaryDirectory() as tmp, fresh_pg_database() as db_url, rig(
        Path(tmp), accounts=accounts, start=start, factor=60.0, database_url=db_url,
        window=("10:00", "10:20"),
        queue_url=f"{REDIS_URL}?queue=bench-{accounts}-{workers}-{int(time.time())}",
    ) as r:
        started = time.monotonic()
        r.scheduler()
        for i in range(workers):
            r.worker(f"worker_{i}", concurrency=3)
        wait_for(lambda: _published(db_url) >= accounts, timeout=timeout, every=0.5)
        elapsed = time.monotonic() - started
        done = _published(db_url)
        return done / (elapsed / 60.0), elapsed, done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller account counts")
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()
    ok, why = services_up()
    if not ok:
        raise SystemExit(f"PostgreSQL and Redis must be up (scripts/services.sh): {why}")
    sizes = [10, 50] if args.quick else [10, 100, 500]
    results: list[tuple[int, int, float, float, int]] = []
    for a in sizes:
        for w in (1, 2):
            ppm, secs, done = run_one(a, w, args.timeout)
            results.append((a, w, ppm, secs, done))
            print(f"# {a} accounts, {w} worker(s): {done}/{a} published in {secs:.1f} s",
                  flush=True)
    for a, w, _, secs, _ in results:
        print(f"seconds_{a}_{w}={secs:.1f}")
    for a, w, ppm, _, _ in results:
        print(f"posts_per_min_{a}_{w}={ppm:.1f}")


if __name__ == "__main__":
    main()
