"""YouTube Data API v3: the most-popular chart (by region and category) and searches by query.

The API key comes from the environment (never from contentloop.toml) and travels only in the
query string, which `GuardedHTTP` strips from every error reason. Search results carry no
statistics, so one `videos?part=statistics` call per search fills them in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal

from .http import GuardedHTTP, api_error_message
from .polled import PolledSource, fetch_parts
from .source import SourceError
from .text import dedupe, normalize_tag, primary_term, strip_html

DEFAULT_URL = "https://www.googleapis.com/youtube/v3"
WATCH_URL = "https://www.youtube.com/watch?v="
_REGION = re.compile(r"^[A-Za-z]{2}$")
_DIGITS = re.compile(r"^[0-9]{1,15}$")
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def _count(value: object) -> float:
    """Statistics are strings in the API ('12345'); anything else counts as 0."""
    if isinstance(value, str) and _DIGITS.match(value):
        return float(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**15:
        return float(value)
    return 0.0


def _when(value: object, now: datetime) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return min(utc(when), utc(now))


def engagement_of(stats: object) -> float:
    """likes + 2·comments + views/100: attention weighted by how much effort it took."""
    if not isinstance(stats, dict):
        return 0.0
    return (
        _count(stats.get("likeCount"))
        + 2.0 * _count(stats.get("commentCount"))
        + _count(stats.get("viewCount")) / 100.0
    )


def _video_id(item: dict[str, Any]) -> str:
    raw = item.get("id")
    if isinstance(raw, dict):  # search results: {"kind": "youtube#video", "videoId": "..."}
        raw = raw.get("videoId")
    return raw if isinstance(raw, str) and _VIDEO_ID.match(raw) else ""


def parse_videos(
    body: Any, source: str, now: datetime, stats: dict[str, Any] | None = None
) -> list[TrendSignal]:
    """A `videos` or `search` list response → one signal per video. Raises only `SourceError`.

    `stats` maps video id → statistics for search results (which carry none themselves).
    """
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise SourceError(source, "not a YouTube API list response (no 'items' list)")
    observed = utc(now)
    signals: list[TrendSignal] = []
    for item in body["items"][:200]:
        if not isinstance(item, dict):
            continue
        snippet = item.get("snippet")
        if not isinstance(snippet, dict):
            continue
        title = snippet.get("title")
        if not isinstance(title, str) or not strip_html(title):
            continue
        title = strip_html(title)[:300]
        vid = _video_id(item)
        statistics = item.get("statistics")
        if statistics is None and stats is not None:
            statistics = stats.get(vid)
        raw_tags = snippet.get("tags")
        tags = [normalize_tag(t) for t in raw_tags[:10] if isinstance(t, str)] if isinstance(
            raw_tags, list
        ) else []
        channel = snippet.get("channelTitle")
        description = snippet.get("description")
        summary = strip_html(description)[:400] if isinstance(description, str) else ""
        if isinstance(channel, str) and channel:
            summary = f"{strip_html(channel)[:80]}: {summary}".rstrip(": ")
        signals.append(
            TrendSignal(
                source=source,
                term=primary_term(title),
                title=title,
                observed_at=observed,
                url=f"{WATCH_URL}{vid}" if vid else "",
                summary=summary[:500],
                tags=dedupe(tags),
                volume=1.0,
                engagement=engagement_of(statistics),
                published_at=_when(snippet.get("publishedAt"), observed),
            )
        )
    return signals


class YouTubeSource(PolledSource):
    """`mode='chart'`: mostPopular for `region` (and `category`); `mode='search'`: `queries`."""

    kind = "youtube"

    def __init__(
        self,
        api_key: str,
        *,
        mode: str = "chart",
        region: str = "US",
        category: str = "",
        queries: Sequence[str] = (),
        max_results: int = 25,
        search_window: timedelta = timedelta(days=7),
        base_url: str = DEFAULT_URL,
        name: str | None = None,
        http: GuardedHTTP | None = None,
        min_interval: float | timedelta = 0.0,
        **http_options: object,
    ) -> None:
        if not api_key:
            raise ValueError("a YouTube Data API key is required")
        if mode not in ("chart", "search"):
            raise ValueError(f"mode must be 'chart' or 'search', not {mode!r}")
        if not _REGION.match(region):
            raise ValueError(f"region must be a 2-letter country code, not {region!r}")
        if category and not category.isdigit():
            raise ValueError(f"category must be a numeric videoCategoryId, not {category!r}")
        if mode == "search" and not [q for q in queries if q.strip()]:
            raise ValueError("mode 'search' needs at least one query")
        label = region.upper() if mode == "chart" else "+".join(q.strip() for q in queries)
        super().__init__(name or f"youtube:{mode}:{label}"[:120], min_interval)
        self._key = api_key
        self.mode = mode
        self.region = region.upper()
        self.category = category
        self.queries = tuple(q.strip() for q in queries if q.strip())
        self.max_results = max(1, min(int(max_results), 50))
        self.search_window = search_window
        self.base_url = base_url.rstrip("/")
        self.http = http or GuardedHTTP(
            self.name, error_message=api_error_message, **http_options  # type: ignore[arg-type]
        )
        self.skipped: list[tuple[str, str]] = []

    def __repr__(self) -> str:  # never show the key
        return f"YouTubeSource({self.name!r}, mode={self.mode!r})"

    def _get(self, path: str, **params: Any) -> Any:
        resp = self.http.get(
            f"{self.base_url}/{path}",
            params={**params, "key": self._key},
            headers={"Accept": "application/json"},
        )
        return resp.json(self.name)

    def _fetch(self, now: datetime) -> list[TrendSignal]:
        self.skipped = []
        if self.mode == "chart":
            body = self._get(
                "videos",
                part="snippet,statistics",
                chart="mostPopular",
                regionCode=self.region,
                videoCategoryId=self.category or None,
                maxResults=self.max_results,
            )
            return parse_videos(body, self.name, now)
        parts = [(query, partial(self._search, query, now)) for query in self.queries]
        return fetch_parts(self.name, parts, self.skipped, "search")

    def _search(self, query: str, now: datetime) -> list[TrendSignal]:
        after = (utc(now) - self.search_window).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = self._get(
            "search",
            part="snippet",
            q=query,
            type="video",
            order="viewCount",
            publishedAfter=after,
            regionCode=self.region,
            maxResults=self.max_results,
        )
        items = body.get("items") if isinstance(body, dict) else None
        ids = [i for i in (_video_id(x) for x in items or [] if isinstance(x, dict)) if i]
        stats: dict[str, Any] = {}
        if ids:
            detail = self._get("videos", part="statistics", id=",".join(ids[:50]))
            for item in detail.get("items") or [] if isinstance(detail, dict) else []:
                if isinstance(item, dict) and _video_id(item):
                    stats[_video_id(item)] = item.get("statistics")
        return parse_videos(body, self.name, now, stats)
