"""Real data for the dashboard tests: posts drafted by the template generator, reviewed by
the real guard, left in review (manual approval), in a real store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from contentloop.config import sandbox_account
from contentloop.creative import TemplateGenerator
from contentloop.domain import Account, ApprovalMode, Opportunity, Post, PostState
from contentloop.policy import Guard
from contentloop.store import Store

TOPICS = ["cold brew ratios", "pour over bloom", "espresso grind size", "decaf myths"]


def manual_account(handle: str = "sandbox_coffee") -> Account:
    acc = sandbox_account().to_domain()
    return replace(acc, handle=handle, approval_mode=ApprovalMode.MANUAL)


def seed(store: Store, account: Account, n: int = 3, start: datetime | None = None,
         seed: int = 7) -> list[Post]:
    """n posts, one a day from `start` at 08:00 UTC, each with 3 reviewed variants."""
    start = start or store.clock.now().replace(hour=8, minute=0, second=0, microsecond=0)
    store.ensure_account(account)
    gen = TemplateGenerator(seed)
    guard = Guard.default(account)
    posts = []
    for i in range(n):
        when = (start + timedelta(days=i + 1)).astimezone(UTC)
        post = Post(id=f"{account.handle}-{when.date().isoformat()}-0", account=account.handle,
                    local_date=when.date().isoformat(), scheduled_at=when)
        store.add_post(post)
        opp = Opportunity(id=f"o{i}", account=account.handle, topic=TOPICS[i % len(TOPICS)],
                          score=1.0, explanation="test")
        variants = gen.generate(account, post, [opp], 3, recent_captions=[])
        for v in variants:
            v.verdicts = guard.review(v, account)
        store.save_variants(variants)
        store.transition(post.id, PostState.DRAFTED, actor="generator")
        posts.append(store.transition(post.id, PostState.IN_REVIEW, actor="policy"))
    return posts
