"""Run every source once; one broken feed must never starve the loop of the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal

from .source import SourceError, TrendSource

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """How one source did in one pass (what source health records)."""

    source: str
    kind: str
    ok: bool
    signals: int = 0
    reason: str = ""
    status: str = ""  # ok | not_modified | rate_limited | failed


@dataclass(slots=True)
class IngestReport:
    """What one ingest pass produced and what it could not do, with reasons."""

    signals: list[TrendSignal] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    outcomes: list[SourceOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def ingest(sources: Iterable[TrendSource], now: datetime) -> IngestReport:
    """Fetch all sources at `now`; failures are recorded as (source, reason), never raised.

    Duplicate signals (same source, url and title) are kept once. Sources exposing a
    `skipped` list (e.g. hashtags over budget) have it copied into `report.skipped`.
    """
    now = utc(now)
    report = IngestReport()
    seen: set[tuple[str, str, str]] = set()
    for source in sources:
        name = str(getattr(source, "name", repr(source)))
        kind = str(getattr(source, "kind", ""))
        try:
            signals = source.fetch(now)
        except SourceError as exc:
            report.failures.append((exc.source, exc.reason))
            report.outcomes.append(SourceOutcome(name, kind, False, 0, exc.reason, "failed"))
            log.warning("trend_source_failed", source=exc.source, reason=exc.reason)
            continue
        except Exception as exc:  # a bug in one source is reported, not allowed to stop the rest
            reason = f"unexpected {type(exc).__name__}: {exc}"
            report.failures.append((name, reason))
            report.outcomes.append(SourceOutcome(name, kind, False, 0, reason, "failed"))
            log.error("trend_source_crashed", source=name, reason=reason)
            continue
        status = str(getattr(source, "last_status", "ok") or "ok")
        report.outcomes.append(SourceOutcome(name, kind, True, len(signals), "", status))
        for tag, why in getattr(source, "skipped", None) or []:
            report.skipped.append((f"{name}:{tag}", why))
        for signal in signals:
            key = (signal.source, signal.url, signal.title)
            if key in seen:
                continue
            seen.add(key)
            report.signals.append(signal)
        log.info("trend_source_ok", source=name, signals=len(signals))
    return report
