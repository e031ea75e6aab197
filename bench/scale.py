"""Scale-out benchmark: posts per minute end to end (plan → generate → review → render →
publish) for A accounts and W `contentloop worker` processes, on real PostgreSQL + Redis,
against the simulator on a time-compressed clock.

Accounts are image-only (reel rendering would dominate) and the simulator does not fetch
and decode media. Each run: every account gets one post in a 10:00-10:02 UTC window
(simulated clock at 60x) that opens after start-up and planning. Throughput is published
posts per minute of busy wall time: from launching the processes to the last publish,
minus any idle wait between "all posts rendered and scheduled" and the window opening.
Process start-up (a few seconds) is included.

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
)


def _states(db_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT state, count(*) FROM posts GROUP BY state"))
            return {str(k): int(v) for k, v in rows}
    except Exception:
        return {}
    finally:
        engine.dispose()


_READY = ("scheduled", "publishing", "retry_wait", "published")


def run_one(accounts: int, workers: int, timeout: float) -> tuple[float, float, int]:
    """(posts per minute of busy time, busy seconds, published) for one configuration.

    Busy time = launch → last publish, minus the idle gap between "every post rendered and
    scheduled" and the moment the posting window opens (waiting for the slot is not work).
    """
    opens_in_s = 20.0 + 0.15 * accounts  # generous: planning must precede the window
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC) - timedelta(seconds=60.0 * opens_in_s)
    with tempfile.TemporaryDirectory() as tmp, fresh_pg_database() as db_url, rig(
        Path(tmp), accounts=accounts, start=start, factor=60.0, database_url=db_url,
        window=("10:00", "10:02"),
        queue_url=f"{REDIS_URL}?queue=bench-{accounts}-{workers}-{int(time.time())}",
    ) as r:
        launched = time.monotonic()
        window_opens = launched + (r.clock.epoch + opens_in_s - time.time())
        r.scheduler()
        for i in range(workers):
            r.worker(f"worker_{i}", concurrency=3)
        ready_at: float | None = None
        deadline = launched + timeout
        states: dict[str, int] = {}
        while time.monotonic() < deadline:
            states = _states(db_url)
            if ready_at is None and sum(states.get(k, 0) for k in _READY) >= accounts:
                ready_at = time.monotonic()
            if states.get("published", 0) >= accounts:
                break
            time.sleep(0.25)
        done_at = time.monotonic()
        idle = max(0.0, window_opens - (ready_at or window_opens))
        busy = done_at - launched - idle
        done = states.get("published", 0)
        if done < accounts:
            print(f"# incomplete: {states}", flush=True)
            print(r.log("worker_0")[-1500:], flush=True)
        return done / (busy / 60.0), busy, done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller account counts")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--sizes", type=str, default="", help="comma-separated account counts")
    ap.add_argument("--workers", type=str, default="1,2", help="comma-separated worker counts")
    args = ap.parse_args()
    ok, why = services_up()
    if not ok:
        raise SystemExit(f"PostgreSQL and Redis must be up (scripts/services.sh): {why}")
    sizes = [10, 50] if args.quick else [10, 100, 500]
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",")]
    results: list[tuple[int, int, float, float, int]] = []
    for a in sizes:
        for w in (int(x) for x in args.workers.split(",")):
            ppm, secs, done = run_one(a, w, args.timeout)
            results.append((a, w, ppm, secs, done))
            print(f"# {a} accounts, {w} worker(s): {done}/{a} published in {secs:.1f} s busy",
                  flush=True)
    for a, w, _, secs, _ in results:
        print(f"seconds_{a}_{w}={secs:.1f}")
    for a, w, ppm, _, _ in results:
        print(f"posts_per_min_{a}_{w}={ppm:.1f}")


if __name__ == "__main__":
    main()
