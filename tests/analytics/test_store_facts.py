"""The batched store reads behind the report: post facts, generation cost, trend age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contentloop.analytics.service import decisions_as_of, results_from_store
from contentloop.domain import (
    Account,
    Decision,
    Format,
    MetricSnapshot,
    Post,
    PostState,
    SimulatedClock,
    TrendSignal,
    Variant,
)
from contentloop.store import Store
from contentloop.store.analytics_repo import save_snapshots
from contentloop.store.creative_repo import record_usage

T0 = datetime(2026, 2, 2, 7, 0, tzinfo=UTC)


def _post(store: Store, i: int, generator: str, trend: str | None = None) -> str:
    at = T0 + timedelta(hours=6 * i)
    pid = f"p{i}"
    store.add_post(Post(pid, "acme", at.date().isoformat(), at, state=PostState.PUBLISHED,
                        format=Format.IMAGE))
    store.save_variants([Variant(f"v{i}", pid, "acme", Format.IMAGE, "Hook", "question",
                                 f"Hook {i}\nbody", [], pillar="tips", trend=trend,
                                 chosen=True, generator=generator)])
    store.update_post(pid, variant_id=f"v{i}")
    store.record_published(pid, f"m{i}", at)
    return pid


def test_cost_trend_age_and_latest_snapshot(db_url: str) -> None:
    clock = SimulatedClock(T0 + timedelta(days=3))
    store = Store(db_url, clock)
    try:
        acc = Account(handle="acme", timezone="Europe/Berlin")
        store.ensure_account(acc)
        store.add_signals("acme", [TrendSignal("rss", "Cold Brew", "t", T0 - timedelta(hours=5))])
        llm = _post(store, 0, "llm", trend="cold brew")
        tpl = _post(store, 1, "template")
        unknown = _post(store, 2, "llm")
        for cost in (0.002, 0.003):
            record_usage(store, account="acme", post_id=llm, engine="llm", outcome="ok",
                         cost_usd=cost)
        snaps = [MetricSnapshot(llm, "m0", clock.now(), age, {"reach": 10.0 * age})
                 for age in (1.0, 24.0, 6.0)]
        assert save_snapshots(store, snaps) == 3
        assert save_snapshots(store, snaps) == 0  # idempotent per (post, age)
        results = {r.post_id: r for r in results_from_store(store, acc, T0, T0 + timedelta(
            days=7))}
        assert abs(results[llm].generation_cost - 0.005) < 1e-9
        assert results[tpl].generation_cost == 0.0
        assert results[unknown].generation_cost is None  # LLM post without usage rows
        assert results[llm].metrics["reach"] == 240.0  # the oldest-age snapshot wins
        assert results[llm].trend_age_h == 5.0
        assert results[tpl].trend_age_h is None
        assert results[llm].hour_local == 8 and results[llm].weekday_local == 0  # Berlin
    finally:
        store.close()


def test_decisions_as_of_a_past_week(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = SimulatedClock(T0)
    store = Store(f"sqlite:///{tmp_path / 'd.db'}", clock)
    try:
        old, new = T0, T0 + timedelta(days=8)
        store.save_decisions([
            Decision("acme", "format", "image", "old", {"image": 1.0}, old),
            Decision("acme", "pause", "pillar:tips", "rule", {}, old),
            Decision("acme", "pause", "pillar:gear", "rule", {}, old),
            Decision("acme", "format", "reel", "new", {"reel": 1.0}, new),
        ])
        past = decisions_as_of(store, "acme", T0 + timedelta(days=1))
        assert (past[0].kind, past[0].choice) == ("format", "image")
        assert {d.choice for d in past[1:]} == {"pillar:tips", "pillar:gear"}  # both pauses
        assert [d.choice for d in decisions_as_of(store, "acme", new + timedelta(1))] == ["reel"]
    finally:
        store.close()
