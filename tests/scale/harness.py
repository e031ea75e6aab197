"""A scale-out rig shared by the integration test and bench/scale.py.

The simulator runs in this process on a ScaledClock; scheduler and workers are real
`contentloop run --no-consumer` / `contentloop worker` subprocesses on the same clock, with
the store on PostgreSQL and the queue on Redis (or whatever URLs are given).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from contentloop.orchestrator.timescale import ScaledClock
from contentloop.sim import SimConfig, SimWorld, serve_in_thread

PG_ADMIN = os.environ.get("CONTENTLOOP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CONTENTLOOP_TEST_REDIS", "redis://127.0.0.1:6379/0")


def services_up() -> tuple[bool, str]:
    try:
        import psycopg
        import redis

        with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), connect_timeout=3):
            pass
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    import psycopg

    name = f"cl_scale_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_config(root: Path, *, accounts: int, graph_url: str, database_url: str,
                 queue_url: str, world: SimWorld,
                 window: tuple[str, str] = ("10:00", "11:00")) -> tuple[Path, dict[str, str]]:
    """200-ish image-only accounts (reels are too slow to render at scale), one post a day."""
    lines = [
        f'data_dir = "{root / "data"}"',
        f'database_url = "{database_url}"',
        f'queue_url = "{queue_url}"',
        f'secrets_file = "{root / "secrets.toml"}"',
        'log_level = "warning"',
        "[instagram]",
        f'graph_url = "{graph_url}"',
        "publish_lead_minutes = 0",
    ]
    tokens: dict[str, str] = {}
    ig_ids: dict[str, str] = {}
    for i in range(accounts):
        handle = f"scale_acct_{i:04d}"
        ig, tok = world.create_account(handle, timezone="UTC")
        tokens[handle], ig_ids[handle] = tok, ig
        lines += [
            "[[accounts]]",
            f'handle = "{handle}"',
            f'ig_user_id = "{ig}"',
            'niche = "specialty coffee at home"',
            'timezone = "UTC"',
            'formats = ["image"]',
            "variants_per_day = 1",
            f'posting_windows = [{{start = "{window[0]}", end = "{window[1]}"}}]',
        ]
    (root / "secrets.toml").write_text(
        "[tokens]\n" + "".join(f'{h} = "{t}"\n' for h, t in tokens.items()))
    os.chmod(root / "secrets.toml", 0o600)
    path = root / "contentloop.toml"
    path.write_text("\n".join(lines) + "\n")
    return path, ig_ids


@dataclass
class Rig:
    root: Path
    clock: ScaledClock
    world: SimWorld
    config: Path
    ig_ids: dict[str, str]
    database_url: str
    queue_url: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        env = dict(os.environ, CONTENTLOOP_CONFIG=str(self.config), PYTHONUNBUFFERED="1")
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "contentloop.cli.main", *args, "--clock", self.clock.spec()],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.root,
        )
        self.procs[name] = proc
        return proc

    def scheduler(self, tick: float = 0.5) -> subprocess.Popen[bytes]:
        return self.start("scheduler", "run", "--no-consumer", "--tick", str(tick),
                          "--horizon-days", "1", "--heartbeat-ttl", "3")

    def worker(self, name: str, concurrency: int = 3) -> subprocess.Popen[bytes]:
        return self.start(name, "worker", "--concurrency", str(concurrency),
                          "--horizon-days", "1", "--heartbeat-ttl", "3")

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    def published_per_account(self) -> dict[str, int]:
        counts = {ig: 0 for ig in self.ig_ids.values()}
        for rec in self.world.published_records():
            counts[rec["ig_user_id"]] = counts.get(rec["ig_user_id"], 0) + 1
        return counts


@contextmanager
def rig(root: Path, *, accounts: int, start: datetime, factor: float,
        database_url: str, queue_url: str,
        window: tuple[str, str] = ("10:00", "11:00")) -> Iterator[Rig]:
    clock = ScaledClock(start, factor)
    # Media validation (the simulator fetching and decoding every image) is off: at this
    # scale it would measure the simulator, not contentloop; tests/publish cover it.
    world = SimWorld(clock, SimConfig(seed=7, rate_limit_calls_per_hour=10**9,
                                      insights_min_age_s=0, validate_media=False))
    url, stop = serve_in_thread(world)
    config, ig_ids = write_config(root, accounts=accounts, graph_url=url,
                                  database_url=database_url, queue_url=queue_url, world=world,
                                  window=window)
    from contentloop.store import Store

    Store(database_url, clock).close()  # migrate once, as `contentloop db upgrade` does
    r = Rig(root, clock, world, config, ig_ids, database_url, queue_url)
    try:
        yield r
    finally:
        r.stop_all()
        stop()
        _flush_queue(queue_url)


def _flush_queue(queue_url: str) -> None:
    if queue_url.startswith("redis"):
        from contentloop.orchestrator.tasks import make_huey

        make_huey(queue_url, Path(".")).storage.flush_all()


def wait_for(pred: Any, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(every)
    return bool(pred())
