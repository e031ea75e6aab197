"""The contract every trend source fulfils, and the one error a source may raise."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from contentloop.domain.errors import ContentloopError
from contentloop.domain.models import TrendSignal


class SourceError(ContentloopError):
    """A source could not deliver signals: names the source and why, so a person can fix it.

    `reason` never contains secrets (query strings and credentials are stripped from URLs).
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"trend source {source!r}: {reason}")


@runtime_checkable
class TrendSource(Protocol):
    """Anything that turns the outside world into `TrendSignal`s at a given (injected) time."""

    name: str

    def fetch(self, now: datetime) -> list[TrendSignal]:
        """Return the signals observed at `now`; raise `SourceError` on failure."""
        ...
