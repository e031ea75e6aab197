"""A real account, store and loop for the weekly-plan tests (no fakes: template generator,
real guard, real store)."""

from __future__ import annotations

from dataclasses import replace

from contentloop.creative import TemplateGenerator
from contentloop.domain import (
    Account,
    ApprovalMode,
    BrandProfile,
    Format,
    Opportunity,
    Pillar,
    PostingWindow,
)
from contentloop.orchestrator.learning import Learner
from contentloop.orchestrator.loop import Loop
from contentloop.policy import Guard
from contentloop.store import Store

PILLARS = ("tips", "recipes", "behind")


def account(handle: str = "acme") -> Account:
    return Account(
        handle=handle, niche="coffee", timezone="Europe/Berlin",
        brand=BrandProfile(pillars=tuple(Pillar(p) for p in PILLARS)),
        posting_windows=(PostingWindow("08:00", "10:00"), PostingWindow("12:00", "14:00"),
                         PostingWindow("18:00", "21:00")),
        posts_per_day=1, variants_per_day=3, approval_mode=ApprovalMode.MANUAL,
        formats=(Format.IMAGE, Format.CAROUSEL, Format.REEL),
    )


def learner(store: Store, seed: int = 3) -> Learner:
    return Learner(store=store, clock=store.clock, results_for=lambda _a, _s: [], seed=seed)


def loop(store: Store, acc: Account, optimizer: Learner) -> Loop:
    def unused(*_a: object, **_k: object) -> object:
        raise AssertionError("not used by plan/generate")

    return Loop(store=store, clock=store.clock, accounts=[acc], generator=TemplateGenerator(5),
                guard_for=lambda a, recent: Guard.default(a, recent_captions=recent),
                approve=unused, renderer=None, publisher_for=unused,  # type: ignore[arg-type]
                insights_for=unused, media_url=unused, optimizer=optimizer)  # type: ignore[arg-type]


def opportunities(store: Store, acc: Account) -> None:
    """One fresh opportunity per pillar (the paused one included), so the generator could
    pick any pillar from trends too."""
    store.ensure_account(acc)
    store.save_opportunities([
        Opportunity(id=f"o-{p}-{i}", account=acc.handle, topic=topic, score=1.0 - 0.1 * i,
                    explanation="test", pillar=p)
        for i, (p, topic) in enumerate(zip(PILLARS * 2, (
            "cold brew ratio", "oat milk latte recipe", "roastery visit", "grinder setting",
            "iced mocha recipe", "our team cupping"), strict=True))
    ])


def with_handle(acc: Account, handle: str) -> Account:
    return replace(acc, handle=handle)
