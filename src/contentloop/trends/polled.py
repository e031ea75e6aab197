"""Politeness shared by every polled source: a minimum (domain-time) interval between fetches."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal

from .source import SourceError


class PolledSource:
    """Base for sources that must not be polled more often than `min_interval`.

    `last_status` tells what the last `fetch` did: 'never', 'ok', 'not_modified' or
    'rate_limited'. Subclasses implement `_fetch(now)`; it returns None when the source has
    not changed since the last fetch (a conditional request answered 304).
    """

    kind = "source"

    def __init__(self, name: str, min_interval: float | timedelta = 0.0) -> None:
        self.name = name
        self.min_interval = (
            min_interval if isinstance(min_interval, timedelta) else timedelta(seconds=min_interval)
        )
        self.last_attempt: datetime | None = None
        self.last_status = "never"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def fetch(self, now: datetime) -> list[TrendSignal]:
        """Signals at `now`; [] when rate-limited or not modified since last time."""
        now = utc(now)
        if self.last_attempt is not None and now - self.last_attempt < self.min_interval:
            self.last_status = "rate_limited"
            return []
        self.last_attempt = now
        signals = self._fetch(now)
        if signals is None:
            self.last_status = "not_modified"
            return []
        self.last_status = "ok"
        return signals

    def _fetch(self, now: datetime) -> list[TrendSignal] | None:  # pragma: no cover - abstract
        raise NotImplementedError


def fetch_parts(
    source: str,
    parts: Iterable[tuple[str, Callable[[], list[TrendSignal]]]],
    skipped: list[tuple[str, str]],
    what: str,
) -> list[TrendSignal]:
    """Signals of every (label, fetch) part that answered, for sources made of several requests
    (listings, queries). A failed part is noted in `skipped` and the others still count; only
    when every part fails is the source down: `SourceError` naming `what` failed first."""
    signals: list[TrendSignal] = []
    errors: list[str] = []
    for label, fetch in parts:
        try:
            signals += fetch()
        except SourceError as exc:
            errors.append(exc.reason)
            skipped.append((label, exc.reason))
    if errors and not signals:
        raise SourceError(source, f"every {what} failed; first: {errors[0]}")
    return signals
