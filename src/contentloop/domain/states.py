"""The post state machine: the only way a post's state changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .errors import IllegalTransition


class PostState(StrEnum):
    PLANNED = "planned"
    DRAFTED = "drafted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    RENDERED = "rendered"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    RETRY_WAIT = "retry_wait"
    PUBLISHED = "published"
    FAILED = "failed"


S = PostState

#: Allowed moves. `failed` may be requeued by an operator; `rejected` goes back to review
#: after an edit. `published` is final.
TRANSITIONS: dict[PostState, frozenset[PostState]] = {
    S.PLANNED: frozenset({S.DRAFTED, S.FAILED}),
    S.DRAFTED: frozenset({S.IN_REVIEW, S.FAILED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.REJECTED}),
    S.REJECTED: frozenset({S.IN_REVIEW}),
    S.APPROVED: frozenset({S.RENDERED, S.FAILED, S.IN_REVIEW}),
    S.RENDERED: frozenset({S.SCHEDULED, S.FAILED, S.IN_REVIEW}),
    S.SCHEDULED: frozenset({S.PUBLISHING, S.FAILED, S.IN_REVIEW}),
    S.PUBLISHING: frozenset({S.PUBLISHED, S.RETRY_WAIT, S.FAILED, S.SCHEDULED}),
    S.RETRY_WAIT: frozenset({S.PUBLISHING, S.FAILED, S.SCHEDULED}),
    S.PUBLISHED: frozenset(),
    S.FAILED: frozenset({S.SCHEDULED, S.IN_REVIEW}),
}

FINAL_STATES = frozenset({S.PUBLISHED})


@dataclass(frozen=True, slots=True)
class Transition:
    """One recorded state change: who moved the post, when, and why."""

    post_id: str
    from_state: PostState
    to_state: PostState
    at: datetime
    actor: str
    reason: str = ""


def check_transition(post_id: str, current: PostState | str, target: PostState | str) -> None:
    """Raise IllegalTransition unless `current -> target` is an allowed move."""
    cur, tgt = PostState(current), PostState(target)
    allowed = TRANSITIONS[cur]
    if tgt not in allowed:
        raise IllegalTransition(post_id, cur.value, tgt.value, frozenset(a.value for a in allowed))
