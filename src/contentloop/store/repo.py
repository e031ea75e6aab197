"""The store: the single source of truth every stage reads from and writes to.

Each state change of a post is one transaction that checks the domain state machine and
records the transition, so any stage can be rerun or resumed after a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..domain import (
    Account,
    Asset,
    Beat,
    Clock,
    Decision,
    Format,
    MetricSnapshot,
    NotFound,
    Opportunity,
    Post,
    PostState,
    PublishAttempt,
    Severity,
    Transition,
    TrendSignal,
    Variant,
    Verdict,
    check_transition,
    utc,
)
from .db import make_engine, upgrade
from .tables import (
    AccountMetricRow,
    AccountRow,
    AssetRow,
    DecisionRow,
    MetricSnapshotRow,
    OpportunityRow,
    PostRow,
    PublishAttemptRow,
    ReportRow,
    SecretRow,
    SignalRow,
    TransitionRow,
    VariantRow,
)


def _post(row: PostRow) -> Post:
    return Post(
        id=row.id,
        account=row.account,
        local_date=row.local_date,
        scheduled_at=utc(row.scheduled_at),
        state=PostState(row.state),
        format=Format(row.format) if row.format else None,
        variant_id=row.variant_id,
        container_id=row.container_id,
        media_id=row.media_id,
        attempts=row.attempts,
        next_attempt_at=utc(row.next_attempt_at) if row.next_attempt_at else None,
        last_error=row.last_error,
        published_at=utc(row.published_at) if row.published_at else None,
    )


def _variant(row: VariantRow) -> Variant:
    return Variant(
        id=row.id,
        post_id=row.post_id,
        account=row.account,
        format=Format(row.format),
        hook=row.hook,
        hook_style=row.hook_style,
        caption=row.caption,
        hashtags=list(row.hashtags),
        pillar=row.pillar,
        trend=row.trend,
        opportunity_id=row.opportunity_id,
        beats=[Beat(**b) for b in row.beats],
        slides=list(row.slides),
        visual_prompt=row.visual_prompt,
        score=row.score,
        verdicts=[Verdict(v["rule"], Severity(v["severity"]), v["reason"]) for v in row.verdicts],
        chosen=row.chosen,
        sponsored=row.sponsored,
        generator=row.generator,
    )


class Store:
    """Repositories over one database (SQLite by default, PostgreSQL for scale-out)."""

    def __init__(self, url: str, clock: Clock, *, migrate: bool = True) -> None:
        self.url = url
        self.clock = clock
        self.engine: Engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()

    # -- accounts ---------------------------------------------------------------------------
    def ensure_account(self, account: Account) -> None:
        with self.session() as s:
            row = s.get(AccountRow, account.handle)
            if row is None:
                s.add(
                    AccountRow(
                        handle=account.handle,
                        ig_user_id=account.ig_user_id,
                        timezone=account.timezone,
                        paused=False,
                        paused_reason="",
                        followers=0,
                    )
                )
            else:
                row.timezone = account.timezone
                if account.ig_user_id:
                    row.ig_user_id = account.ig_user_id

    def set_ig_user_id(self, handle: str, ig_user_id: str) -> None:
        with self.session() as s:
            row = s.get(AccountRow, handle)
            if row is None:
                raise NotFound(f"account {handle!r} is not in the store")
            row.ig_user_id = ig_user_id

    def ig_user_id(self, handle: str) -> str:
        with self.session() as s:
            row = s.get(AccountRow, handle)
            return row.ig_user_id if row else ""

    def set_paused(self, handle: str, paused: bool, reason: str = "") -> None:
        with self.session() as s:
            row = s.get(AccountRow, handle)
            if row is None:
                raise NotFound(f"account {handle!r} is not in the store")
            row.paused, row.paused_reason = paused, reason

    def is_paused(self, handle: str) -> tuple[bool, str]:
        with self.session() as s:
            row = s.get(AccountRow, handle)
            return (row.paused, row.paused_reason) if row else (False, "")

    # -- signals and opportunities -------------------------------------------------------------
    def add_signals(self, account: str, signals: Iterable[TrendSignal]) -> int:
        """Store new signals; one already seen (same source, title and URL) is skipped."""
        n = 0
        with self.session() as s:
            seen = set(
                s.execute(
                    select(SignalRow.source, SignalRow.title, SignalRow.url).where(
                        SignalRow.account == account
                    )
                ).tuples()
            )
            for sig in signals:
                key = (sig.source, sig.title, sig.url)
                if key in seen:
                    continue
                seen.add(key)
                s.add(
                    SignalRow(
                        account=account,
                        source=sig.source,
                        term=sig.term[:300],
                        title=sig.title,
                        url=sig.url,
                        observed_at=sig.observed_at,
                        volume=sig.volume,
                        engagement=sig.engagement,
                        payload={"summary": sig.summary[:2000], "tags": list(sig.tags)},
                    )
                )
                n += 1
        return n

    def signals(self, account: str, since: datetime | None = None) -> list[TrendSignal]:
        with self.session() as s:
            q = select(SignalRow).where(SignalRow.account == account)
            if since is not None:
                q = q.where(SignalRow.observed_at >= since)
            return [
                TrendSignal(
                    source=r.source,
                    term=r.term,
                    title=r.title,
                    observed_at=utc(r.observed_at),
                    url=r.url,
                    summary=r.payload.get("summary", ""),
                    tags=tuple(r.payload.get("tags", ())),
                    volume=r.volume,
                    engagement=r.engagement,
                )
                for r in s.scalars(q.order_by(SignalRow.observed_at))
            ]

    def save_opportunities(self, opportunities: Iterable[Opportunity]) -> None:
        now = self.clock.now()
        with self.session() as s:
            for o in opportunities:
                s.merge(
                    OpportunityRow(
                        id=o.id,
                        account=o.account,
                        topic=o.topic,
                        score=o.score,
                        explanation=o.explanation,
                        pillar=o.pillar,
                        evidence=[dict(e) for e in o.evidence],
                        tags=list(o.tags),
                        created_at=now,
                    )
                )

    def opportunities(self, account: str, limit: int = 20) -> list[Opportunity]:
        with self.session() as s:
            rows = s.scalars(
                select(OpportunityRow)
                .where(OpportunityRow.account == account)
                .order_by(OpportunityRow.created_at.desc(), OpportunityRow.score.desc())
                .limit(limit)
            )
            return [
                Opportunity(
                    id=r.id,
                    account=r.account,
                    topic=r.topic,
                    score=r.score,
                    explanation=r.explanation,
                    evidence=tuple(r.evidence),
                    tags=tuple(r.tags),
                    pillar=r.pillar,
                )
                for r in rows
            ]

    # -- posts ----------------------------------------------------------------------------------
    def add_post(self, post: Post, actor: str = "planner") -> bool:
        """Insert a planned post; False (and nothing written) if its slot already exists."""
        now = self.clock.now()
        try:
            with self.session() as s:
                s.add(
                    PostRow(
                        id=post.id,
                        account=post.account,
                        local_date=post.local_date,
                        scheduled_at=post.scheduled_at,
                        state=post.state.value,
                        format=post.format.value if post.format else None,
                        attempts=0,
                        last_error="",
                        created_at=now,
                        updated_at=now,
                    )
                )
                s.flush()
                s.add(
                    TransitionRow(
                        post_id=post.id,
                        from_state="",
                        to_state=post.state.value,
                        at=now,
                        actor=actor,
                        reason="slot planned",
                    )
                )
        except IntegrityError:
            return False
        return True

    def get_post(self, post_id: str) -> Post:
        with self.session() as s:
            row = s.get(PostRow, post_id)
            if row is None:
                raise NotFound(f"post {post_id!r} does not exist")
            return _post(row)

    def posts(
        self,
        account: str | None = None,
        states: Sequence[PostState] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[Post]:
        with self.session() as s:
            q = select(PostRow)
            if account:
                q = q.where(PostRow.account == account)
            if states:
                q = q.where(PostRow.state.in_([st.value for st in states]))
            if start:
                q = q.where(PostRow.scheduled_at >= start)
            if end:
                q = q.where(PostRow.scheduled_at < end)
            return [_post(r) for r in s.scalars(q.order_by(PostRow.scheduled_at, PostRow.id))]

    def transition(
        self,
        post_id: str,
        target: PostState,
        *,
        actor: str,
        reason: str = "",
        expect: PostState | None = None,
        **fields: Any,
    ) -> Post:
        """Move a post through the state machine and record it, in one transaction.

        `expect` guards against a concurrent worker having moved the post first.
        """
        now = self.clock.now()
        with self.session() as s:
            q = select(PostRow).where(PostRow.id == post_id)
            if self.is_postgres:
                q = q.with_for_update()
            row = s.scalars(q).one_or_none()
            if row is None:
                raise NotFound(f"post {post_id!r} does not exist")
            if expect is not None and row.state != expect.value:
                from ..domain import IllegalTransition

                raise IllegalTransition(post_id, row.state, target.value, frozenset({expect.value}))
            check_transition(post_id, row.state, target)
            s.add(
                TransitionRow(
                    post_id=post_id,
                    from_state=row.state,
                    to_state=target.value,
                    at=now,
                    actor=actor,
                    reason=reason[:2000],
                )
            )
            row.state = target.value
            row.updated_at = now
            for k, v in fields.items():
                if not hasattr(row, k):
                    raise AttributeError(f"posts has no column {k!r}")
                setattr(row, k, v.value if isinstance(v, Format | PostState) else v)
            return _post(row)

    def update_post(self, post_id: str, **fields: Any) -> None:
        """Change non-state columns (e.g. the journalled container id)."""
        if "state" in fields:
            raise ValueError("use transition() to change a post's state")
        with self.session() as s:
            row = s.get(PostRow, post_id)
            if row is None:
                raise NotFound(f"post {post_id!r} does not exist")
            for k, v in fields.items():
                setattr(row, k, v.value if isinstance(v, Format) else v)
            row.updated_at = self.clock.now()

    def transitions(self, post_id: str) -> list[Transition]:
        with self.session() as s:
            rows = s.scalars(
                select(TransitionRow)
                .where(TransitionRow.post_id == post_id)
                .order_by(TransitionRow.id)
            )
            return [
                Transition(
                    post_id=r.post_id,
                    from_state=PostState(r.from_state) if r.from_state else PostState.PLANNED,
                    to_state=PostState(r.to_state),
                    at=utc(r.at),
                    actor=r.actor,
                    reason=r.reason,
                )
                for r in rows
            ]

    def claim_due(self, now: datetime, *, worker: str, limit: int = 50) -> list[Post]:
        """Atomically move due posts to `publishing` so no two workers take the same one.

        PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite serialises writers anyway.
        """
        claimed: list[Post] = []
        with self.session() as s:
            q = (
                select(PostRow)
                .where(PostRow.state.in_([PostState.SCHEDULED.value, PostState.RETRY_WAIT.value]))
                .where(PostRow.scheduled_at <= now)
                .order_by(PostRow.scheduled_at)
                .limit(limit)
            )
            if self.is_postgres:
                q = q.with_for_update(skip_locked=True)
            for row in s.scalars(q):
                if row.next_attempt_at is not None and utc(row.next_attempt_at) > now:
                    continue
                check_transition(row.id, row.state, PostState.PUBLISHING)
                s.add(
                    TransitionRow(
                        post_id=row.id,
                        from_state=row.state,
                        to_state=PostState.PUBLISHING.value,
                        at=now,
                        actor=worker,
                        reason="due",
                    )
                )
                row.state = PostState.PUBLISHING.value
                row.claimed_by = worker
                row.attempts += 1
                row.updated_at = now
                claimed.append(_post(row))
        return claimed

    def stale_publishing(self) -> list[Post]:
        """Posts a dead worker left in `publishing`: to be recovered, never re-posted blindly."""
        return self.posts(states=[PostState.PUBLISHING])

    # -- variants --------------------------------------------------------------------------------
    def save_variants(self, variants: Iterable[Variant]) -> None:
        with self.session() as s:
            for v in variants:
                s.merge(
                    VariantRow(
                        id=v.id,
                        post_id=v.post_id,
                        account=v.account,
                        format=v.format.value,
                        hook=v.hook,
                        hook_style=v.hook_style,
                        caption=v.caption,
                        hashtags=list(v.hashtags),
                        pillar=v.pillar,
                        trend=v.trend,
                        opportunity_id=v.opportunity_id,
                        beats=[
                            {
                                "start_s": b.start_s,
                                "end_s": b.end_s,
                                "on_screen": b.on_screen,
                                "voice_over": b.voice_over,
                                "role": b.role,
                            }
                            for b in v.beats
                        ],
                        slides=list(v.slides),
                        visual_prompt=v.visual_prompt,
                        score=v.score,
                        verdicts=[x.to_dict() for x in v.verdicts],
                        chosen=v.chosen,
                        sponsored=v.sponsored,
                        generator=v.generator,
                    )
                )

    def variants(self, post_id: str) -> list[Variant]:
        with self.session() as s:
            rows = s.scalars(
                select(VariantRow).where(VariantRow.post_id == post_id).order_by(VariantRow.id)
            )
            return [_variant(r) for r in rows]

    def get_variant(self, variant_id: str) -> Variant:
        with self.session() as s:
            row = s.get(VariantRow, variant_id)
            if row is None:
                raise NotFound(f"variant {variant_id!r} does not exist")
            return _variant(row)

    def recent_captions(self, account: str, since: datetime) -> list[str]:
        with self.session() as s:
            q = (
                select(VariantRow.caption)
                .join(PostRow, PostRow.id == VariantRow.post_id)
                .where(VariantRow.account == account)
                .where(VariantRow.chosen.is_(True))
                .where(PostRow.scheduled_at >= since)
            )
            return list(s.scalars(q))

    def recent_trends(self, account: str, since: datetime) -> set[str]:
        """Trend topics that chosen variants of recent posts already covered (lowercase)."""
        with self.session() as s:
            q = (
                select(VariantRow.trend)
                .join(PostRow, PostRow.id == VariantRow.post_id)
                .where(VariantRow.account == account)
                .where(VariantRow.chosen.is_(True))
                .where(VariantRow.trend.is_not(None))
                .where(PostRow.scheduled_at >= since)
            )
            return {t.lower() for t in s.scalars(q) if t}

    # -- assets ----------------------------------------------------------------------------------
    def save_assets(self, post_id: str, assets: Sequence[Asset]) -> None:
        with self.session() as s:
            s.execute(delete(AssetRow).where(AssetRow.post_id == post_id))
            for i, a in enumerate(assets):
                s.add(
                    AssetRow(
                        post_id=post_id,
                        sha256=a.sha256,
                        path=a.path,
                        mime=a.mime,
                        width=a.width,
                        height=a.height,
                        duration_s=a.duration_s,
                        role=a.role,
                        position=i,
                    )
                )

    def assets(self, post_id: str) -> list[Asset]:
        with self.session() as s:
            rows = s.scalars(
                select(AssetRow).where(AssetRow.post_id == post_id).order_by(AssetRow.position)
            )
            return [
                Asset(r.sha256, r.path, r.mime, r.width, r.height, r.duration_s, r.role)
                for r in rows
            ]

    def referenced_asset_hashes(self) -> set[str]:
        with self.session() as s:
            return set(s.scalars(select(AssetRow.sha256)))

    # -- publishing journal (the Publisher's PublishJournal) ------------------------------------
    def record_container(self, post_id: str, container_id: str) -> None:
        """Durably note the container before `media_publish` is called (crash recovery key)."""
        self.update_post(post_id, container_id=container_id)

    def record_published(self, post_id: str, media_id: str, at: datetime) -> None:
        self.update_post(post_id, media_id=media_id, published_at=at)

    def record_attempt(self, attempt: PublishAttempt) -> None:
        with self.session() as s:
            s.add(
                PublishAttemptRow(
                    post_id=attempt.post_id,
                    at=attempt.at,
                    outcome=attempt.outcome,
                    error_class=attempt.error_class,
                    error_code=attempt.error_code,
                    error_subcode=attempt.error_subcode,
                    message=attempt.message[:4000],
                )
            )

    def attempts(self, post_id: str) -> list[PublishAttempt]:
        with self.session() as s:
            rows = s.scalars(
                select(PublishAttemptRow)
                .where(PublishAttemptRow.post_id == post_id)
                .order_by(PublishAttemptRow.id)
            )
            return [
                PublishAttempt(
                    r.post_id, utc(r.at), r.outcome, r.error_class, r.error_code,
                    r.error_subcode, r.message,
                )
                for r in rows
            ]

    # -- metrics ---------------------------------------------------------------------------------
    def save_snapshot(self, snap: MetricSnapshot) -> bool:
        """Store one insights snapshot; idempotent per (post, age)."""
        with self.session() as s:
            exists = s.scalars(
                select(MetricSnapshotRow.id)
                .where(MetricSnapshotRow.post_id == snap.post_id)
                .where(MetricSnapshotRow.age_hours == snap.age_hours)
            ).first()
            if exists is not None:
                return False
            s.add(
                MetricSnapshotRow(
                    post_id=snap.post_id,
                    media_id=snap.media_id,
                    at=snap.at,
                    age_hours=snap.age_hours,
                    metrics=dict(snap.metrics),
                )
            )
        return True

    def snapshots(self, post_id: str | None = None) -> list[MetricSnapshot]:
        with self.session() as s:
            q = select(MetricSnapshotRow)
            if post_id:
                q = q.where(MetricSnapshotRow.post_id == post_id)
            return [
                MetricSnapshot(r.post_id, r.media_id, utc(r.at), r.age_hours, dict(r.metrics))
                for r in s.scalars(
                    q.order_by(MetricSnapshotRow.post_id, MetricSnapshotRow.age_hours)
                )
            ]

    def latest_metrics(self, post_id: str) -> dict[str, float]:
        snaps = self.snapshots(post_id)
        return dict(snaps[-1].metrics) if snaps else {}

    def save_account_metric(
        self,
        account: str,
        day: str,
        metric: str,
        value: float,
        payload: dict[str, Any] | None = None,
    ) -> None:
        with self.session() as s:
            row = s.scalars(
                select(AccountMetricRow)
                .where(AccountMetricRow.account == account)
                .where(AccountMetricRow.day == day)
                .where(AccountMetricRow.metric == metric)
            ).first()
            if row is None:
                s.add(
                    AccountMetricRow(
                        account=account, day=day, metric=metric, value=value, payload=payload or {}
                    )
                )
            else:
                row.value, row.payload = value, payload or {}

    def account_metrics(self, account: str, metric: str) -> list[tuple[str, float, dict[str, Any]]]:
        with self.session() as s:
            rows = s.scalars(
                select(AccountMetricRow)
                .where(AccountMetricRow.account == account)
                .where(AccountMetricRow.metric == metric)
                .order_by(AccountMetricRow.day)
            )
            return [(r.day, r.value, dict(r.payload)) for r in rows]

    # -- decisions and reports ---------------------------------------------------------------------
    def save_decisions(self, decisions: Iterable[Decision]) -> None:
        with self.session() as s:
            for d in decisions:
                s.add(
                    DecisionRow(
                        account=d.account,
                        kind=d.kind,
                        choice=d.choice,
                        reason=d.reason,
                        probabilities=dict(d.probabilities),
                        made_at=d.made_at,
                    )
                )

    def decisions(self, account: str, latest_only: bool = True) -> list[Decision]:
        with self.session() as s:
            rows = list(
                s.scalars(
                    select(DecisionRow)
                    .where(DecisionRow.account == account)
                    .order_by(DecisionRow.made_at.desc(), DecisionRow.id.desc())
                )
            )
        out: list[Decision] = []
        seen: set[tuple[str, str]] = set()
        last_pause = next((r.made_at for r in rows if r.kind == "pause"), None)
        for r in rows:
            # One decision per dimension; pauses are per level, all from the latest round
            # (several can hold at once, and one that was not renewed has ended).
            key = (r.kind, r.choice if r.kind == "pause" else "")
            if latest_only and (key in seen or (r.kind == "pause" and r.made_at != last_pause)):
                continue
            seen.add(key)
            out.append(
                Decision(
                    r.account, r.kind, r.choice, r.reason, dict(r.probabilities), utc(r.made_at)
                )
            )
        return out

    def save_report(self, week_start: str, body: dict[str, Any]) -> None:
        with self.session() as s:
            s.add(ReportRow(week_start=week_start, created_at=self.clock.now(), body=body))

    def latest_report(self) -> dict[str, Any] | None:
        with self.session() as s:
            row = s.scalars(select(ReportRow).order_by(ReportRow.id.desc())).first()
            return dict(row.body) if row else None

    # -- secrets (ciphertext only) --------------------------------------------------------------
    def put_secret(self, name: str, ciphertext: str, expires_at: datetime | None = None) -> None:
        with self.session() as s:
            s.merge(
                SecretRow(
                    name=name, ciphertext=ciphertext, expires_at=expires_at,
                    updated_at=self.clock.now(),
                )
            )

    def get_secret(self, name: str) -> tuple[str, datetime | None] | None:
        with self.session() as s:
            row = s.get(SecretRow, name)
            if row is None:
                return None
            return row.ciphertext, utc(row.expires_at) if row.expires_at else None
