"""The approval workflow: the one place where people (dashboard, REST API) and the auto-approver
approve, reject, edit or reschedule a post.

Every action goes through the store's state machine and writes an audit entry (who, when,
what changed, before and after), so nothing about a post changes without a trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from contentloop.domain import (
    TRANSITIONS,
    Account,
    Clock,
    ContentloopError,
    IllegalTransition,
    NotFound,
    Post,
    PostState,
    Severity,
    Variant,
    utc,
)
from contentloop.store import Store
from contentloop.store.web_repo import AuditEntry, WebRepo

from .guard import Guard
from .settings import PolicySettings

S = PostState
#: States a post may be rescheduled in: everything not yet handed to Instagram.
RESCHEDULABLE = frozenset({S.PLANNED, S.DRAFTED, S.IN_REVIEW, S.APPROVED, S.REJECTED,
                           S.RENDERED, S.SCHEDULED, S.RETRY_WAIT, S.FAILED})
CAPTION_INPUT_MAX = 10_000


class ApprovalError(ContentloopError):
    """An approval action cannot be done; the message says why and what to do instead."""


class PolicyBlocked(ApprovalError):
    def __init__(self, variant_id: str, rules: Sequence[str]) -> None:
        self.variant_id = variant_id
        self.rules = tuple(rules)
        super().__init__(f"variant {variant_id} is blocked by {', '.join(rules)}; edit the "
                         "caption until no rule blocks, then approve")


class SlotTaken(ApprovalError):
    def __init__(self, account: str, when: datetime) -> None:
        super().__init__(f"{account} already has a post at {when.isoformat()}; pick another time")


@dataclass(frozen=True, slots=True)
class EditResult:
    post: Post
    variant: Variant


def _summary(post: Post, variant: Variant | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"state": post.state.value, "variant_id": post.variant_id,
                           "scheduled_at": post.scheduled_at.isoformat()}
    if variant is not None:
        out["caption"] = variant.caption
        out["verdicts"] = [f"{v.severity.value}:{v.rule}" for v in variant.verdicts]
    return out


class Approvals:
    """Approve / reject / edit / reschedule posts, with guard re-checks and an audit trail."""

    def __init__(
        self,
        store: Store,
        accounts: Sequence[Account],
        *,
        policies: Mapping[str, PolicySettings] | None = None,
        guard_for: Callable[[Account, Sequence[str]], Guard] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.repo = WebRepo(store)
        self.clock = clock or store.clock
        self.accounts = {a.handle: a for a in accounts}
        self.policies = dict(policies or {})
        self._guard_for = guard_for

    # -- helpers ----------------------------------------------------------------------------
    def account(self, handle: str) -> Account:
        try:
            return self.accounts[handle]
        except KeyError:
            raise NotFound(f"account {handle!r} is not configured") from None

    def guard(self, acc: Account, recent: Sequence[str]) -> Guard:
        if self._guard_for is not None:
            return self._guard_for(acc, recent)
        return Guard.default(acc, recent_captions=recent, settings=self.policies.get(acc.handle))

    def _variant(self, post: Post, variant_id: str | None) -> Variant:
        variants = self.store.variants(post.id)
        if not variants:
            raise ApprovalError(f"post {post.id} has no variants yet (state {post.state.value})")
        wanted = variant_id or post.variant_id
        if wanted:
            for v in variants:
                if v.id == wanted:
                    return v
            raise NotFound(f"variant {wanted!r} does not belong to post {post.id!r}")
        clean = [v for v in variants if not v.blocked] or variants
        return max(clean, key=lambda v: v.score)

    def _audit(self, post: Post, actor: str, action: str, reason: str,
               before: dict[str, Any], after: dict[str, Any]) -> None:
        self.repo.add_audit(AuditEntry(post.id, post.account, self.clock.now(), actor, action,
                                       reason, before, after))

    # -- actions ----------------------------------------------------------------------------
    def approve(self, post_id: str, *, actor: str, variant_id: str | None = None,
                reason: str = "") -> Post:
        """in_review -> approved with one variant chosen; refused when a rule blocks it."""
        post = self.store.get_post(post_id)
        if post.state is not S.IN_REVIEW:
            raise IllegalTransition(post_id, post.state.value, S.APPROVED.value,
                                    TRANSITIONS[post.state])
        variant = self._variant(post, variant_id)
        blocks = sorted({v.rule for v in variant.verdicts if v.severity is Severity.BLOCK})
        if blocks:
            raise PolicyBlocked(variant.id, blocks)
        before = _summary(post, variant)
        variants = self.store.variants(post_id)
        for v in variants:
            v.chosen = v.id == variant.id
        self.store.save_variants(variants)
        done = self.store.transition(
            post_id, S.APPROVED, actor=actor, reason=reason or f"approved {variant.id}",
            expect=S.IN_REVIEW, variant_id=variant.id, format=variant.format,
        )
        self._audit(done, actor, "approve", reason, before, _summary(done, variant))
        return done

    def reject(self, post_id: str, *, actor: str, reason: str = "") -> Post:
        """Stop a post: in_review -> rejected; an approved or scheduled post goes back through
        in_review first (both moves recorded), so one click stops anything not yet sent."""
        post = self.store.get_post(post_id)
        before = _summary(post)
        why = reason or "rejected"
        if post.state is not S.IN_REVIEW:
            if S.IN_REVIEW not in TRANSITIONS[post.state]:
                raise IllegalTransition(post_id, post.state.value, S.REJECTED.value,
                                        TRANSITIONS[post.state])
            self.store.transition(post_id, S.IN_REVIEW, actor=actor, expect=post.state,
                                  reason=f"stopped: {why}")
        done = self.store.transition(post_id, S.REJECTED, actor=actor, reason=why,
                                     expect=S.IN_REVIEW)
        self._audit(done, actor, "reject", reason, before, _summary(done))
        return done

    def edit_caption(self, post_id: str, caption: str, *, actor: str,
                     variant_id: str | None = None, reason: str = "") -> EditResult:
        """Change a variant's caption, re-check every variant with the guard, and put the
        post (back) in review: an edited post is never published without a fresh decision."""
        caption = caption.replace("\r\n", "\n").strip()
        if not caption:
            raise ApprovalError("the caption cannot be empty")
        if len(caption) > CAPTION_INPUT_MAX:
            raise ApprovalError(f"the caption has {len(caption)} characters; at most "
                                f"{CAPTION_INPUT_MAX} are accepted (Instagram allows 2,200)")
        post = self.store.get_post(post_id)
        if post.state is not S.IN_REVIEW and S.IN_REVIEW not in TRANSITIONS[post.state]:
            raise IllegalTransition(post_id, post.state.value, S.IN_REVIEW.value,
                                    TRANSITIONS[post.state])
        target = self._variant(post, variant_id)
        before = _summary(post, target)
        acc = self.account(post.account)
        recent = [c for c in self.store.recent_captions(
            acc.handle, self.clock.now() - timedelta(days=90)) if c != target.caption]
        guard = self.guard(acc, recent)
        variants = self.store.variants(post_id)
        for v in variants:
            if v.id == target.id:
                v.caption = caption
            v.verdicts = list(guard.review(v, acc))
        self.store.save_variants(variants)
        edited = next(v for v in variants if v.id == target.id)
        if post.state is not S.IN_REVIEW:
            post = self.store.transition(post_id, S.IN_REVIEW, actor=actor, expect=post.state,
                                         reason=f"caption of {edited.id} edited")
        self._audit(post, actor, "edit", reason, before, _summary(post, edited))
        return EditResult(post, edited)

    def reschedule(self, post_id: str, when: datetime, *, actor: str, reason: str = "") -> Post:
        """Move a post to another time (UTC-aware), if it has not been handed to Instagram."""
        when = utc(when)
        post = self.store.get_post(post_id)
        if post.state not in RESCHEDULABLE:
            raise ApprovalError(f"post {post_id} is {post.state.value}; only posts not yet "
                                "handed to Instagram can be rescheduled")
        if when <= self.clock.now():
            raise ApprovalError(f"{when.isoformat()} is in the past; pick a future time")
        acc = self.account(post.account)
        local_date = when.astimezone(ZoneInfo(acc.timezone)).date().isoformat()
        before = _summary(post)
        try:
            self.store.update_post(post_id, scheduled_at=when, local_date=local_date)
        except IntegrityError:
            raise SlotTaken(post.account, when) from None
        done = self.store.get_post(post_id)
        self._audit(done, actor, "reschedule", reason, before, _summary(done))
        return done

    # -- the automatic approver's decisions -------------------------------------------------
    def record_auto(self, post_id: str, chosen: Variant | None, reason: str,
                    actor: str = "policy:auto") -> None:
        """Note what the auto-approver decided (approved a variant, or queued for a human)."""
        post = self.store.get_post(post_id)
        after = _summary(post, chosen)
        if chosen is not None:
            after["warnings"] = [v.reason for v in chosen.verdicts
                                 if v.severity is Severity.WARN]
        self._audit(post, actor, "auto_approve" if chosen else "queued", reason,
                    {"state": S.IN_REVIEW.value}, after)


__all__ = ["ApprovalError", "Approvals", "EditResult", "PolicyBlocked", "RESCHEDULABLE",
           "SlotTaken"]
