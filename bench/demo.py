"""Benchmark: wall time of `contentloop demo --days 7` on embedded defaults (target < 30 s).

    python bench/demo.py [--quick] [--accounts N]

Prints `demo_7d_s=` (median wall seconds of the whole demo: ingest, plan, generate, review,
render incl. reels, publish to the simulator, insights, optimizer and report) last.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from contentloop.config import load_settings
from contentloop.orchestrator.demo import DemoOptions, run_demo


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one run instead of three")
    ap.add_argument("--accounts", type=int, default=1)
    args = ap.parse_args()
    runs = 1 if args.quick else 3
    settings = load_settings(None)
    times, posts = [], 0
    quiet = Console(file=open("/dev/null", "w"))  # noqa: SIM115
    for i in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            result = run_demo(
                settings,
                DemoOptions(days=7, accounts=args.accounts, seed=42 + i, out=Path(tmp) / "out"),
                console=quiet,
            )
        times.append(result.elapsed_s)
        posts = result.published
        print(f"run {i + 1}: {result.elapsed_s:.1f} s, {result.published}/{result.posts} published",
              file=sys.stderr)
    print(f"demo_7d_runs={runs}")
    print(f"demo_7d_published={posts}")
    print(f"demo_7d_s={statistics.median(times):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
