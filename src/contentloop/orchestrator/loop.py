"""The stage sequence: each stage reads its input from the store and writes its output back.

Any stage can therefore be rerun, resumed after a crash, or run on another worker; the
store's state machine, not the caller, decides what is left to do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from ..analytics.insights import SNAPSHOT_AGES_H, due_snapshots, sync_media
from ..analytics.kpis import PostResult
from ..domain import (
    Account,
    ApprovalMode,
    Asset,
    Clock,
    Format,
    MetricSnapshot,
    Opportunity,
    Post,
    PostState,
    Variant,
)
from ..store import Store
from .planner import local_today, plan_calendar
from .publishing import PublishStage, make_job

log = structlog.get_logger(__name__)

PRODUCT_TYPE = {
    Format.IMAGE: "FEED",
    Format.CAROUSEL: "FEED",
    Format.REEL: "REELS",
    Format.STORY: "STORY",
}


@dataclass
class StageCounts:
    """What one pass of the loop did, for progress displays and logs."""

    planned: int = 0
    drafted: int = 0
    approved: int = 0
    awaiting_approval: int = 0
    rendered: int = 0
    render_failed: int = 0
    published: int = 0
    retrying: int = 0
    failed: int = 0
    snapshots: int = 0

    def add(self, other: StageCounts) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))


@dataclass
class Loop:
    """One account set's content loop, wired to real stage components."""

    store: Store
    clock: Clock
    accounts: Sequence[Account]
    generator: Any  # creative.Generator
    guard_for: Callable[[Account, Sequence[str]], Any]  # -> policy.Guard
    approve: Callable[[Sequence[Variant], Account], tuple[Variant | None, str]]
    renderer: Any  # render.Renderer
    publisher_for: Callable[[str], Any]  # handle -> publish.Publisher
    insights_for: Callable[[str], Any]  # handle -> analytics InsightsSource
    media_url: Callable[[str], str]  # local path -> URL the Graph API can fetch
    optimizer: Any = None  # optimize facade (preferences, decide)
    on_decision: Any = None  # (post_id, chosen | None, reason) -> None: the approval audit log
    worker: str = "loop"
    horizon_days: int = 7
    publish_lead: timedelta = timedelta(minutes=0)
    hashtags_in_first_comment: bool = False
    counts: StageCounts = field(default_factory=StageCounts)
    _publishing: PublishStage | None = field(default=None, repr=False)
    #: (account, now, [(file, role)]) -> publish.preflight.PreflightReport; None: skip
    preflight: Callable[[str, datetime, list[tuple[Path, str]]], Any] | None = None
    #: post id -> (next insights try, current backoff): no data yet means "ask later", not
    #: "ask again at once" (the API has up to 48 h delay and a call budget).
    insights_backoff: dict[str, tuple[datetime, timedelta]] = field(default_factory=dict)

    def account(self, handle: str) -> Account:
        for a in self.accounts:
            if a.handle == handle:
                return a
        raise KeyError(handle)

    # -- plan ------------------------------------------------------------------------------
    def plan(self, days: int | None = None) -> int:
        """Create the rolling calendar's missing slots; existing slots are left alone."""
        now = self.clock.now()
        n = 0
        for acc in self.accounts:
            weights = self.optimizer.hour_weights(acc) if self.optimizer else None
            horizon = days or self.horizon_days
            # One spare day: when today's windows have passed, the calendar still has
            # `horizon` local dates.
            candidates = plan_calendar(acc, local_today(acc, now), horizon + 1,
                                       hour_weights=weights)
            future = [p for p in candidates if p.scheduled_at > now]
            dates = sorted({p.local_date for p in future})[:horizon]
            for post in future:
                if post.local_date in dates and self.store.add_post(post, actor="planner"):
                    n += 1
        self.counts.planned += n
        return n

    # -- generate ----------------------------------------------------------------------------
    def generate(self) -> int:
        """Variants for every planned post; each post leads with a trend not used this week.

        All of an account's planned posts go to the generator in one batch, so an engine
        that can (the LLM one) keeps its calls in flight together.
        """
        from ..creative.llm_engine import GenerationJob

        n = 0
        for acc in self.accounts:
            posts = self.store.posts(acc.handle, states=[PostState.PLANNED])
            if not posts:
                continue
            opportunities = self.store.opportunities(acc.handle, limit=20)
            gen_acc = acc  # a person's weekly plan can switch formats and pillars off
            if callable(getattr(self.optimizer, "restrict", None)):
                gen_acc, opportunities = self.optimizer.restrict(acc, opportunities)
            recent = self.store.recent_captions(acc.handle, self.clock.now() - timedelta(days=90))
            prefs = self.optimizer.preferences(acc) if self.optimizer else None
            used = self.store.recent_trends(acc.handle, self.clock.now() - timedelta(days=7))
            fresh = [o for o in opportunities if o.topic.lower() not in used]
            jobs = [
                GenerationJob(gen_acc, post, _lead_with(fresh, k), acc.variants_per_day,
                              recent_captions=recent, preferences=prefs)
                for k, post in enumerate(posts)
            ]
            batch = getattr(self.generator, "generate_batch", None)
            results = batch(jobs) if callable(batch) else [
                self.generator.generate(j.account, j.post, j.opportunities, j.n,
                                        recent_captions=j.recent_captions,
                                        preferences=j.preferences)
                for j in jobs
            ]
            for post, variants in zip(posts, results, strict=True):
                self.store.save_variants(variants)
                self.store.transition(
                    post.id, PostState.DRAFTED, actor=f"generator:{variants[0].generator}",
                    reason=f"{len(variants)} variants",
                )
                n += 1
        self.counts.drafted += n
        return n

    # -- review ------------------------------------------------------------------------------
    def review(self) -> int:
        n = 0
        for acc in self.accounts:
            recent = self.store.recent_captions(acc.handle, self.clock.now() - timedelta(days=90))
            guard = self.guard_for(acc, recent)
            for post in self.store.posts(acc.handle, states=[PostState.DRAFTED]):
                variants = self.store.variants(post.id)
                for v in variants:
                    v.verdicts = list(guard.review(v, acc))
                self.store.save_variants(variants)
                self.store.transition(
                    post.id, PostState.IN_REVIEW, actor="policy", reason="checked"
                )
                self._decide_approval(acc, post, variants)
                n += 1
        return n

    def _decide_approval(self, acc: Account, post: Post, variants: list[Variant]) -> None:
        if acc.approval_mode is ApprovalMode.MANUAL:
            self.counts.awaiting_approval += 1
            return
        chosen, reason = self.approve(variants, acc)
        if chosen is None:
            self.counts.awaiting_approval += 1
            log.info("review.needs_human", post=post.id, reason=reason)
        else:
            self.approve_variant(post.id, chosen.id, actor="policy:auto", reason=reason)
        if self.on_decision is not None:
            self.on_decision(post.id, chosen, reason)

    def approve_variant(self, post_id: str, variant_id: str, *, actor: str, reason: str) -> None:
        """Approve one variant of a post (used by auto-approval, the CLI and the dashboard)."""
        variants = self.store.variants(post_id)
        if not any(v.id == variant_id for v in variants):
            raise KeyError(f"variant {variant_id!r} does not belong to post {post_id!r}")
        for v in variants:
            v.chosen = v.id == variant_id
        self.store.save_variants(variants)
        chosen = next(v for v in variants if v.chosen)
        self.store.transition(
            post_id, PostState.APPROVED, actor=actor, reason=reason,
            variant_id=variant_id, format=chosen.format,
        )
        self.counts.approved += 1

    # -- render and schedule ---------------------------------------------------------------------
    def render(self) -> int:
        n = 0
        for acc in self.accounts:
            for post in self.store.posts(acc.handle, states=[PostState.APPROVED]):
                assert post.variant_id is not None
                variant = self.store.get_variant(post.variant_id)
                try:
                    assets: list[Asset] = list(self.renderer.render(variant, acc.brand))
                except Exception as exc:  # a failed render fails that post, never the run
                    self.store.transition(
                        post.id, PostState.FAILED, actor="renderer",
                        reason=f"render failed: {exc}", last_error=str(exc)[:2000],
                    )
                    self.counts.render_failed += 1
                    continue
                self.store.save_assets(post.id, assets)
                self.store.transition(
                    post.id, PostState.RENDERED, actor="renderer",
                    reason=", ".join(f"{a.role}:{a.width}x{a.height}" for a in assets),
                )
                if self.preflight is not None:
                    media = [(Path(a.path), a.role) for a in assets]
                    report = self.preflight(acc.handle, self.clock.now(), media)
                    if not report.ok:
                        why = f"pre-flight: {report.reason()}"
                        self.store.transition(post.id, PostState.FAILED, actor="preflight",
                                              reason=why, last_error=why[:2000])
                        self.counts.failed += 1
                        continue
                self.store.transition(post.id, PostState.SCHEDULED, actor="scheduler",
                                      reason=f"due {post.scheduled_at.isoformat()}")
                n += 1
        self.counts.rendered += n
        return n

    # -- publish ---------------------------------------------------------------------------------
    @property
    def publishing(self) -> PublishStage:
        """The publish stage (exactly-once, lateness, grace window, per-account order)."""
        if self._publishing is None:
            self._publishing = PublishStage(
                store=self.store,
                clock=self.clock,
                publisher_for=self.publisher_for,
                job_for=lambda post: make_job(
                    self.store, post, self.media_url, self.publish_lead,
                    hashtags_in_first_comment=self.hashtags_in_first_comment),
                worker=self.worker,
                publish_lead=self.publish_lead,
            )
        return self._publishing

    def recover(self) -> int:
        """Resume posts a dead worker left in `publishing`: ask the API before publishing again."""
        return self._counted(self.publishing.recover)

    def publish_due(self) -> int:
        return self._counted(self.publishing.publish_due)

    def publish_claimed(self, post: Post, *, recovering: bool = False) -> None:
        """Publish one post this worker has claimed (`publishing`); used by queue tasks."""
        self._counted(lambda: self.publishing.publish_post(post, recovering=recovering))

    def _counted(self, step: Callable[[], Any]) -> Any:
        c = self.publishing.counts
        before = (c.published, c.retrying, c.failed + c.skipped)
        out = step()
        self.counts.published += c.published - before[0]
        self.counts.retrying += c.retrying - before[1]
        self.counts.failed += c.failed + c.skipped - before[2]
        return out

    # -- analyze ---------------------------------------------------------------------------------
    def sync_insights(self) -> int:
        now = self.clock.now()
        n = 0
        for post in self.store.posts(states=[PostState.PUBLISHED]):
            if not post.media_id or not post.published_at:
                continue
            taken = [s.age_hours for s in self.store.snapshots(post.id)]
            due = due_snapshots(post.published_at, now, taken)
            if not due:
                continue
            retry_at, backoff = self.insights_backoff.get(post.id, (now, timedelta(0)))
            if now < retry_at:
                continue
            source = self.insights_for(post.account)
            product = PRODUCT_TYPE[post.format or Format.IMAGE]
            result = sync_media(source, post.media_id, product)
            if not result.ok:
                backoff = min(max(backoff * 2, timedelta(minutes=30)), timedelta(hours=12))
                self.insights_backoff[post.id] = (now + backoff, backoff)
                continue
            self.insights_backoff.pop(post.id, None)
            for age in due:
                if self.store.save_snapshot(
                    MetricSnapshot(post.id, post.media_id, now, float(age), dict(result))
                ):
                    n += 1
        self.counts.snapshots += n
        return n

    def sync_accounts(self) -> int:
        """Daily account metrics (reach, views, followers, online_followers ...); idempotent."""
        from ..analytics.account_sync import SYNCED_MARKER, sync_account

        saved = 0
        for acc in self.accounts:
            done = self.store.account_metrics(acc.handle, SYNCED_MARKER)
            result = sync_account(
                self.insights_for(acc.handle), self.store.ig_user_id(acc.handle), acc.handle,
                self.clock.now(), done[-1][0] if done else None, self.store.save_account_metric,
            )
            saved += result.saved
        return saved

    def results(self, account: Account, since: datetime | None = None) -> list[PostResult]:
        """Every planned post since `since` with its latest metrics (the KPI input)."""
        tz = ZoneInfo(account.timezone)
        out: list[PostResult] = []
        for post in self.store.posts(account.handle, start=since, end=self.clock.now()):
            variant = self.store.get_variant(post.variant_id) if post.variant_id else None
            duration = sum(a.duration_s for a in self.store.assets(post.id) if a.role == "main")
            out.append(
                PostResult(
                    post_id=post.id,
                    media_id=post.media_id or "",
                    account=account.handle,
                    format=(variant.format if variant else post.format or Format.IMAGE),
                    pillar=variant.pillar if variant else "",
                    hook_style=variant.hook_style if variant else "",
                    hour_local=post.scheduled_at.astimezone(tz).hour,
                    published_at=post.published_at,
                    metrics=self.store.latest_metrics(post.id),
                    caption=variant.caption if variant else "",
                    planned=True,
                    duration_s=duration,
                )
            )
        return out

    # -- one pass ----------------------------------------------------------------------------------

    def next_wakeup(self, after: datetime) -> datetime | None:
        """The next moment anything is due: a scheduled post, a retry, or an insights snapshot."""
        candidates: list[datetime] = []
        for post in self.store.posts(states=[PostState.SCHEDULED, PostState.RETRY_WAIT]):
            retry_at = post.next_attempt_at or post.scheduled_at
            # Unprepared posts wake the loop `publish_lead` early (phase one: the container);
            # prepared ones at their slot: nothing is published before it.
            lead = timedelta(0) if post.container_id else self.publish_lead
            candidates.append(max(post.scheduled_at, retry_at) - lead)
        for post in self.store.posts(states=[PostState.PUBLISHED]):
            if post.published_at is None:
                continue
            taken = {s.age_hours for s in self.store.snapshots(post.id)}
            retry_at = self.insights_backoff.get(post.id, (post.published_at, None))[0]
            for age in SNAPSHOT_AGES_H:
                if float(age) not in taken:
                    candidates.append(max(post.published_at + timedelta(hours=age), retry_at))
                    break
        future = [c for c in candidates if c > after]
        due_now = [c for c in candidates if c <= after]
        if due_now:
            return after
        return min(future) if future else None


def _lead_with(opportunities: Sequence[Opportunity], k: int) -> list[Opportunity]:
    """The k-th post of a batch leads with the k-th opportunity (ranked first), the rest after.

    Without this every post of a week would open with the same top trend.
    """
    if not opportunities:
        return []
    lead = opportunities[k % len(opportunities)]
    top = max(o.score for o in opportunities)
    return [replace(lead, score=top * 1.01 + 1e-9), *(o for o in opportunities if o is not lead)]
