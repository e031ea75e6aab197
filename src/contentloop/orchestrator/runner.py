"""Long-running processes: `contentloop run` (scheduler + in-process consumer) and
`contentloop worker` (consumer only).

Periodic work is enqueued once however many processes run: only the holder of the
store's `scheduler` lease ticks, and each periodic job (plan, ingest, insights, weekly
report, token refresh) is keyed by its period with a once-only mark in the store, so a
leader change never repeats one. Work that is driven by state (advance, publish_due,
recover) is enqueued when the store shows it, and the tasks are idempotent anyway.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from huey import Huey
from huey.consumer import Consumer

from ..config import Settings
from ..domain import Clock
from ..ops.health import HealthServer
from .tasks import QUEUED, ContextOptions, Tasks, WorkerContext, queue_depth, register_tasks

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """How a `run` or `worker` process behaves (wall-clock seconds)."""

    concurrency: int = 2  # consumer threads
    consumer: bool = True  # False: scheduler only
    scheduler: bool = True  # False: consumer only (`contentloop worker`)
    tick_s: float = 5.0
    leader_ttl_s: float = 30.0
    advance_requeue_s: float = 300.0  # re-send an `advance` whose message seems lost
    max_publish_tasks: int = 8  # publish_due tasks enqueued per tick at most
    max_pending: int = 1000  # do not add state-driven work while this many tasks wait
    plan_chunk: int = 50  # accounts per plan/ingest task
    insights_every_min: int = 30  # domain minutes between insight syncs
    health_host: str = "127.0.0.1"
    health_port: int | None = None  # None: no endpoint; 0: any free port
    shutdown_timeout_s: float = 30.0
    context: ContextOptions = field(default_factory=ContextOptions)


class Scheduler:
    """Decides what to enqueue; only the lease holder acts."""

    def __init__(self, ctx: WorkerContext, tasks: Tasks, options: RunOptions,
                 wall: Callable[[], float] = time.monotonic) -> None:
        self.ctx = ctx
        self.tasks = tasks
        self.options = options
        self.wall = wall
        self.leader = False
        self.last_tick: float | None = None

    def tick(self) -> dict[str, int]:
        """One scheduling pass; returns what was enqueued (empty when not the leader)."""
        ctx, opts = self.ctx, self.options
        coord = ctx.coord()
        self.leader = coord.acquire("scheduler", ctx.name, opts.leader_ttl_s, live=ctx.live())
        self.last_tick = self.wall()
        if not self.leader:
            return {}
        ctx.metrics.ticks.inc()
        now = ctx.clock.now()
        sent: dict[str, int] = {}

        def send(name: str, *args: Any) -> None:
            self.tasks.enqueue(name, *args)
            ctx.metrics.enqueued.labels(name).inc()
            sent[name] = sent.get(name, 0) + 1

        handles = [a.handle for a in ctx.loop_for().accounts]
        chunks = [handles[i:i + opts.plan_chunk] for i in range(0, len(handles), opts.plan_chunk)]
        if coord.once(f"plan:{now:%Y-%m-%dT%H}", ctx.name):  # first: slots do not wait
            for chunk in chunks:
                send("plan", chunk)
        if coord.once(f"ingest:{now:%Y-%m-%d}", ctx.name):
            for chunk in chunks:
                send("ingest", chunk)
        slot = now.minute // max(1, opts.insights_every_min)
        if coord.once(f"insights:{now:%Y-%m-%dT%H}:{slot}", ctx.name):
            send("sync_insights")
        year, week, _ = now.isocalendar()
        if now.weekday() == 0 and coord.once(f"report:{year}-W{week:02d}", ctx.name):
            send("weekly_report")
        if coord.once(f"tokens:{now:%Y-%m-%d}", ctx.name):
            send("refresh_tokens")

        live = ctx.live()
        lead = timedelta(minutes=ctx.settings.instagram.publish_lead_minutes)
        due = coord.count_due(now + lead)
        # At most `max_publish_tasks` publish messages in flight, each holding a slot lease.
        for slot in range(min(opts.max_publish_tasks,
                              math.ceil(due / max(1, ctx.options.publish_batch)))):
            if coord.acquire(f"publish:{slot}", QUEUED, opts.advance_requeue_s,
                             live=live | {QUEUED}, renew=False):
                send("publish_due", slot)
        if coord.orphaned_publishing(live):
            send("recover")
        try:
            pending = queue_depth(self.tasks.huey)
        except Exception:  # the queue may be briefly unreachable; enqueue will tell
            pending = 0
        if pending >= opts.max_pending:
            return sent
        # One `advance` per account in flight: the message holds the account's lease as
        # "queue" until a worker takes it over; a dead worker's lease is taken back.
        for handle in coord.accounts_with_work():
            if coord.acquire(f"advance:{handle}", QUEUED, opts.advance_requeue_s,
                             live=live | {QUEUED}, renew=False):
                send("advance", handle)
        return sent

    def resign(self) -> None:
        if self.leader:
            self.ctx.coord().release("scheduler", self.ctx.name)
            self.leader = False


class _Ticker(threading.Thread):
    """Calls `fn` every `interval` seconds until stopped; errors are logged, never fatal."""

    def __init__(self, name: str, interval: float, fn: Callable[[], Any]) -> None:
        super().__init__(name=name, daemon=True)
        self.interval, self.fn = interval, fn
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.fn()
            except Exception as exc:
                log.warning("ticker.error", ticker=self.name, error=type(exc).__name__,
                            detail=str(exc)[:300])
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=max(5.0, self.interval * 2))


@dataclass
class Process:
    """One running `run`/`worker`: its context, queue, threads and health endpoint."""

    ctx: WorkerContext
    huey: Huey
    tasks: Tasks
    options: RunOptions
    scheduler: Scheduler | None = None
    health: HealthServer | None = None
    consumer: Consumer | None = None
    _threads: list[_Ticker] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def status(self) -> dict[str, Any]:
        alive = all(t.is_alive() for t in self._threads)
        out: dict[str, Any] = {"worker": self.ctx.name, "threads_alive": alive,
                               "stopping": self.stopping.is_set()}
        if self.scheduler is not None:
            last = self.scheduler.last_tick
            age = None if last is None else time.monotonic() - last
            out["leader"] = self.scheduler.leader
            out["last_tick_age_s"] = age
            alive = alive and (age is None or age < 3 * self.options.tick_s + 10)
        try:
            out["queue_depth"] = queue_depth(self.huey)
        except Exception as exc:
            out["queue_error"] = type(exc).__name__
            alive = False
        out["ok"] = alive and not self.stopping.is_set()
        return out


def start_process(settings: Settings, clock: Clock, huey: Huey, options: RunOptions,
                  ctx: WorkerContext) -> Process:
    """Wire tasks, heartbeat, optional scheduler and health endpoint (consumer not started)."""
    tasks = register_tasks(huey, lambda: ctx)
    proc = Process(ctx=ctx, huey=huey, tasks=tasks, options=options)
    ctx.parts()  # build now: fail fast on bad config, before taking any work
    ctx.beat()
    ctx.metrics.watch_queue(lambda: float(queue_depth(huey)))
    ctx.metrics.watch_states(lambda: {k: float(v) for k, v in ctx.coord().count_states().items()})
    proc._threads.append(_Ticker("heartbeat", ctx.options.heartbeat_s, ctx.beat))
    if options.scheduler:
        proc.scheduler = Scheduler(ctx, tasks, options)
        proc._threads.append(_Ticker("scheduler", options.tick_s, proc.scheduler.tick))
    for t in proc._threads:
        t.start()
    if options.health_port is not None:
        proc.health = HealthServer(proc.status, ctx.metrics, options.health_host,
                                   options.health_port).start()
        log.info("health.listening", url=proc.health.url)
    return proc


def stop_process(proc: Process) -> None:
    """Stop threads, hand back leadership and claims (heartbeat removed), close resources."""
    proc.stopping.set()
    for t in reversed(proc._threads):
        t.stop()
    if proc.scheduler is not None:
        with contextlib.suppress(Exception):
            proc.scheduler.resign()
    with contextlib.suppress(Exception):  # its `publishing` claims recover at once
        proc.ctx.coord().forget(proc.ctx.name)
    if proc.health is not None:
        proc.health.stop()
    proc.ctx.close()


def serve(settings: Settings, clock: Clock, huey: Huey, options: RunOptions,
          ctx: WorkerContext, on_ready: Callable[[Process], None] | None = None) -> Process:
    """Run until SIGTERM/SIGINT: SIGTERM is graceful (tasks in hand finish, up to
    `shutdown_timeout_s`; anything abandoned stays claimed and is recovered)."""
    proc = start_process(settings, clock, huey, options, ctx)
    if on_ready is not None:
        on_ready(proc)
    log.info("process.started", worker=ctx.name, consumer=options.consumer,
             scheduler=options.scheduler, concurrency=options.concurrency)
    try:
        if options.consumer and options.concurrency > 0:
            proc.consumer = huey.create_consumer(
                workers=options.concurrency, worker_type="thread", periodic=False,
                initial_delay=0.05, max_delay=1.0, backoff=1.15,
                graceful_signal="TERM", shutdown_timeout=options.shutdown_timeout_s,
                check_worker_health=True,
            )
            proc.consumer.run()  # returns after SIGTERM (graceful) or SIGINT
        else:
            _wait_for_signal(proc.stopping)
    finally:
        stop_process(proc)
        log.info("process.stopped", worker=ctx.name)
    return proc


def _wait_for_signal(stopping: threading.Event) -> None:
    def handler(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    while not stopping.wait(0.5):
        pass


def launch(settings: Settings, options: RunOptions, *, clock: Clock, role: str,
           on_ready: Callable[[Process], None] | None = None) -> Process:
    """Build the context and queue from settings and serve (the CLI's entry point)."""
    from ..domain import ContentloopError
    from .tasks import make_huey, new_worker_name

    if role == "worker" and not settings.instagram.graph_url:
        raise ContentloopError(
            "a worker needs instagram.graph_url (CONTENTLOOP_INSTAGRAM__GRAPH_URL): the built-in "
            "simulator lives inside one process; start `contentloop sim serve` or use the "
            "real Graph API, or run everything in one `contentloop run`")
    huey = make_huey(settings.queue_url, settings.data_dir)
    ctx = WorkerContext(settings=settings, clock=clock, name=new_worker_name(role),
                        options=options.context)
    return serve(settings, clock, huey, options, ctx, on_ready=on_ready)
