"""Publishing benchmark: many accounts, posts due in a short window, a slow and faulty API.

1,000 posts across 50 accounts due within 10 minutes, against the loopback simulator with
50-200 ms latency per call and 5 % transient faults (HTTP 500 on any call), time-compressed
by a scaled clock (simulated time runs `--speed` times faster than the wall clock).

Faithfulness under compression: the simulator's latency is *simulated* time (it sleeps
latency / factor of wall time), as are the client's backoff sleeps and the publisher's
polls (all through the clock). What compression still inflates is our own CPU and database
time (x factor in simulated seconds), so the figures are an upper bound; `--speed 1` runs
uncompressed. At 10x the full run asks one process for ~17 posts per wall second and
saturates it (lateness then measures our CPU, not the design), hence 3x by default for the
full run and 10x for `--quick` (200 posts). Lateness is measured on the simulator's side:
its publish timestamp minus the slot (`early`: posts live before their slot, must be 0).

Two-phase publishing: containers are made and polled to FINISHED `--lead-min` ahead of the
slot (`instagram.publish_lead_minutes`), so at the slot only `media_publish` is left.
`--lead-min 0` measures the one-phase path. Prints lateness p50/p99 (simulated seconds),
throughput (posts per wall second), duplicates and lost posts (both must be 0).

    python bench/publish.py [--quick] [--speed F] [--lead-min M]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from contentloop.domain import Account, Format, Post, PostState, Variant
from contentloop.domain.models import Asset
from contentloop.instagram import GraphClient
from contentloop.orchestrator.publishing import PublishStage, make_job
from contentloop.orchestrator.timescale import ScaledClock
from contentloop.publish import MediaHost, Publisher
from contentloop.sim import SimConfig, SimWorld, apply_fault_spec, serve_in_thread
from contentloop.store import Store
from contentloop.store.publish_repo import lateness, waiting


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="200 posts, 10 accounts (~1 min)")
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--accounts", type=int, default=50)
    ap.add_argument("--window-min", type=float, default=10.0)
    ap.add_argument("--speed", type=float, default=None,
                    help="clock compression (default 3x; --quick 10x). Above ~12 posts per "
                         "wall second one process saturates and lateness measures our CPU")
    ap.add_argument("--faults", default="*:500@5%,latency:50-200ms,seed:5")
    ap.add_argument("--concurrency", type=int, default=0, help="lanes (0: one per account)")
    ap.add_argument("--lead-min", type=float, default=15.0)
    args = ap.parse_args()
    if args.quick:
        args.posts, args.accounts = 200, 10
    if args.speed is None:
        args.speed = 10.0 if args.quick else 3.0
    lead = timedelta(minutes=args.lead_min)
    tmp = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    Image.new("RGB", (1080, 1350), "#1f2a44").save(tmp / "a.jpg", "JPEG", quality=80)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = ScaledClock(start, args.speed)
    world = SimWorld(clock, SimConfig(seed=1, quota_total=100))
    apply_fault_spec(world, args.faults)
    base, stop = serve_in_thread(world)
    store = Store(f"sqlite:///{tmp / 'bench.db'}", clock)
    host = MediaHost(tmp).start()
    pubs: dict[str, Publisher] = {}
    clients: list[GraphClient] = []
    for a in range(args.accounts):
        h = f"acct{a:03d}"
        ig, tok = world.create_account(h)
        store.ensure_account(Account(handle=h))
        store.set_ig_user_id(h, ig)
        c = GraphClient(base, tok, clock=clock, timeout=10, backoff_base_s=1.0)
        clients.append(c)
        pubs[h] = Publisher(c, clock, store, rng=random.Random(a))
    rng = random.Random(2)
    due0 = start + timedelta(seconds=60)  # let set-up finish before the first slot
    captions: dict[str, str] = {}
    for i in range(args.posts):
        h = f"acct{i % args.accounts:03d}"
        at = due0 + timedelta(seconds=rng.uniform(0, args.window_min * 60))
        pid = f"b{i:05d}"
        store.add_post(Post(id=pid, account=h, local_date=at.date().isoformat(),
                            scheduled_at=at, state=PostState.SCHEDULED, format=Format.IMAGE))
        captions[pid] = f"bench post {i} {rng.getrandbits(32):x}"
        store.save_variants([Variant(id=pid + "v", post_id=pid, account=h, format=Format.IMAGE,
                                     hook="h", hook_style="plain", caption=captions[pid],
                                     hashtags=[], chosen=True)])
        store.save_assets(pid, [Asset("0" * 64, str(tmp / "a.jpg"), "image/jpeg", 1080, 1350)])
        store.update_post(pid, variant_id=pid + "v")
    stage = PublishStage(store=store, clock=clock, publisher_for=pubs.__getitem__,
                         job_for=lambda p: make_job(store, p, host.url_for, lead),
                         worker="bench", concurrency=args.concurrency or args.accounts,
                         batch=200, publish_lead=lead)
    total = args.posts

    def finished() -> bool:
        return len(world.published_records()) >= total and not waiting(store, skip_paused=False)

    clock.epoch = time.time()  # simulated time starts now: set-up cost no slot anything
    wall0 = time.monotonic()
    stage.run(poll_s=1.0, stop=finished)
    wall = time.monotonic() - wall0
    posts = store.posts()
    records = world.published_records()
    per_caption: dict[str, int] = {}
    live_at: dict[str, datetime] = {}
    for r in records:
        per_caption[r["caption"]] = per_caption.get(r["caption"], 0) + 1
        live_at.setdefault(r["caption"], datetime.fromisoformat(r["timestamp"]))
    duplicates = sum(n - 1 for n in per_caption.values() if n > 1)
    lost = sum(1 for p in posts if not (
        (p.state is PostState.PUBLISHED and per_caption.get(captions[p.id]) == 1)
        or (p.state is PostState.FAILED and p.last_error and not per_caption.get(captions[p.id]))
    ))
    slot = {captions[p.id]: p.scheduled_at for p in posts}
    late = [(live_at[c] - slot[c]).total_seconds() for c in live_at if c in slot]
    early = sum(1 for x in late if x < 0)
    store_late = [r.lateness_s for r in lateness(store) if r.outcome == "published"]
    prepared = sum(1 for p in posts if p.container_id)
    span = (max(live_at.values()) - min(live_at.values())).total_seconds() if live_at else 0
    published = sum(p.state is PostState.PUBLISHED for p in posts)
    failed = sum(p.state is PostState.FAILED for p in posts)
    for c in clients:
        c.close()
    host.stop()
    stop()
    store.close()
    print(f"posts={args.posts} accounts={args.accounts} speed={args.speed}x "
          f"lead_min={args.lead_min:g} published={published} dead_lettered={failed} "
          f"with_container={prepared} wall_s={wall:.1f} sim_span_s={span:.0f} "
          f"mean_lateness_s={statistics.fmean(late):.2f} "
          f"store_lateness_p99_s={pct(store_late, 0.99):.2f} max_lateness_s={max(late):.2f}")
    print(f"early={early}")
    print(f"lateness_p50_s={pct(late, 0.50):.2f}")
    print(f"lateness_p99_s={pct(late, 0.99):.2f}")
    print(f"posts_per_s={published / wall:.2f}")
    print(f"duplicates={duplicates}")
    print(f"lost={lost}")


if __name__ == "__main__":
    main()
