"""The trends stage as one call per account: fetch → store signals → record health → score.

Used by `contentloop trends ingest` (and usable by the loop): the store is the only state,
so a rerun continues where the last one left off (ETag state aside).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from contentloop.config import Settings
from contentloop.domain.clock import Clock, utc
from contentloop.domain.models import Account, Opportunity, TrendSignal
from contentloop.store import Store
from contentloop.store.trends_repo import StoreHashtagBudget, record_outcomes, source_health

from .ingest import IngestReport, ingest
from .registry import SourceContext, account_specs, build_sources, default_name
from .scoring import ScoringConfig, score_opportunities, signal_terms
from .source import TrendSource

HISTORY_DAYS = 7


@dataclass(slots=True)
class AccountIngest:
    """One account's pass: the ingest report, how many signals were new, what was scored."""

    account: str
    report: IngestReport
    stored: int = 0
    opportunities: list[Opportunity] = field(default_factory=list)

    @property
    def any_source_worked(self) -> bool:
        return any(o.ok for o in self.report.outcomes)


def term_history(
    signals: Sequence[TrendSignal], now: datetime, days: int = HISTORY_DAYS
) -> dict[str, list[float]]:
    """Per canonical term, its volume in each of the past `days` 24-hour windows (oldest
    first, the current window excluded): the same unit `term_counts` gives the present."""
    now = utc(now)
    history: dict[str, list[float]] = {}
    for sig in signals:
        age = now - utc(sig.observed_at)
        index = int(age.total_seconds() // 86_400)
        if index < 1 or index > days:
            continue
        for key in signal_terms(sig):
            counts = history.setdefault(key, [0.0] * days)
            counts[days - index] += max(sig.volume, 0.0)
    return history


def ingest_account(
    store: Store,
    account: Account,
    sources: Sequence[TrendSource],
    now: datetime,
    *,
    own_results: Mapping[str, float] | None = None,
    top_k: int = 10,
    config: ScoringConfig | None = None,
) -> AccountIngest:
    """Fetch every source (failures isolated), persist, record health, score and save."""
    now = utc(now)
    report = ingest(sources, now)
    result = AccountIngest(account.handle, report)
    result.stored = store.add_signals(account.handle, report.signals)
    record_outcomes(store, account.handle, report.outcomes, now)
    recent = store.signals(account.handle, since=now - timedelta(days=HISTORY_DAYS + 1))
    result.opportunities = score_opportunities(
        account,
        recent,
        term_history(recent, now),
        now,
        top_k=top_k,
        own_results=own_results,
        config=config,
    )
    store.save_opportunities(result.opportunities)
    return result


def _graph_for(settings: Settings, handle: str, clock: Clock) -> Any:
    """A Graph client when the config names a Graph URL and a token exists, else None."""
    if not settings.instagram.graph_url:
        return None
    token = settings.access_token_for(handle)
    if token is None:
        return None
    from contentloop.instagram.client import GraphClient

    return GraphClient(
        settings.instagram.graph_url,
        token.get_secret_value(),
        settings.instagram.api_version,
        clock=clock,
    )


def configured_specs(settings: Settings, handle: str) -> list[dict[str, Any]]:
    acc = next(a for a in settings.accounts if a.handle == handle)
    return [s.model_dump(exclude_defaults=False) for s in acc.sources]


def ingest_configured(
    settings: Settings, store: Store, clock: Clock, account: str | None = None
) -> list[AccountIngest]:
    """`contentloop trends ingest`: every (or one) configured account, sources from the TOML.

    Instagram sources work when `instagram.graph_url` and a token are configured; without
    them they are reported as failing (with that reason) and the other sources still run.
    """
    toml = getattr(settings, "_toml_path", None)
    base_dir = Path(toml).parent if toml else None
    budget = StoreHashtagBudget(store)
    results: list[AccountIngest] = []
    for cfg in settings.accounts:
        if account is not None and cfg.handle != account:
            continue
        acc = cfg.to_domain()
        store.ensure_account(acc)
        graph = _graph_for(settings, acc.handle, clock)
        try:
            ig_user_id = acc.ig_user_id or store.ig_user_id(acc.handle)
            if graph is not None and not ig_user_id:
                me = graph.me(fields=("user_id", "username"))
                ig_user_id = str(me.get("user_id") or me.get("id") or "")
            ctx = SourceContext(graph, ig_user_id, budget, base_dir=base_dir)
            sources = build_sources(acc, configured_specs(settings, acc.handle), ctx)
            results.append(ingest_account(store, acc, sources, clock.now()))
        finally:
            if graph is not None:
                graph.close()
    return results


def source_status(settings: Settings, store: Store) -> list[dict[str, Any]]:
    """Each configured source with its health (never-run sources included), then any
    sources with recorded health that are no longer configured."""
    health = {(h.account, h.source): h for h in source_health(store)}
    rows: list[dict[str, Any]] = []
    for cfg in settings.accounts:
        acc = cfg.to_domain()
        seen: dict[str, int] = {}
        for spec in account_specs(acc, configured_specs(settings, acc.handle)):
            name = default_name(spec)
            n = seen.get(name, 0)
            seen[name] = n + 1
            name = f"{name}#{n + 1}" if n else name
            h = health.pop((acc.handle, name), None)
            row: dict[str, Any] = (
                h.to_dict()
                if h
                else {"account": acc.handle, "source": name, "status": "never",
                      "last_attempt_at": None, "last_success_at": None, "last_error": "",
                      "consecutive_failures": 0, "last_signals": 0, "total_signals": 0}
            )
            row["kind"] = str(spec.get("kind", ""))
            row["configured"] = True
            rows.append(row)
    for h in health.values():
        rows.append({**h.to_dict(), "configured": False})
    return rows
