"""Huey tasks, one per stage; each is idempotent because the store, not the queue, decides.

A task message only says "look at this now". Every task re-reads the store: posts move
through the state machine in single transactions, publishing claims go through
`Store.claim_due` (`FOR UPDATE SKIP LOCKED` on PostgreSQL), per-account stages hold a
store lease, and a dead worker's `publishing` claims are recovered by asking the API
before any second publish. So a redelivered, duplicated or lost message never does
anything twice; a lost one is simply re-enqueued by the scheduler's next tick.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import structlog
from huey import Huey, MemoryHuey, PostgresHuey, PriorityRedisHuey, SqliteHuey

from ..config import Settings
from ..domain import (
    Account,
    ApprovalMode,
    Clock,
    ConfigError,
    ContentloopError,
    IllegalTransition,
    NotFound,
    Post,
    PostState,
)
from ..logs import register_secret
from ..ops.metrics import Metrics
from ..store.scale_repo import Coordination
from .loop import Loop, StageCounts
from .wiring import LoopParts, build_loop

log = structlog.get_logger(__name__)

#: Every task name; the scheduler enqueues them, any consumer runs them.
TASK_NAMES = ("plan", "ingest", "advance", "publish_due", "recover", "sync_insights",
              "weekly_report", "refresh_tokens")

#: Holder of an account's `advance` lease while its message waits in the queue.
QUEUED = "queue"

#: Higher runs first: a due post must not wait behind a backlog of drafting and rendering.
PRIORITY = {"publish_due": 100, "recover": 100, "plan": 60, "advance": 50, "sync_insights": 20,
            "ingest": 10, "weekly_report": 10, "refresh_tokens": 30}


# -- the queue -------------------------------------------------------------------------------
def make_huey(queue_url: str, data_dir: Path, *, name: str = "contentloop") -> Huey:
    """The huey instance for `CONTENTLOOP_QUEUE_URL`.

    "" → SQLite file in the data dir (embedded default); `sqlite:///path`; `memory://`
    (one process); `redis://host:port/db`; `postgresql://...`. A `?queue=NAME` query
    parameter names the queue (several deployments can share one Redis).
    """
    url, queue = _split_queue_name(queue_url, name)
    common: dict[str, Any] = {"results": False, "utc": True}
    if not url:
        data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(queue, filename=str(data_dir / "queue.db"), **common)
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(queue, filename=str(path), **common)
    if scheme == "memory":
        return MemoryHuey(queue, **common)
    if scheme in ("redis", "rediss", "unix"):
        return PriorityRedisHuey(queue, url=url, **common)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        dsn = "postgresql://" + url.split("://", 1)[1]
        return PostgresHuey(queue, dsn=dsn, **common)
    raise ConfigError("queue_url", _mask_url(url),
                      "empty (embedded), sqlite:///PATH, memory://, redis://HOST:PORT/DB "
                      "or postgresql://USER@HOST/DB")


def _split_queue_name(url: str, default: str) -> tuple[str, str]:
    if not url:
        return "", default
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    names = [v for k, v in query if k == "queue"]
    rest = [(k, v) for k, v in query if k != "queue"]
    return urlunsplit(parts._replace(query=urlencode(rest))), (names[-1] if names else default)


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def queue_depth(huey: Huey) -> int:
    """Tasks waiting (not yet taken by a consumer)."""
    return int(huey.pending_count())


# -- the per-process context ----------------------------------------------------------------
@dataclass(frozen=True)
class ContextOptions:
    """Knobs of a scheduler or worker process (wall-clock seconds unless named otherwise)."""

    horizon_days: int = 7
    heartbeat_s: float = 2.0
    heartbeat_ttl_s: float = 15.0  # a worker silent this long is dead: its claims are recovered
    lease_ttl_s: float = 300.0  # per-account stage lease
    publish_batch: int = 5  # posts one publish_due task claims at most
    report_dir: Path | None = None


def new_worker_name(role: str = "worker") -> str:
    """Unique per process start, so a restarted worker never inherits its old claims."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class WorkerContext:
    """What the tasks of one process share: settings, the wired loop (built lazily), metrics."""

    settings: Settings
    clock: Clock
    name: str
    metrics: Metrics = field(default_factory=Metrics)
    options: ContextOptions = field(default_factory=ContextOptions)
    accounts: Sequence[Account] | None = None
    _parts: LoopParts | None = None
    _coord: Coordination | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def parts(self) -> LoopParts:
        with self._lock:
            if self._parts is None:
                self._parts = self._build()
            return self._parts

    def _build(self) -> LoopParts:
        s = self.settings
        accounts = list(self.accounts or s.domain_accounts())
        graph_url = s.instagram.graph_url or None
        tokens: dict[str, str] = {}
        if graph_url:
            for acc in accounts:
                tok = s.access_token_for(acc.handle)
                if tok is None:
                    raise ContentloopError(
                        f"no access token for {acc.handle!r}: set CONTENTLOOP_IG_ACCESS_TOKEN, "
                        f"CONTENTLOOP_IG_ACCESS_TOKEN_{acc.handle.upper()} or a secrets_file")
                tokens[acc.handle] = tok.get_secret_value()
                register_secret(tokens[acc.handle])
        _ensure_accounts(s.resolved_database_url, self.clock, accounts)
        parts = build_loop(
            accounts=accounts,
            clock=self.clock,
            database_url=s.resolved_database_url,
            media_dir=s.data_dir / "media",
            graph_url=graph_url,
            access_tokens=tokens or None,
            api_version=s.instagram.api_version,
            worker=self.name,
            kpi_rules={a.handle: [r.to_rule() for r in a.kpi_rules] for a in s.accounts},
            media=s.media,
            secret_key=s.secret_key.get_secret_value() if s.secret_key else None,
        )
        parts.loop.horizon_days = self.options.horizon_days
        parts.loop.publish_lead = timedelta(minutes=s.instagram.publish_lead_minutes)
        parts.loop.hashtags_in_first_comment = s.instagram.hashtags_in_first_comment
        return parts

    def coord(self) -> Coordination:
        if self._coord is None:
            self._coord = Coordination(self.parts().store)
        return self._coord

    def beat(self) -> None:
        self.coord().beat(self.name, socket.gethostname(), os.getpid())

    def live(self) -> set[str]:
        return self.coord().live_workers(self.options.heartbeat_ttl_s)

    def loop_for(self, handles: Sequence[str] | None = None) -> Loop:
        """The wired loop narrowed to some accounts, with its own counters."""
        loop = self.parts().loop
        accounts = list(loop.accounts) if handles is None else [loop.account(h) for h in handles]
        return replace(loop, accounts=accounts, counts=StageCounts())

    def close(self) -> None:
        with self._lock:
            if self._parts is not None:
                self._parts.close()
                self._parts = None
                self._coord = None


def _ensure_accounts(url: str, clock: Clock, accounts: Sequence[Account]) -> None:
    """Insert account rows before wiring: workers starting together race on the insert."""
    from sqlalchemy.exc import IntegrityError

    from ..store import Store

    store = Store(url, clock)
    try:
        for acc in accounts:
            for _ in range(3):
                try:
                    store.ensure_account(acc)
                    break
                except IntegrityError:  # another process inserted it: now it exists
                    continue
    finally:
        store.close()


# -- the stage bodies (plain functions: tests and embedded callers use them directly) -------
def plan(ctx: WorkerContext, handles: Sequence[str]) -> int:
    """Create missing calendar slots; a slot that exists is skipped by its unique key."""
    return ctx.loop_for(handles).plan()


def ingest(ctx: WorkerContext, handles: Sequence[str]) -> int:
    """Pull trend sources, score opportunities, refit the learner, for some accounts."""
    parts = ctx.parts()
    loop = ctx.loop_for(handles)
    replace(parts, loop=loop, _closers=[]).ingest()
    for acc in loop.accounts:
        parts.learner.refit(acc)
    return len(loop.accounts)


def advance(ctx: WorkerContext, handle: str) -> dict[str, int]:
    """Generate, review and render one account's pending posts, under a per-account lease.

    A duplicate running elsewhere returns at once; a lease left by a dead worker is taken
    over. Half-done steps (a post left `rendered` or `in_review` by a crash) are finished.
    """
    with _slot(ctx, f"advance:{handle}") as mine:
        if not mine:
            return {"busy": 1}
        loop = ctx.loop_for([handle])
        out = {"drafted": loop.generate(), "reviewed": loop.review()}
        out["healed"] = _heal(loop, loop.account(handle))
        out["rendered"] = loop.render()
        return out


def _heal(loop: Loop, acc: Account) -> int:
    """Finish steps a crash interrupted between two transitions."""
    n = 0
    store = loop.store
    for post in store.posts(acc.handle, states=[PostState.RENDERED]):
        if store.assets(post.id):
            _try(partial(store.transition, post.id, PostState.SCHEDULED, actor=loop.worker,
                         expect=PostState.RENDERED,
                         reason=f"due {post.scheduled_at.isoformat()} (resumed)"))
            n += 1
    if acc.approval_mode is ApprovalMode.AUTO:
        for post in store.posts(acc.handle, states=[PostState.IN_REVIEW]):
            variants = store.variants(post.id)
            if not variants or any(v.chosen for v in variants):
                continue
            chosen, reason = loop.approve(variants, acc)
            if chosen is not None:
                _try(partial(loop.approve_variant, post.id, chosen.id, actor="policy:auto",
                             reason=f"{reason} (resumed)"))
                n += 1
    return n


def _try(step: Callable[[], Any]) -> bool:
    """Run a transition that a concurrent worker may already have made."""
    try:
        step()
        return True
    except IllegalTransition:
        return False


def publish_due(ctx: WorkerContext, slot: int | None = None, batch: int | None = None) -> int:
    """Claim up to `batch` due posts (atomically, SKIP LOCKED) and publish them.

    `slot` names the scheduler's in-flight lease for this message (see Scheduler.tick).
    """
    if slot is not None:
        with _slot(ctx, f"publish:{slot}") as mine:
            return _publish_due(ctx, batch) if mine else 0
    return _publish_due(ctx, batch)


@contextmanager
def _slot(ctx: WorkerContext, lease: str) -> Iterator[bool]:
    """Take over a lease the scheduler put on a queued message; release it when done."""
    coord = ctx.coord()
    mine = coord.acquire(lease, ctx.name, ctx.options.lease_ttl_s, live=ctx.live())
    try:
        yield mine
    finally:
        if mine:
            coord.release(lease, ctx.name)


def _publish_due(ctx: WorkerContext, batch: int | None) -> int:
    loop = ctx.loop_for()
    now = ctx.clock.now()
    # Never before the slot: the lead is for phase one (containers made ahead), below.
    posts = loop.store.claim_due(now, worker=ctx.name,
                                 limit=batch or ctx.options.publish_batch)
    for post in posts:
        _publish(ctx, loop, post)
    loop.publishing.prepare_due(limit=batch or ctx.options.publish_batch)
    return len(posts)


def recover(ctx: WorkerContext) -> int:
    """Resume posts a dead worker left in `publishing`: the publisher asks the API first."""
    coord = ctx.coord()
    loop = ctx.loop_for()
    n = 0
    for post_id, previous in coord.orphaned_publishing(ctx.live() | {ctx.name}):
        if not coord.reclaim(post_id, previous, ctx.name):
            continue  # another worker took it over
        log.info("recover.claim", post=post_id, previous=previous, worker=ctx.name)
        _publish(ctx, loop, loop.store.get_post(post_id), recovering=True)
        n += 1
    return n


def _publish(ctx: WorkerContext, loop: Loop, post: Post, recovering: bool = False) -> None:
    store = loop.store
    try:
        loop.publish_claimed(post, recovering=recovering)
    except Exception:
        # Hand the claim back so `recover` (which asks the API first) can finish it.
        ctx.coord().reclaim(post.id, ctx.name, "")
        raise
    after = store.get_post(post.id)
    if after.state is PostState.PUBLISHED and after.published_at is not None:
        ctx.metrics.published.inc()
        lateness = (after.published_at - after.scheduled_at).total_seconds()
        ctx.metrics.publish_lateness.observe(max(0.0, lateness))
        return
    attempts = store.attempts(post.id)
    cls = (attempts[-1].error_class if attempts else "") or after.state.value
    ctx.metrics.publish_failures.labels(cls).inc()


def sync_insights(ctx: WorkerContext) -> int:
    coord = ctx.coord()
    if not coord.acquire("sync_insights", ctx.name, ctx.options.lease_ttl_s, live=ctx.live()):
        return 0
    try:
        return ctx.loop_for().sync_insights()
    finally:
        coord.release("sync_insights", ctx.name)


def weekly_report(ctx: WorkerContext) -> str:
    parts = ctx.parts()
    now = ctx.clock.now()
    out = (ctx.options.report_dir or ctx.settings.data_dir / "reports") / now.date().isoformat()
    out.mkdir(parents=True, exist_ok=True)
    path_json, _ = replace(parts, loop=ctx.loop_for(), _closers=[]).write_report(out)
    return str(path_json)


def refresh_tokens(ctx: WorkerContext) -> int:
    """Refresh stored (encrypted) tokens that expire soon; nothing to do without a vault."""
    from ..publish.tokens import SecretKeyMissing, TokenCipher, TokenVault

    try:
        cipher = TokenCipher.from_env()
    except (SecretKeyMissing, ValueError):
        return 0
    parts = ctx.parts()
    vault = TokenVault(parts.store, cipher, ctx.clock)
    n = 0
    for handle in vault.handles():
        client = parts.clients.get(handle)
        if client is not None and vault.refresh_if_due(handle, client):
            n += 1
    return n


_BODIES: dict[str, Callable[..., Any]] = {
    "plan": plan,
    "ingest": ingest,
    "advance": advance,
    "publish_due": publish_due,
    "recover": recover,
    "sync_insights": sync_insights,
    "weekly_report": weekly_report,
    "refresh_tokens": refresh_tokens,
}


def run_task(ctx: WorkerContext, name: str, *args: Any) -> Any:
    """Run one stage body with metrics; a conflict with another worker is not a failure."""
    with ctx.metrics.timed(name):
        try:
            return _BODIES[name](ctx, *args)
        except (IllegalTransition, NotFound) as exc:
            # Another worker moved the post first: the state machine did its job.
            log.info("task.superseded", task=name, reason=str(exc))
            ctx.metrics.task_failures.labels(name, "Superseded").inc()
            return None


@dataclass
class Tasks:
    """The registered huey tasks; calling one enqueues it."""

    huey: Huey
    wrappers: dict[str, Any]

    def enqueue(self, name: str, *args: Any) -> None:
        self.wrappers[name](*args)


def register_tasks(huey: Huey, context: Callable[[], WorkerContext]) -> Tasks:
    """Register every stage task on `huey`; `context()` gives the process's WorkerContext.

    Enqueuers and consumers must both call this (tasks are found by name).
    """
    wrappers: dict[str, Any] = {}
    for name in TASK_NAMES:
        def body(*args: Any, _name: str = name) -> Any:
            return run_task(context(), _name, *args)

        body.__name__ = body.__qualname__ = name
        wrappers[name] = huey.task(name=f"contentloop.{name}", priority=PRIORITY[name])(body)
    return Tasks(huey, wrappers)
