"""Publishing queries and moves on top of the Store: lateness, dead letters, requeue, claim."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from ..domain import IllegalTransition, Post, PostState, utc
from .repo import Store
from .tables import AccountRow, PostRow
from .tables_publish import PublishLatenessRow, PublishOptionsRow

_WAITING = (PostState.SCHEDULED.value, PostState.RETRY_WAIT.value)


@dataclass(frozen=True, slots=True)
class Lateness:
    post_id: str
    account: str
    scheduled_at: datetime
    done_at: datetime
    lateness_s: float
    outcome: str  # published | skipped
    reason: str = ""


def record_lateness(
    store: Store, post: Post, done_at: datetime, outcome: str = "published", reason: str = ""
) -> float:
    """Note how late a post left the queue (idempotent: a recovered post keeps its first row)."""
    late = (done_at - post.scheduled_at).total_seconds()
    with store.session() as s:
        if s.get(PublishLatenessRow, post.id) is None:
            s.add(
                PublishLatenessRow(
                    post_id=post.id, account=post.account, scheduled_at=post.scheduled_at,
                    done_at=done_at, lateness_s=late, outcome=outcome, reason=reason[:2000],
                )
            )
    return late


def lateness(store: Store, account: str | None = None) -> list[Lateness]:
    with store.session() as s:
        q = select(PublishLatenessRow)
        if account:
            q = q.where(PublishLatenessRow.account == account)
        rows = s.scalars(q.order_by(PublishLatenessRow.scheduled_at))
        return [
            Lateness(r.post_id, r.account, utc(r.scheduled_at), utc(r.done_at), r.lateness_s,
                     r.outcome, r.reason)
            for r in rows
        ]


def dead_letters(store: Store, account: str | None = None) -> list[Post]:
    """Posts that failed for good (state `failed`), each with its reason in `last_error`."""
    return store.posts(account=account, states=[PostState.FAILED])


def requeue(store: Store, post_id: str, *, actor: str, at: datetime | None = None) -> Post:
    """Put a failed or waiting post back in the queue, due at `at` (default: now)."""
    post = store.get_post(post_id)
    at = at or store.clock.now()
    if post.state not in (PostState.FAILED, PostState.RETRY_WAIT, PostState.SCHEDULED):
        raise IllegalTransition(post_id, post.state.value, PostState.SCHEDULED.value,
                                frozenset({"failed", "retry_wait", "scheduled"}))
    if post.state is PostState.SCHEDULED:
        store.update_post(post_id, next_attempt_at=at)
        return store.get_post(post_id)
    return store.transition(
        post_id, PostState.SCHEDULED, actor=actor, reason="requeued by an operator",
        next_attempt_at=at, expect=post.state,
    )


def claim_one(store: Store, post_id: str, *, worker: str) -> Post:
    """Claim one post now, whatever its slot (for `publish now`); `expect` guards races."""
    post = store.get_post(post_id)
    return store.transition(
        post_id, PostState.PUBLISHING, actor=worker, reason="published now by an operator",
        expect=post.state, attempts=post.attempts + 1, claimed_by=worker,
    )


# -- two-phase publishing ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiting:
    """A queued post, as the scheduler needs it (no variant, no assets)."""

    post_id: str
    account: str
    scheduled_at: datetime
    next_attempt_at: datetime | None
    prepared: bool  # a container id is journalled

    def due_at(self) -> datetime:
        return max(self.scheduled_at, self.next_attempt_at or self.scheduled_at)


def waiting(store: Store, *, skip_paused: bool = True) -> list[Waiting]:
    """Posts in `scheduled`/`retry_wait`, oldest slot first (one light query)."""
    with store.session() as s:
        q = (
            select(PostRow.id, PostRow.account, PostRow.scheduled_at, PostRow.next_attempt_at,
                   PostRow.container_id)
            .where(PostRow.state.in_(_WAITING))
            .order_by(PostRow.scheduled_at, PostRow.id)
        )
        if skip_paused:
            paused = select(AccountRow.handle).where(AccountRow.paused.is_(True))
            q = q.where(PostRow.account.not_in(paused))
        return [
            Waiting(pid, acc, utc(at), utc(nxt) if nxt else None, bool(cid))
            for pid, acc, at, nxt, cid in s.execute(q)
        ]


def to_prepare(store: Store, now: datetime, lead: timedelta, limit: int = 200) -> list[Post]:
    """Waiting posts without a container whose slot (or retry) is within `lead` of `now`."""
    ids = [w.post_id for w in waiting(store)
           if not w.prepared and w.due_at() - lead <= now][:limit]
    return [store.get_post(i) for i in ids]


def keep_prepared(store: Store, post_id: str, container_id: str) -> bool:
    """Journal a container made ahead of the slot, only while the post still waits.

    One conditional UPDATE: once a publisher has claimed the post (`publishing`) its own
    container is the recovery key and must never be overwritten.
    """
    with store.session() as s:
        res = s.execute(
            update(PostRow)
            .where(PostRow.id == post_id, PostRow.state.in_(_WAITING),
                   PostRow.container_id.is_(None))
            .values(container_id=container_id)
        )
        return bool(getattr(res, "rowcount", 0))


# -- what a post carries besides caption and media ---------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishOptions:
    """Alt text, user tags, location, collaborators and a first comment for one post."""

    alt_text: str | None = None
    slide_alt_texts: Sequence[str | None] = ()
    user_tags: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    location_id: str | None = None
    collaborators: Sequence[str] = ()
    first_comment: str | None = None

    def __post_init__(self) -> None:
        if len(self.collaborators) > 3:
            raise ValueError("Instagram allows at most 3 collaborators per post")
        for t in self.user_tags:
            if not t.get("username"):
                raise ValueError(f"a user tag needs a username: {dict(t)}")
            for k in ("x", "y"):
                if k in t and not 0.0 <= float(t[k]) <= 1.0:
                    raise ValueError(f"user tag {k} must be within 0-1: {dict(t)}")
        if self.alt_text is not None and len(self.alt_text) > 1000:
            raise ValueError("alt text is limited to 1000 characters")


def set_publish_options(store: Store, post_id: str, options: PublishOptions) -> None:
    with store.session() as s:
        s.merge(PublishOptionsRow(
            post_id=post_id, alt_text=options.alt_text,
            slide_alt_texts=list(options.slide_alt_texts),
            user_tags=[dict(t) for t in options.user_tags], location_id=options.location_id,
            collaborators=list(options.collaborators), first_comment=options.first_comment,
        ))


def get_publish_options(store: Store, post_id: str) -> PublishOptions | None:
    with store.session() as s:
        row = s.get(PublishOptionsRow, post_id)
        if row is None:
            return None
        return PublishOptions(
            alt_text=row.alt_text, slide_alt_texts=tuple(row.slide_alt_texts or ()),
            user_tags=tuple(row.user_tags or ()), location_id=row.location_id,
            collaborators=tuple(row.collaborators or ()), first_comment=row.first_comment,
        )
