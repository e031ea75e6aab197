"""The publish stage: claim due posts, publish each exactly once, map outcomes to states.

Outcome -> state: published -> `published` (lateness recorded); retry/throttle/quota ->
`retry_wait` at the publisher's retry time; auth -> the account is paused and the post goes
back to `scheduled` (its queue stays intact); anything else -> `failed` (the dead letter)
with the API's message and a plain-language fix. Posts of one account go out in slot order;
after downtime a post first claimed more than `grace` after its slot is skipped with a reason.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..domain import Asset, Clock, Format, IllegalTransition, Post, PostState, Variant
from ..publish.publisher import PublishJob, PublishResult
from ..store import Store
from ..store.publish_repo import record_lateness

log = logging.getLogger("contentloop.publishing")

_WAITING = (PostState.SCHEDULED, PostState.RETRY_WAIT, PostState.PUBLISHING)


def make_job(
    store: Store,
    post: Post,
    media_url: Callable[[str], str],
    publish_lead: timedelta = timedelta(0),
) -> PublishJob:
    """Build a PublishJob from the store: the chosen variant's caption, the assets' URLs."""
    assert post.variant_id is not None, f"post {post.id} has no chosen variant"
    variant: Variant = store.get_variant(post.variant_id)
    assets: Sequence[Asset] = store.assets(post.id)
    main = [a for a in assets if a.role in ("main", "slide")]
    covers = [a for a in assets if a.role == "cover"]
    fmt = variant.format
    kwargs: dict[str, Any] = {}
    if fmt is Format.CAROUSEL:
        kwargs["slide_urls"] = [media_url(a.path) for a in main]
    elif fmt is Format.REEL or (fmt is Format.STORY and main and main[0].mime == "video/mp4"):
        kwargs["video_url"] = media_url(main[0].path)
        if covers:
            kwargs["cover_url"] = media_url(covers[0].path)
    elif main:
        kwargs["image_url"] = media_url(main[0].path)
    return PublishJob(
        post_id=post.id,
        ig_user_id=store.ig_user_id(post.account),
        format=fmt,
        caption=variant.caption,
        container_id=post.container_id,
        attempt=max(0, post.attempts - 1),
        not_before=post.scheduled_at - publish_lead,
        **kwargs,
    )


@dataclass
class PassCounts:
    published: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    paused: int = 0
    deferred: int = 0

    def total(self) -> int:
        return sum(vars(self).values())


@dataclass
class PublishStage:
    """Publishes what is due. Thread-safe per account; accounts run in parallel."""

    store: Store
    clock: Clock
    publisher_for: Callable[[str], Any]  # handle -> publish.Publisher
    job_for: Callable[[Post], PublishJob]
    worker: str = "publisher"
    publish_lead: timedelta = timedelta(0)
    grace: timedelta = timedelta(hours=6)
    concurrency: int = 1
    batch: int = 50
    before_pass: Callable[[], None] | None = None
    counts: PassCounts = field(default_factory=PassCounts)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- entry points -------------------------------------------------------------------
    def recover(self) -> int:
        """Resume posts a dead worker left in `publishing`: ask the API before anything else.

        With several workers on one database, only call this at a moment no other worker
        is mid-publish (e.g. start-up of the only worker), or scope it by `claimed_by`.
        """
        posts = self.store.stale_publishing()
        self._run_accounts(posts, recovering=True)
        return len(posts)

    def publish_due(self) -> int:
        if self.before_pass is not None:
            self.before_pass()
        now = self.clock.now()
        posts = self.store.claim_due(now + self.publish_lead, worker=self.worker,
                                     limit=self.batch)
        self._run_accounts(posts)
        return len(posts)

    def publish_post(self, post: Post, *, recovering: bool = False) -> str:
        """Publish one claimed post (state `publishing`); returns the outcome name."""
        paused, why = self.store.is_paused(post.account)
        if paused:
            self.store.transition(
                post.id, PostState.SCHEDULED, actor=self.worker,
                reason=f"account paused: {why}", expect=PostState.PUBLISHING,
            )
            self._count("paused")
            return "paused"
        now = self.clock.now()
        late = now - post.scheduled_at
        # Only a first try can be "missed": retries and quota waits are late on purpose.
        if (not recovering and post.container_id is None and post.next_attempt_at is None
                and late > self.grace):
            reason = (f"skipped: missed its slot {post.scheduled_at:%Y-%m-%d %H:%M} UTC by "
                      f"{_human(late)}, beyond the {_human(self.grace)} grace window "
                      "(the worker was down); requeue it with `contentloop publish retry`")
            self.store.transition(post.id, PostState.FAILED, actor=self.worker, reason=reason,
                                  last_error=reason, expect=PostState.PUBLISHING)
            record_lateness(self.store, post, now, "skipped", reason)
            self._count("skipped")
            return "skipped"
        job = self.job_for(post)
        result: PublishResult = self.publisher_for(post.account).publish(job)
        return self._apply(post, result, recovering)

    # -- outcome -> state ----------------------------------------------------------------
    def _apply(self, post: Post, result: PublishResult, recovering: bool) -> str:
        now = self.clock.now()
        outcome = str(getattr(result.outcome, "value", result.outcome))
        message = result.message or outcome
        if outcome == "published":
            why = "recovered after restart" if recovering or result.recovered else "published"
            self.store.transition(
                post.id, PostState.PUBLISHED, actor=self.worker, reason=why,
                media_id=result.media_id, published_at=now, last_error="",
                container_id=result.container_id or post.container_id,
            )
            late = record_lateness(self.store, post, now, "published")
            log.info("post %s published (%s), %.1f s late", post.id, why, late)
            self._count("published")
            return "published"
        if outcome == "auth":
            self.store.set_paused(post.account, True, f"{message} {result.explanation}".strip())
            self.store.transition(
                post.id, PostState.SCHEDULED, actor=self.worker,
                reason=f"token problem, account paused: {message}", last_error=message,
            )
            log.warning("account %s paused: %s", post.account, result.explanation or message)
            self._count("paused")
            return "auth"
        if outcome in ("retry", "quota"):
            retry_at = result.retry_at or now + timedelta(minutes=5)
            text = f"{message} {result.explanation}".strip()
            self.store.transition(
                post.id, PostState.RETRY_WAIT, actor=self.worker,
                reason=f"{outcome}: {text}", next_attempt_at=retry_at, last_error=text[:2000],
            )
            self._count("retrying")
            return outcome
        text = f"{message} {result.explanation}".strip()
        self.store.transition(
            post.id, PostState.FAILED, actor=self.worker, reason=text,
            last_error=text[:2000],
        )
        log.warning("post %s dead-lettered: %s", post.id, text)
        self._count("failed")
        return "failed"

    # -- per-account ordering ---------------------------------------------------------------
    def _run_accounts(self, posts: Sequence[Post], recovering: bool = False) -> None:
        groups: dict[str, list[Post]] = defaultdict(list)
        for p in sorted(posts, key=lambda p: (p.scheduled_at, p.id)):
            groups[p.account].append(p)
        if not groups:
            return
        if self.concurrency <= 1 or len(groups) == 1:
            for items in groups.values():
                self._run_account(items, recovering)
            return
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(groups))) as pool:
            for f in [pool.submit(self._run_account, items, recovering)
                      for items in groups.values()]:
                f.result()

    def _run_account(self, posts: list[Post], recovering: bool) -> None:
        """In slot order; a quota or auth stop holds the account's later posts back."""
        blocked: tuple[str, datetime | None] | None = None
        for post in posts:
            if blocked is not None and not post.container_id:
                self._hold(post, *blocked)
                continue
            try:
                outcome = self.publish_post(post, recovering=recovering)
            except IllegalTransition as exc:  # another worker moved it first
                log.info("post %s skipped: %s", post.id, exc)
                continue
            if outcome in ("quota", "auth", "paused"):
                at = self.store.get_post(post.id).next_attempt_at
                blocked = (f"waiting behind post {post.id} ({outcome})", at)

    def _hold(self, post: Post, why: str, at: datetime | None) -> None:
        if at is None:
            self.store.transition(post.id, PostState.SCHEDULED, actor=self.worker,
                                  reason=why, expect=PostState.PUBLISHING,
                                  attempts=max(0, post.attempts - 1))
        else:
            self.store.transition(post.id, PostState.RETRY_WAIT, actor=self.worker,
                                  reason=why, next_attempt_at=at,
                                  expect=PostState.PUBLISHING,
                                  attempts=max(0, post.attempts - 1))
        self._count("deferred")

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self.counts, name, getattr(self.counts, name) + 1)

    # -- scheduling helpers ----------------------------------------------------------------
    def next_due(self) -> datetime | None:
        """When the next waiting post becomes due (None: nothing waits)."""
        times = []
        for p in self.store.posts(states=[PostState.SCHEDULED, PostState.RETRY_WAIT]):
            if self.store.is_paused(p.account)[0]:
                continue
            times.append(max(p.scheduled_at - self.publish_lead,
                             p.next_attempt_at or p.scheduled_at))
        return min(times) if times else None

    def pending(self) -> int:
        return len(self.store.posts(states=list(_WAITING)))

    def run(
        self,
        *,
        until_idle: bool = False,
        poll_s: float = 1.0,
        stop: Callable[[], bool] | None = None,
        max_wait_s: float = 60.0,
    ) -> PassCounts:
        """Recover, then publish as posts fall due. `until_idle`: stop once nothing is due
        now (what waits for a later slot or retry stays queued for the next run)."""
        self.recover()
        while not (stop and stop()):
            n = self.publish_due()
            if n:
                continue
            nxt = self.next_due()
            now = self.clock.now()
            if until_idle and (nxt is None or nxt > now + timedelta(seconds=poll_s)):
                break
            wait = poll_s if nxt is None else (nxt - now).total_seconds()
            self.clock.sleep(max(0.01, min(wait, poll_s, max_wait_s)))
        return self.counts


def _human(delta: timedelta) -> str:
    s = int(delta.total_seconds())
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60} min"
    if s >= 60:
        return f"{s // 60} min"
    return f"{s} s"
