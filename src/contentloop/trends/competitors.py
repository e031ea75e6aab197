"""Instagram business discovery: what competitors' recent posts are and how well they do.

One Graph call per competitor (`business_discovery.username(X){...media.limit(n){...}}`).
Each recent post becomes a signal whose volume is its engagement relative to that
competitor's own median (a post doing 3× their usual counts 3×), capped, so a big account
does not drown small ones and an outlier post stands out.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal

from .hashtags import EngagementWeights, _num, _parse_ts
from .polled import PolledSource
from .source import SourceError
from .text import dedupe, hashtags_in, primary_term, strip_html

MEDIA_FIELDS = ("id", "caption", "like_count", "comments_count", "timestamp", "permalink",
                "media_type")
_USERNAME = re.compile(r"^[A-Za-z0-9._]{1,30}$")
MAX_RELATIVE = 5.0


@runtime_checkable
class DiscoveryClient(Protocol):
    """The one Graph API call this source needs (`instagram.client.GraphClient` has it)."""

    def business_discovery(
        self, ig_user_id: str, username: str, fields: Sequence[str]
    ) -> dict[str, Any]: ...


def discovery_fields(media_limit: int) -> tuple[str, ...]:
    return (
        "username",
        "followers_count",
        "media_count",
        f"media.limit({media_limit}){{{','.join(MEDIA_FIELDS)}}}",
    )


def parse_discovery(
    body: Any,
    username: str,
    source: str,
    now: datetime,
    *,
    window: timedelta = timedelta(days=7),
    weights: EngagementWeights = EngagementWeights(),
) -> list[TrendSignal]:
    """One business_discovery result → a signal per post in the window. Raises `SourceError`."""
    if not isinstance(body, dict) or not body:
        raise SourceError(source, f"business discovery returned nothing for @{username}")
    media = body.get("media")
    items = media.get("data") if isinstance(media, dict) else None
    if not isinstance(items, list):
        return []
    followers = _num(body.get("followers_count"))
    now = utc(now)
    since = now - window
    posts: list[tuple[dict[str, Any], datetime, float]] = []
    for item in items[:100]:
        if not isinstance(item, dict):
            continue
        when = _parse_ts(item.get("timestamp"))
        if when is None or when > now:
            continue
        score = weights.likes * _num(item.get("like_count")) + weights.comments * _num(
            item.get("comments_count")
        )
        posts.append((item, when, score))
    if not posts:
        return []
    median = statistics.median(score for _, _, score in posts) or 1.0
    signals: list[TrendSignal] = []
    for item, when, score in posts:
        if when < since:
            continue  # old posts only set the baseline
        caption = item.get("caption")
        text = strip_html(caption) if isinstance(caption, str) else ""
        first_line = text.split("\n", 1)[0][:120] if text else ""
        tags = hashtags_in(text)
        term = primary_term(re.sub(r"#\w+", " ", first_line)) if first_line else ""
        if not term.strip():
            term = tags[0] if tags else ""
        if not term:
            continue
        permalink = item.get("permalink")
        link = permalink if isinstance(permalink, str) and permalink.startswith("http") else ""
        rate = f", {score / followers:.1%} of followers" if followers > 0 else ""
        signals.append(
            TrendSignal(
                source=source,
                term=term[:300],
                title=first_line or f"#{term}",
                observed_at=now,
                url=link[:2000],
                summary=f"@{username}: {score / median:.1f}× their median engagement{rate}",
                tags=dedupe([f"@{username.lower()}", *tags[:8]]),
                volume=max(0.5, min(score / median, MAX_RELATIVE)),
                engagement=score,
                published_at=when,
            )
        )
    return signals


class InstagramCompetitorSource(PolledSource):
    """Recent posts of competitor business/creator accounts, via business discovery."""

    kind = "instagram_competitors"

    def __init__(
        self,
        client: DiscoveryClient,
        ig_user_id: str,
        usernames: Sequence[str],
        *,
        media_limit: int = 25,
        window: timedelta = timedelta(days=7),
        name: str = "instagram_competitors",
        min_interval: float | timedelta = 0.0,
    ) -> None:
        names = [u.strip().lstrip("@") for u in usernames if u.strip()]
        bad = [u for u in names if not _USERNAME.match(u)]
        if bad:
            raise ValueError(f"not Instagram usernames: {bad}")
        super().__init__(name, min_interval)
        self.client = client
        self.ig_user_id = ig_user_id
        self.usernames = tuple(dict.fromkeys(names))
        self.media_limit = max(1, min(int(media_limit), 100))
        self.window = window
        self.skipped: list[tuple[str, str]] = []

    def _fetch(self, now: datetime) -> list[TrendSignal]:
        self.skipped = []
        signals: list[TrendSignal] = []
        fields = discovery_fields(self.media_limit)
        for username in self.usernames:
            try:
                body = self.client.business_discovery(self.ig_user_id, username, fields)
                signals += parse_discovery(body, username, self.name, now, window=self.window)
            except SourceError as exc:
                self.skipped.append((f"@{username}", exc.reason))
            except Exception as exc:  # the Graph client raises its own typed errors
                self.skipped.append((f"@{username}", f"{type(exc).__name__}: {exc}"[:300]))
        if self.usernames and len(self.skipped) == len(self.usernames):
            raise SourceError(
                self.name, f"every competitor lookup failed; first: {self.skipped[0][1]}"
            )
        return signals
