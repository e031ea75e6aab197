"""Publishing services for the CLI: the worker (`publish run`), now, retry, dead letters,
reconcile. Each builds what it needs from Settings and closes it again."""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..config import Settings
from ..domain import Clock, ContentloopError, Post, PostState, SystemClock, utc
from ..instagram.client import GraphClient
from ..instagram.errors import GraphAPIError
from ..publish.media import make_media_host
from ..publish.publisher import Publisher
from ..publish.tokens import TokenCipher, TokenMissing, TokenVault
from ..store import Store
from ..store.publish_repo import claim_one, dead_letters, requeue
from .publishing import PublishStage, make_job, split_hashtags

log = logging.getLogger("contentloop.publish.worker")


@dataclass
class WorkerOptions:
    worker: str = "publisher"
    concurrency: int = 4
    grace: timedelta = timedelta(hours=6)
    retry_base: timedelta = timedelta(seconds=30)
    client_backoff_s: float = 1.0
    client_timeout_s: float = 30.0
    refresh_ahead: timedelta = timedelta(days=10)
    journal_wrapper: Callable[[Any], Any] | None = None  # the drill's crash injector


@dataclass
class Worker:
    stage: PublishStage
    store: Store
    clients: dict[str, GraphClient]
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for c in reversed(self._closers):
            with contextlib.suppress(Exception):  # closing must not hide the real error
                c()
        self._closers.clear()


def _vault(store: Store, clock: Clock, settings: Settings) -> TokenVault | None:
    import os

    env = dict(os.environ)
    if settings.secret_key is not None and "CONTENTLOOP_SECRET_KEY" not in env:
        env["CONTENTLOOP_SECRET_KEY"] = settings.secret_key.get_secret_value()
    try:
        return TokenVault(store, TokenCipher.from_env(env), clock)
    except ContentloopError:
        return None


def build_worker(
    settings: Settings, options: WorkerOptions | None = None, clock: Clock | None = None
) -> Worker:
    """A publish worker over the configured store and Graph API (tokens from the vault,
    else the environment); media served from `data_dir/media`."""
    from ..logs import register_secret

    opts = options or WorkerOptions()
    clock = clock or SystemClock()
    graph_url = settings.instagram.graph_url
    if not graph_url:
        raise ContentloopError(
            "publish run needs instagram.graph_url (the Graph API or `contentloop sim serve`); "
            "`contentloop demo` runs the simulator in-process instead"
        )
    store = Store(settings.resolved_database_url, clock)
    closers: list[Callable[[], None]] = [store.close]
    media_root = settings.data_dir / "media"
    media_root.mkdir(parents=True, exist_ok=True)
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    host = make_media_host(settings.media, media_root, secret).start()
    closers.append(host.stop)
    vault = _vault(store, clock, settings)
    clients: dict[str, GraphClient] = {}
    publishers: dict[str, Publisher] = {}
    lock = threading.Lock()

    def publisher_for(handle: str) -> Publisher:
        with lock:
            if handle in publishers:
                return publishers[handle]
            token = None
            if vault is not None:
                try:
                    token = vault.get(handle).token
                except TokenMissing:
                    token = None
            token = token or settings.access_token_for(handle)
            if token is None:
                raise ContentloopError(f"no access token for {handle!r}")
            register_secret(token.get_secret_value())
            client = GraphClient(
                graph_url, token, settings.instagram.api_version, clock=clock,
                backoff_base_s=opts.client_backoff_s, timeout=opts.client_timeout_s,
            )
            clients[handle] = client
            closers.append(client.close)
            journal = opts.journal_wrapper(store) if opts.journal_wrapper else store
            publishers[handle] = Publisher(
                client, clock, journal, rng=random.Random(), retry_base=opts.retry_base,
            )
            return publishers[handle]

    def refresh_tokens() -> None:
        if vault is None:
            return
        for handle in vault.handles():
            try:
                client = publisher_for(handle).client
                vault.refresh_if_due(handle, client, ahead=opts.refresh_ahead)
            except (ContentloopError, GraphAPIError) as exc:
                log.warning("token refresh for %s failed: %s", handle, exc)

    lead = timedelta(minutes=settings.instagram.publish_lead_minutes)
    stage = PublishStage(
        store=store, clock=clock, publisher_for=publisher_for,
        job_for=lambda post: make_job(
            store, post, host.url_for, lead,
            hashtags_in_first_comment=settings.instagram.hashtags_in_first_comment),
        worker=opts.worker, grace=opts.grace, concurrency=opts.concurrency,
        publish_lead=lead,
        before_pass=refresh_tokens,
    )
    return Worker(stage=stage, store=store, clients=clients, _closers=closers)


def run_worker(settings: Settings, options: WorkerOptions, *, until_idle: bool,
               poll_s: float) -> dict[str, int]:
    w = build_worker(settings, options)
    try:
        counts = w.stage.run(until_idle=until_idle, poll_s=poll_s)
        return dict(vars(counts))
    finally:
        w.close()


def publish_now(settings: Settings, post_id: str, options: WorkerOptions | None = None) -> Post:
    w = build_worker(settings, options)
    try:
        post = claim_one(w.store, post_id, worker=w.stage.worker)
        w.stage.publish_post(post)
        return w.store.get_post(post_id)
    finally:
        w.close()


def retry_post(settings: Settings, post_id: str) -> Post:
    store = Store(settings.resolved_database_url, SystemClock())
    try:
        return requeue(store, post_id, actor="operator", at=None)
    finally:
        store.close()


def list_dead_letters(settings: Settings, account: str | None = None) -> list[dict[str, Any]]:
    store = Store(settings.resolved_database_url, SystemClock())
    try:
        return [
            {"post": p.id, "account": p.account, "scheduled_at": p.scheduled_at.isoformat(),
             "attempts": p.attempts, "reason": p.last_error}
            for p in dead_letters(store, account)
        ]
    finally:
        store.close()


@dataclass(frozen=True, slots=True)
class Discrepancy:
    post_id: str
    kind: str  # live_but_not_published | published_but_absent
    detail: str
    repaired: bool = False


def reconcile(store: Store, client_for: Callable[[str], GraphClient], *, repair: bool,
              max_pages: int = 20) -> list[Discrepancy]:
    """Diff the store against each account's real media (by media id, then caption)."""
    out: list[Discrepancy] = []
    posts = store.posts()
    for account in sorted({p.account for p in posts}):
        mine = [p for p in posts if p.account == account]
        client = client_for(account)
        ig = store.ig_user_id(account)
        live = list(client.iter_media(ig, ("id", "caption", "timestamp"), limit=100,
                                      max_pages=max_pages))
        by_id = {str(m["id"]): m for m in live}
        by_caption: dict[str, dict[str, Any]] = {}
        for m in live:
            by_caption.setdefault(" ".join(str(m.get("caption") or "").split()), m)
        claimed = {p.media_id for p in mine if p.media_id and p.state is PostState.PUBLISHED}
        for p in mine:
            if p.state is PostState.PUBLISHED:
                if p.media_id and p.media_id not in by_id:
                    out.append(Discrepancy(p.id, "published_but_absent",
                                           f"media {p.media_id} is not on the account (deleted "
                                           "in the app?); nothing to repair automatically"))
                continue
            if p.state not in (PostState.FAILED, PostState.RETRY_WAIT, PostState.SCHEDULED,
                               PostState.PUBLISHING) or not p.variant_id:
                continue
            variant = store.get_variant(p.variant_id)
            caption = " ".join(variant.caption.split())
            # With hashtags_in_first_comment the live caption has no hashtags.
            bare = " ".join(split_hashtags(variant.caption, variant.hashtags)[0].split())
            hit = by_caption.get(caption) or by_caption.get(bare)
            if hit is None or str(hit["id"]) in claimed:
                continue
            detail = f"media {hit['id']} is live but the post is {p.state.value}"
            if repair:
                _mark_live(store, p, str(hit["id"]))
                claimed.add(str(hit["id"]))
            out.append(Discrepancy(p.id, "live_but_not_published", detail, repaired=repair))
    return out


def _mark_live(store: Store, post: Post, media_id: str) -> None:
    """Walk the state machine to `published` (failed/waiting -> scheduled -> publishing)."""
    state = post.state
    if state in (PostState.FAILED, PostState.RETRY_WAIT):
        store.transition(post.id, PostState.SCHEDULED, actor="reconcile",
                         reason=f"media {media_id} found live")
        state = PostState.SCHEDULED
    if state is PostState.SCHEDULED:
        store.transition(post.id, PostState.PUBLISHING, actor="reconcile",
                         reason=f"media {media_id} found live")
    store.transition(post.id, PostState.PUBLISHED, actor="reconcile",
                     reason=f"reconciled: media {media_id} is live", media_id=media_id,
                     published_at=utc(store.clock.now()), last_error="")


def reconcile_settings(settings: Settings, *, repair: bool) -> list[Discrepancy]:
    w = build_worker(settings)
    try:
        return reconcile(w.store, lambda h: w.stage.publisher_for(h).client, repair=repair)
    finally:
        w.close()


@dataclass(frozen=True, slots=True)
class TokenState:
    """What an operator may see about a stored token: never the token itself."""

    handle: str
    expires_at: str | None
    valid_days: float | None
    due: bool  # expires within the refresh window
    refreshed: bool = False
    error: str = ""


def token_states(
    settings: Settings, *, refresh: bool = False, ahead: timedelta = timedelta(days=10),
    clock: Clock | None = None,
) -> list[TokenState]:
    """Every vault token's expiry; `refresh`: refresh those due now (the worker does this
    every minute while it runs, and the queue runner's daily `refresh_tokens` task too)."""
    clock = clock or SystemClock()
    if refresh:
        w = build_worker(settings, clock=clock)
        store, close = w.store, w.close
    else:
        store = Store(settings.resolved_database_url, clock)
        w, close = None, store.close
    try:
        vault = _vault(store, clock, settings)
        if vault is None:
            raise ContentloopError(
                "no token vault: set CONTENTLOOP_SECRET_KEY (see `contentloop publish keygen`)")
        out: list[TokenState] = []
        for handle in vault.handles():
            refreshed, error = False, ""
            if refresh and w is not None:
                try:
                    client = w.stage.publisher_for(handle).client
                    refreshed = vault.refresh_if_due(handle, client, ahead=ahead)
                except (ContentloopError, GraphAPIError) as exc:
                    error = str(exc)
            stored = vault.get(handle)
            left = stored.valid_for(clock.now())
            out.append(TokenState(
                handle, stored.expires_at.isoformat() if stored.expires_at else None,
                None if left is None else round(left.total_seconds() / 86400, 2),
                left is not None and left <= ahead, refreshed, error))
        return out
    finally:
        close()
