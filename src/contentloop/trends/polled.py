"""Politeness shared by every polled source: a minimum (domain-time) interval between fetches."""

from __future__ import annotations

from datetime import datetime, timedelta

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal


class PolledSource:
    """Base for sources that must not be polled more often than `min_interval`.

    `last_status` tells what the last `fetch` did: 'never', 'ok' or 'rate_limited'.
    Subclasses implement `_fetch(now)`.
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
        now = utc(now)
        if self.last_attempt is not None and now - self.last_attempt < self.min_interval:
            self.last_status = "rate_limited"
            return []
        self.last_attempt = now
        signals = self._fetch(now)
        self.last_status = "ok"
        return signals

    def _fetch(self, now: datetime) -> list[TrendSignal]:  # pragma: no cover - abstract
        raise NotImplementedError
