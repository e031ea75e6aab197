"""`contentloop drill`: SIGKILL a real publish worker again and again; prove nothing is lost
and nothing is posted twice.

The drill process serves the simulator on loopback (wall clock), seeds a store (SQLite file,
WAL) with posts due during the drill, each with a unique caption, and runs
`contentloop publish run` as a subprocess. It kills that worker at random moments (and the
worker, with `--chaos-crash-p`, also kills itself right after journalling a container or
right after `media_publish` answered, before the commit: the hardest windows), restarts it,
and finally compares the simulator's record with the store's.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..domain import Account, Format, Post, PostState, SystemClock, Variant
from ..domain.models import Asset

DEFAULT_FAULTS = "media_publish:drop@8%,media_publish:timeout@3%,*:500@4%,seed:1"


@dataclass(frozen=True)
class DrillOptions:
    posts: int = 100
    kills: int = 50
    accounts: int = 3
    faults: str | None = DEFAULT_FAULTS
    out: Path = Path("drill-out")
    seed: int = 7
    window_s: float = 0.0  # 0: about 0.6 s per post, at least 10 s
    crash_p: float = 0.15  # the worker's own kill probability at each journal point
    timeout_s: float = 600.0
    #: phase one (containers made ahead) runs under the kills too: 1 min covers the window
    lead_minutes: int = 1


@dataclass
class DrillResult:
    out: Path
    posts: int
    published: int
    dead_lettered: int
    lost: list[str]
    duplicates: list[str]
    kills: int
    self_kills: int
    restarts: int
    elapsed_s: float
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicates

    def summary(self) -> str:
        verdict = "PASS" if self.ok else "FAIL"
        return (
            f"drill {verdict} in {self.elapsed_s:.1f} s: {self.posts} posts, "
            f"{self.published} published once, {self.dead_lettered} dead-lettered with a "
            f"reason, {len(self.lost)} lost, {len(self.duplicates)} duplicated; worker killed "
            f"{self.kills} times by the drill and {self.self_kills} times at journal points, "
            f"{self.restarts} restarts\n"
            + "\n".join(f"  {k:10} {v}" for k, v in self.files.items())
        )


def _write_config(out: Path, graph_url: str, accounts: list[Account],
                  lead_minutes: int = 0) -> Path:
    lines = [
        f'data_dir = "{(out / "data").as_posix()}"',
        f'database_url = "sqlite:///{(out / "drill.db").as_posix()}"',
        'log_level = "warning"',
        "[instagram]",
        f'graph_url = "{graph_url}"',
        f"publish_lead_minutes = {lead_minutes}",
    ]
    for a in accounts:
        lines += ["[[accounts]]", f'handle = "{a.handle}"', f'timezone = "{a.timezone}"']
    path = out / "drill.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _seed_posts(store: Any, accounts: list[Account], n: int, start: Any, window_s: float,
                media: Path, rng: random.Random) -> list[str]:
    from PIL import Image

    img = media / "drill.jpg"
    Image.new("RGB", (1080, 1350), "#1f2a44").save(img, "JPEG", quality=80)
    ids = []
    for i in range(n):
        acc = accounts[i % len(accounts)]
        at = start + timedelta(seconds=window_s * i / max(1, n - 1))
        pid = f"drill-{i:04d}"
        store.add_post(Post(id=pid, account=acc.handle, local_date=at.date().isoformat(),
                            scheduled_at=at, state=PostState.SCHEDULED, format=Format.IMAGE),
                       actor="drill")
        v = Variant(id=f"{pid}-v", post_id=pid, account=acc.handle, format=Format.IMAGE,
                    hook="drill", hook_style="plain",
                    caption=f"Drill post {i} {rng.getrandbits(40):x} #drill", hashtags=["#drill"],
                    chosen=True)
        store.save_variants([v])
        store.save_assets(pid, [Asset(sha256=f"{i:064d}", path=str(img), mime="image/jpeg",
                                      width=1080, height=1350)])
        store.update_post(pid, variant_id=v.id)
        ids.append(pid)
    return ids


def run_drill(options: DrillOptions, log: Any = None) -> DrillResult:
    """Run the drill; raises nothing on a failed verdict (see `DrillResult.ok`)."""
    from ..publish.tokens import TokenCipher, TokenVault, generate_key
    from ..sim import SimConfig, SimWorld, apply_fault_spec, serve_in_thread
    from ..store import Store

    say = log or (lambda msg: None)
    t0 = time.monotonic()
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("drill.db", "drill.db-wal", "drill.db-shm"):
        (out / stale).unlink(missing_ok=True)
    media = out / "data" / "media"
    media.mkdir(parents=True, exist_ok=True)
    rng = random.Random(options.seed)
    clock = SystemClock()
    world = SimWorld(clock, SimConfig(seed=options.seed, quota_total=max(50, options.posts)))
    apply_fault_spec(world, options.faults)
    base_url, stop_sim = serve_in_thread(world)
    key = generate_key()
    env = {**os.environ, "CONTENTLOOP_SECRET_KEY": key}
    env.pop("CONTENTLOOP_IG_ACCESS_TOKEN", None)
    accounts = [Account(handle=f"drill_{i + 1}", timezone="UTC")
                for i in range(max(1, options.accounts))]
    config = _write_config(out, base_url, accounts, options.lead_minutes)
    store = Store(f"sqlite:///{out / 'drill.db'}", clock)
    kills = restarts = self_kills = 0
    proc: subprocess.Popen[bytes] | None = None
    try:
        vault = TokenVault(store, TokenCipher([key]), clock)
        for acc in accounts:
            ig, token = world.create_account(acc.handle)
            store.ensure_account(acc)
            store.set_ig_user_id(acc.handle, ig)
            vault.put(acc.handle, token, clock.now() + timedelta(days=60))
        window = options.window_s or max(10.0, 0.6 * options.posts)
        ids = _seed_posts(store, accounts, options.posts, clock.now() + timedelta(seconds=2),
                          window, media, rng)
        cmd = [sys.executable, "-m", "contentloop.cli.main", "publish", "run",
               "--config", str(config), "--poll-s", "0.2", "--retry-base-s", "1",
               "--client-timeout-s", "2", "--client-backoff-s", "0.1",
               "--worker", "drill-worker", "--concurrency", "4",
               "--chaos-crash-p", str(options.crash_p), "--chaos-seed", str(options.seed)]
        world.config.fault_timeout_s = 3.0  # beyond the worker's 2 s client timeout
        worker_log = (out / "worker.log").open("ab")

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(cmd, env=env, stdout=worker_log, stderr=worker_log)

        proc = start()
        kill_times = sorted(rng.uniform(1.0, window + 2.0) for _ in range(options.kills))
        started = time.monotonic()
        for k_at in kill_times:
            while time.monotonic() - started < k_at:
                if proc.poll() is not None:  # the worker killed itself at a journal point
                    self_kills += proc.returncode == -signal.SIGKILL
                    proc = start()
                    restarts += 1
                time.sleep(0.02)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
            else:
                self_kills += proc.returncode == -signal.SIGKILL
            proc = start()
            restarts += 1
            time.sleep(rng.uniform(0.05, 0.4))  # sometimes before start-up ends, sometimes after
        deadline = time.monotonic() + options.timeout_s
        while time.monotonic() < deadline:
            posts = {p.id: p for p in store.posts()}
            for acc in accounts:  # an operator reconnects a paused account
                if store.is_paused(acc.handle)[0]:
                    store.set_paused(acc.handle, False)
            if all(posts[i].state in (PostState.PUBLISHED, PostState.FAILED) for i in ids):
                break
            if proc.poll() is not None:
                self_kills += proc.returncode == -signal.SIGKILL
                proc = start()
                restarts += 1
            time.sleep(0.2)
        say(f"worker restarts: {restarts}")
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        stop_sim()
    records = world.published_records()
    final = {p.id: p for p in store.posts()}
    store.close()
    caption_of = {}
    from ..store import Store as _S

    st = _S(f"sqlite:///{out / 'drill.db'}", clock)
    try:
        for pid in ids:
            caption_of[pid] = st.get_variant(f"{pid}-v").caption
    finally:
        st.close()
    counts: dict[str, int] = {}
    for r in records:
        counts[r["caption"]] = counts.get(r["caption"], 0) + 1
    duplicates = [pid for pid in ids if counts.get(caption_of[pid], 0) > 1]
    lost = []
    for pid in ids:
        p = final[pid]
        live = counts.get(caption_of[pid], 0)
        if p.state is PostState.PUBLISHED and live == 1:
            continue
        if p.state is PostState.FAILED and live == 0 and p.last_error:
            continue
        lost.append(pid)
    rows = [{"id": p.id, "state": p.state.value, "media_id": p.media_id,
             "container_id": p.container_id, "reason": p.last_error}
            for p in (final[i] for i in ids)]
    files = {"published": out / "published.json", "posts": out / "posts.json",
             "worker_log": out / "worker.log"}
    files["published"].write_text(json.dumps(records, indent=2, ensure_ascii=False))
    files["posts"].write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    return DrillResult(
        out=out, posts=len(ids),
        published=sum(final[i].state is PostState.PUBLISHED for i in ids),
        dead_lettered=sum(final[i].state is PostState.FAILED for i in ids),
        lost=lost, duplicates=duplicates, kills=kills, self_kills=self_kills,
        restarts=restarts, elapsed_s=time.monotonic() - t0, files=files,
    )


class ChaosJournal:
    """Wraps the store's journal; SIGKILLs its own process at the two hardest moments:
    right after a container id is committed, and right after `media_publish` answered but
    before the post is marked published. For the drill only (`--chaos-crash-p`)."""

    def __init__(self, store: Any, p: float, seed: int | None = None) -> None:
        self.store = store
        self.p = p
        self.rng = random.Random(None if seed is None else seed + os.getpid())

    def _maybe_die(self) -> None:
        if self.rng.random() < self.p:
            os.kill(os.getpid(), signal.SIGKILL)

    def record_container(self, post_id: str, container_id: str) -> None:
        self.store.record_container(post_id, container_id)
        self._maybe_die()

    def record_published(self, post_id: str, media_id: str, at: Any) -> None:
        self._maybe_die()
        self.store.record_published(post_id, media_id, at)

    def record_attempt(self, attempt: Any) -> None:
        self.store.record_attempt(attempt)
