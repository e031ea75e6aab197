"""The publish stage: claim due posts, publish each exactly once, map outcomes to states.

Two-phase publishing: within `publish_lead` of its slot a post's container is created and
waited on until FINISHED, then journalled while the post still waits (`keep_prepared`);
at the slot, and never before it, only `media_publish` remains (the Publisher resumes from
a journalled FINISHED container). Containers live 24 h; an expired one is made again.

Outcome -> state: published -> `published` (lateness recorded); retry/throttle/quota ->
`retry_wait` at the publisher's retry time; auth -> the account is paused and the post goes
back to `scheduled` (its queue stays intact); anything else -> `failed` (the dead letter)
with the API's message and a plain-language fix. Posts of one account go out in slot order;
after downtime a post first claimed more than `grace` after its slot is skipped with a reason.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..domain import Asset, Clock, Format, IllegalTransition, Post, PostState, Variant
from ..publish.publisher import PublishJob, PublishResult
from ..store import Store
from ..store.publish_repo import (
    get_publish_options,
    keep_prepared,
    record_lateness,
    to_prepare,
    waiting,
)

log = logging.getLogger("contentloop.publishing")

_WAITING = (PostState.SCHEDULED, PostState.RETRY_WAIT, PostState.PUBLISHING)


def make_job(
    store: Store,
    post: Post,
    media_url: Callable[[str], str],
    publish_lead: timedelta = timedelta(0),
    *,
    hashtags_in_first_comment: bool = False,
) -> PublishJob:
    """Build a PublishJob from the store: the chosen variant's caption, the assets' URLs,
    and the post's publish options (alt text, tags, location, collaborators, comment).

    Without stored alt text, images get the text drawn on them (hook, slide texts): screen
    readers then say what the picture says. `hashtags_in_first_comment` moves the variant's
    hashtags out of the caption into the first comment.
    """
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
    caption, comment = variant.caption, None
    if hashtags_in_first_comment and variant.hashtags:
        caption, comment = split_hashtags(variant.caption, variant.hashtags)
    opts = get_publish_options(store, post.id)
    if fmt in (Format.IMAGE, Format.CAROUSEL):
        kwargs["alt_text"] = (opts.alt_text if opts and opts.alt_text else
                              _alt_from_text(variant.hook))
        if fmt is Format.CAROUSEL:
            given = list(opts.slide_alt_texts) if opts else []
            post_alt = opts.alt_text if opts else None
            kwargs["slide_alt_texts"] = [
                (given[i] if i < len(given) and given[i] else post_alt or
                 _alt_from_text(variant.slides[i] if i < len(variant.slides) else ""))
                for i in range(len(kwargs.get("slide_urls", [])))
            ]
    if opts is not None:
        kwargs.update(user_tags=tuple(opts.user_tags), location_id=opts.location_id,
                      collaborators=tuple(opts.collaborators))
        if fmt is Format.STORY:  # the API takes none of these on stories (reference 1.2)
            kwargs.update(location_id=None, collaborators=())
        comment = "\n\n".join(c for c in (opts.first_comment, comment) if c) or None
    return PublishJob(
        post_id=post.id,
        ig_user_id=store.ig_user_id(post.account),
        format=fmt,
        caption=caption,
        container_id=post.container_id,
        attempt=max(0, post.attempts - 1),
        not_before=post.scheduled_at - publish_lead,
        first_comment=comment,
        **kwargs,
    )


def split_hashtags(caption: str, hashtags: Sequence[str]) -> tuple[str, str]:
    """(caption without the given hashtags, the hashtags as one comment line)."""
    tags = ["#" + h.lstrip("#") for h in hashtags if h.strip("#")]
    wanted = {t.lower() for t in tags}
    kept = re.sub(r"(?<!\w)#\w+", lambda m: "" if m.group(0).lower() in wanted else m.group(0),
                  caption)
    kept = re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", kept)).strip()
    return kept, " ".join(tags)


def _alt_from_text(text: str) -> str | None:
    text = " ".join((text or "").split())
    return f"Image with the text: {text}"[:1000] if text else None


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
    _prep_tried: set[str] = field(default_factory=set, repr=False)
    #: post id -> (container, attempts when prepared): proof no claim has used it since
    _fresh: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False)

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
        """One pass: publish what is due now (never before its slot), then prepare the
        containers of posts due within `publish_lead`. Returns how many were published."""
        if self.before_pass is not None:
            self.before_pass()
        posts = self.store.claim_due(self.clock.now(), worker=self.worker, limit=self.batch)
        self._run_accounts(posts)
        self.prepare_due()
        return len(posts)

    def prepare_due(self, limit: int | None = None) -> int:
        """Phase one for posts due within `publish_lead`; returns how many were journalled."""
        if self.publish_lead <= timedelta(0):
            return 0
        posts = [p for p in to_prepare(self.store, self.clock.now(), self.publish_lead,
                                       limit or self.batch) if p.id not in self._prep_tried]
        groups: dict[str, list[Post]] = defaultdict(list)
        for p in posts:
            groups[p.account].append(p)
        kept = [0]

        def one_account(items: list[Post]) -> None:
            for p in items:
                if self.prepare_post(p):
                    with self._lock:
                        kept[0] += 1

        self._each(list(groups.values()), one_account)
        return kept[0]

    def prepare_post(self, post: Post) -> bool:
        """Create and wait for one waiting post's container; True if it was journalled."""
        with self._lock:
            if post.id in self._prep_tried:
                return False
            self._prep_tried.add(post.id)
        return self._prepare(post)

    def _prepare(self, post: Post) -> bool:
        try:
            job = self.job_for(post)
            prepared = self.publisher_for(post.account).prepare(
                job, lambda pid, cid: keep_prepared(self.store, pid, cid))
        except Exception as exc:  # the slot's publish will meet and classify it
            log.warning("post %s: preparing its container failed: %s", post.id, exc)
            return False
        if prepared.kept and prepared.container_id:
            with self._lock:
                self._fresh[post.id] = (prepared.container_id, post.attempts)
        return prepared.kept

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
        with self._lock:
            fresh = self._fresh.pop(post.id, None)
        # Claimed once since phase one (claims count attempts) and the same container: no
        # media_publish can have seen it, so the slot needs only that one call.
        if (fresh is not None and not recovering and post.container_id == fresh[0]
                and post.attempts == fresh[1] + 1):
            job = replace(job, container_ready=True)
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
        self._each(list(groups.values()), lambda items: self._run_account(items, recovering))

    def _each(self, groups: list[list[Post]], work: Callable[[list[Post]], None]) -> None:
        if not groups:
            return
        if self.concurrency <= 1 or len(groups) == 1:
            for items in groups:
                work(items)
            return
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(groups))) as pool:
            for f in [pool.submit(work, items) for items in groups]:
                f.result()

    def _run_account(self, posts: list[Post], recovering: bool) -> None:
        """In slot order; a quota or auth stop holds the account's later posts back."""
        blocked: _Block = None
        for post in posts:
            blocked = self._step(post, recovering, blocked)

    def _step(self, post: Post, recovering: bool, blocked: _Block) -> _Block:
        """Publish one claimed post unless an earlier stop of its account holds it back."""
        if blocked is not None and not post.container_id:
            self._hold(post, *blocked)
            return blocked
        try:
            outcome = self.publish_post(post, recovering=recovering)
        except IllegalTransition as exc:  # another worker moved it first
            log.info("post %s skipped: %s", post.id, exc)
            return blocked
        if outcome in ("quota", "auth", "paused"):
            at = self.store.get_post(post.id).next_attempt_at
            return (f"waiting behind post {post.id} ({outcome})", at)
        return blocked

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
        """The next moment there is work: a slot or retry, or a container to prepare."""
        return self._next_due(waiting(self.store))

    def _forget_gone(self, queued: Sequence[Any]) -> None:
        """Bound the in-memory marks of a long-running worker to posts still waiting."""
        with self._lock:
            if len(self._prep_tried) + len(self._fresh) <= 2 * len(queued) + 1000:
                return
            alive = {w.post_id for w in queued}
            self._prep_tried &= alive
            self._fresh = {k: v for k, v in self._fresh.items() if k in alive}

    def _next_due(self, queued: Sequence[Any]) -> datetime | None:
        times = []
        for w in queued:
            times.append(w.due_at())
            if self.publish_lead > timedelta(0) and not w.prepared \
                    and w.post_id not in self._prep_tried:
                times.append(w.due_at() - self.publish_lead)
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
        before_pass_every: timedelta = timedelta(minutes=1),
    ) -> PassCounts:
        """Recover, then publish as posts fall due. `until_idle`: stop once nothing is due
        now (what waits for a later slot or retry stays queued for the next run).

        No pass barrier: each account has a lane (one thread at a time, slot order) fed by
        this dispatcher, which wakes at the next slot; a slow account never delays another.
        """
        self.recover()
        lanes = _Lanes(self)
        last_before: datetime | None = None
        try:
            while not (stop and stop()):
                now = self.clock.now()
                if self.before_pass is not None and (
                        last_before is None or now - last_before >= before_pass_every):
                    self.before_pass()
                    last_before = now
                claimed = self.store.claim_due(now, worker=self.worker, limit=self.batch)
                for post in sorted(claimed, key=lambda p: (p.scheduled_at, p.id)):
                    lanes.publish(post)
                queued = waiting(self.store)
                self._forget_gone(queued)
                if self.publish_lead > timedelta(0):
                    for w in queued:
                        if w.prepared or w.due_at() - self.publish_lead > now:
                            continue
                        with self._lock:
                            if w.post_id in self._prep_tried:
                                continue
                            self._prep_tried.add(w.post_id)
                        lanes.prepare(self.store.get_post(w.post_id))
                if claimed:
                    continue
                nxt = self._next_due(queued)
                now = self.clock.now()
                if until_idle and lanes.idle() and (
                        nxt is None or nxt > now + timedelta(seconds=poll_s)):
                    break
                wait = poll_s if nxt is None else (nxt - now).total_seconds()
                lanes.pause(max(0.0, min(wait, poll_s, max_wait_s)))
        finally:
            lanes.close()
        return self.counts


_Block = tuple[str, datetime | None] | None


class _Lanes:
    """One queue per account, drained by at most one pool thread at a time: publishes
    first (slot order), then container preparations."""

    def __init__(self, stage: PublishStage) -> None:
        self.stage = stage
        self.pool = ThreadPoolExecutor(max_workers=max(1, stage.concurrency),
                                       thread_name_prefix="publish-lane")
        self.cond = threading.Condition()
        self.pub: dict[str, deque[Post]] = defaultdict(deque)
        self.prep: dict[str, deque[Post]] = defaultdict(deque)
        self.busy: set[str] = set()
        self.futures: list[Future[None]] = []

    def publish(self, post: Post) -> None:
        self._add(self.pub, post)

    def prepare(self, post: Post) -> None:
        self._add(self.prep, post)

    def _add(self, queues: dict[str, deque[Post]], post: Post) -> None:
        with self.cond:
            queues[post.account].append(post)
            if post.account in self.busy:
                return
            self.busy.add(post.account)
        self.futures = [f for f in self.futures if not f.done()]
        self.futures.append(self.pool.submit(self._drain, post.account))

    def _drain(self, account: str) -> None:
        blocked: _Block = None
        while True:
            with self.cond:
                if self.pub[account]:
                    kind, post = "publish", self.pub[account].popleft()
                elif self.prep[account]:
                    kind, post = "prepare", self.prep[account].popleft()
                else:
                    self.busy.discard(account)
                    self.cond.notify_all()
                    return
            try:
                if kind == "publish":
                    blocked = self.stage._step(post, False, blocked)
                else:
                    blocked = None
                    self.stage._prepare(post)
            except Exception:  # keep the lane alive; the post stays claimed for recovery
                log.exception("post %s: %s failed unexpectedly", post.id, kind)

    def idle(self) -> bool:
        with self.cond:
            return not self.busy

    def pause(self, seconds: float) -> None:
        """Wait `seconds` of clock time; while lanes work, never move a simulated clock
        (their calls take wall time), just wait for them a little."""
        clock = self.stage.clock
        with self.cond:
            working = bool(self.busy)
            if working:
                factor = getattr(clock, "factor", None)
                if isinstance(factor, int | float) and factor > 0:
                    wall = seconds / factor
                elif hasattr(clock, "advance"):  # SimulatedClock: time moves only when told
                    wall = 0.02
                else:
                    wall = seconds
                self.cond.wait(timeout=max(0.001, wall))
                return
        clock.sleep(max(0.01, seconds))

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for f in self.futures:
            f.result()


def _human(delta: timedelta) -> str:
    s = int(delta.total_seconds())
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60} min"
    if s >= 60:
        return f"{s // 60} min"
    return f"{s} s"
