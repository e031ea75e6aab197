"""Publishing queries and moves on top of the Store: lateness, dead letters, requeue, claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..domain import IllegalTransition, Post, PostState, utc
from .repo import Store
from .tables_publish import PublishLatenessRow


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
