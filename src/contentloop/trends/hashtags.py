"""Instagram hashtag search as a trend source, within the platform's hard budget.

Instagram allows 30 *unique* hashtags per account per rolling 7 days; a tag counts from its
first query and re-querying it inside that window is free (and does not reset the timer).
Going over fails opaquely, so we never ask: a tag that would exceed the budget is skipped
and reported in `skipped`.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal

from .source import SourceError
from .text import hashtags_in, normalize_tag, strip_html

HASHTAG_LIMIT = 30
HASHTAG_WINDOW = timedelta(days=7)
MEDIA_FIELDS = ("id", "caption", "like_count", "comments_count", "timestamp", "permalink")
_VALID_TAG = re.compile(r"^[^\W_]\w{0,99}$", re.UNICODE)


@runtime_checkable
class HashtagClient(Protocol):
    """The two Graph API calls this source needs (the `instagram` package or a fake server)."""

    def hashtag_id(self, ig_user_id: str, q: str) -> str: ...

    def hashtag_media(
        self,
        hashtag_id: str,
        ig_user_id: str,
        edge: str,
        fields: Sequence[str],
        limit: int,
    ) -> list[dict[str, Any]]: ...


@runtime_checkable
class HashtagBudget(Protocol):
    """Counts unique hashtags per account in a rolling window."""

    def acquire(self, ig_user_id: str, tag: str, now: datetime) -> bool:
        """True if `tag` may be queried now (and count it); False if that would exceed."""
        ...

    def remaining(self, ig_user_id: str, now: datetime) -> int: ...


class InMemoryHashtagBudget:
    """Thread-safe in-memory budget; a store-backed one must keep the same semantics."""

    def __init__(self, limit: int = HASHTAG_LIMIT, window: timedelta = HASHTAG_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._first: dict[str, dict[str, datetime]] = {}
        self._lock = threading.Lock()

    def _live(self, ig_user_id: str, now: datetime) -> dict[str, datetime]:
        tags = self._first.setdefault(ig_user_id, {})
        for tag in [t for t, first in tags.items() if now - first >= self.window]:
            del tags[tag]
        return tags

    def acquire(self, ig_user_id: str, tag: str, now: datetime) -> bool:
        tag, now = normalize_tag(tag), utc(now)
        with self._lock:
            tags = self._live(ig_user_id, now)
            if tag in tags:
                return True
            if len(tags) >= self.limit:
                return False
            tags[tag] = now
            return True

    def remaining(self, ig_user_id: str, now: datetime) -> int:
        with self._lock:
            return self.limit - len(self._live(ig_user_id, utc(now)))

    def counted(self, ig_user_id: str, now: datetime) -> dict[str, datetime]:
        """Tags counted in the window and when each was first queried."""
        with self._lock:
            return dict(self._live(ig_user_id, utc(now)))


@dataclass(frozen=True, slots=True)
class EngagementWeights:
    likes: float = 1.0
    comments: float = 2.0  # a comment costs the viewer more than a like


def _parse_ts(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        try:
            return utc(datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z"))
        except ValueError:
            return None


def _num(value: object) -> float:
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, int | float) and value >= 0:
        return float(value)
    return 0.0


class InstagramHashtagSource:
    """Signals from hashtag media: volume = media in the window, engagement = weighted sum.

    After each `fetch`, `skipped` lists (hashtag, reason) for tags not queried or failed.
    """

    kind = "instagram_hashtags"

    def __init__(
        self,
        client: HashtagClient,
        ig_user_id: str,
        hashtags: Sequence[str],
        budget: HashtagBudget,
        *,
        name: str = "instagram_hashtags",
        edge: str = "recent_media",
        limit: int = 50,
        window: timedelta = timedelta(hours=24),
        weights: EngagementWeights = EngagementWeights(),
    ) -> None:
        if edge not in ("recent_media", "top_media"):
            raise ValueError(f"edge must be 'recent_media' or 'top_media', not {edge!r}")
        self.client = client
        self.ig_user_id = ig_user_id
        self.hashtags = tuple(hashtags)
        self.budget = budget
        self.name = name
        self.edge = edge
        self.limit = max(1, min(limit, 50))  # the API pages at most 50
        self.window = window
        self.weights = weights
        self.skipped: list[tuple[str, str]] = []

    def __repr__(self) -> str:
        return f"InstagramHashtagSource({self.name!r}, {len(self.hashtags)} tags)"

    def fetch(self, now: datetime) -> list[TrendSignal]:
        now = utc(now)
        self.skipped = []
        signals: list[TrendSignal] = []
        seen: set[str] = set()
        for raw in self.hashtags:
            tag = normalize_tag(raw)
            if tag in seen:
                continue
            seen.add(tag)
            if not _VALID_TAG.match(tag):
                self.skipped.append((raw, "not a valid hashtag (letters, digits, _ only)"))
                continue
            if not self.budget.acquire(self.ig_user_id, tag, now):
                limit = getattr(self.budget, "limit", HASHTAG_LIMIT)
                self.skipped.append(
                    (tag, f"hashtag budget exhausted ({limit} unique per rolling 7 days)")
                )
                continue
            try:
                signal = self._fetch_tag(tag, now)
            except Exception as exc:  # the client is pluggable; one bad tag must not stop others
                self.skipped.append((tag, f"query failed ({type(exc).__name__}: {exc})"))
                continue
            if signal is not None:
                signals.append(signal)
        attempted = [t for t, r in self.skipped if r.startswith("query failed")]
        if attempted and not signals and len(attempted) == len(seen):
            raise SourceError(self.name, f"every hashtag query failed; first: {self.skipped[0][1]}")
        return signals

    def _fetch_tag(self, tag: str, now: datetime) -> TrendSignal | None:
        hashtag_id = self.client.hashtag_id(self.ig_user_id, tag)
        media = self.client.hashtag_media(
            hashtag_id, self.ig_user_id, self.edge, MEDIA_FIELDS, self.limit
        )
        return self.signal_from_media(tag, media, now)

    def signal_from_media(
        self, tag: str, media: Sequence[dict[str, Any]], now: datetime
    ) -> TrendSignal | None:
        """Aggregate one tag's media into one signal (None if nothing in the window)."""
        since = utc(now) - self.window
        volume = 0
        engagement = 0.0
        newest: datetime | None = None
        best: tuple[float, dict[str, Any]] | None = None
        co_tags: Counter[str] = Counter()
        for item in media:
            if not isinstance(item, dict):
                continue
            when = _parse_ts(item.get("timestamp"))
            if when is None or when < since or when > utc(now):
                continue
            score = self.weights.likes * _num(item.get("like_count")) + (
                self.weights.comments * _num(item.get("comments_count"))
            )
            volume += 1
            engagement += score
            newest = when if newest is None or when > newest else newest
            if best is None or score > best[0]:
                best = (score, item)
            caption = item.get("caption")
            if isinstance(caption, str):
                co_tags.update(t for t in hashtags_in(caption) if t != tag)
        if volume == 0 or best is None:
            return None
        caption = best[1].get("caption")
        permalink = best[1].get("permalink")
        return TrendSignal(
            source=self.name,
            term=tag,
            title=f"#{tag}",
            observed_at=utc(now),
            url=permalink if isinstance(permalink, str) else "",
            summary=strip_html(caption)[:300] if isinstance(caption, str) else "",
            tags=(tag, *[t for t, _ in co_tags.most_common(5)]),
            volume=float(volume),
            engagement=engagement,
            published_at=newest,
        )
