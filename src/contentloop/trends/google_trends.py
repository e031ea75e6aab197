"""Google Trends "trending now" (daily trending searches) through its public RSS feed, by geo.

The feed is RSS 2.0 with an `ht:` namespace: each item's title is the search query, with
`ht:approx_traffic` ("200,000+") and `ht:news_item`s (title, url, source). Both the current
feed (/trending/rss) and the older /trends/trendingsearches/daily/rss are read (elements are
matched by local name, whatever the namespace URI).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from defusedxml import ElementTree as SafeET

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal

from .feedparse import check_xml_safety
from .http import GuardedHTTP
from .polled import PolledSource
from .source import SourceError
from .text import dedupe, normalize_tag, strip_html

DEFAULT_URL = "https://trends.google.com/trending/rss"
MAX_ITEMS = 200
_TRAFFIC = re.compile(r"([\d][\d,.\s]*)\s*([kKmMbB]?)\s*\+?")
_DOT_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")
_GEO = re.compile(r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")


def parse_traffic(text: str) -> int:
    """'200,000+' → 200000, '2K+' → 2000, '1.5M+' → 1500000; unreadable → 0."""
    match = _TRAFFIC.search(text or "")
    if not match:
        return 0
    digits, suffix = match.group(1).replace(",", "").replace(" ", ""), match.group(2).lower()
    if not suffix and _DOT_THOUSANDS.match(digits):
        digits = digits.replace(".", "")  # '50.000+' in German-speaking geos
    try:
        value = float(digits)
    except ValueError:
        return 0
    value *= {"k": 1e3, "m": 1e6, "b": 1e9}.get(suffix, 1.0)
    return int(value) if math.isfinite(value) and value < 1e15 else 0


def traffic_volume(traffic: int) -> float:
    """Searches → mentions-like volume on a log scale (1 at ≤10 searches, ~6 at a million),
    so one trending search weighs like a handful of articles, not a million of them."""
    return max(1.0, math.log10(max(traffic, 1)))


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(elem: ET.Element, name: str) -> str:
    for child in elem:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _pub_date(text: str, now: datetime) -> datetime | None:
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return min(utc(when), utc(now))


def _http_link(text: str) -> str:
    return text[:2000] if text.lower().startswith(("http://", "https://")) else ""


def parse_trending_rss(data: bytes, source: str, now: datetime, geo: str = "") -> list[TrendSignal]:
    """Trending-searches RSS bytes → one signal per search. Raises only `SourceError`."""
    check_xml_safety(data, source)
    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except Exception as exc:  # check_xml_safety passed; keep the one-error contract anyway
        raise SourceError(source, f"invalid XML ({type(exc).__name__})") from None
    if _local(root.tag).lower() != "rss":
        raise SourceError(source, "not a Google Trends RSS feed (root is not <rss>)")
    observed = utc(now)
    signals: list[TrendSignal] = []
    for item in root.iter():
        if _local(item.tag) != "item":
            continue
        query = strip_html(_child_text(item, "title"))
        if not query:
            continue
        traffic = parse_traffic(_child_text(item, "approx_traffic"))
        news: list[tuple[str, str, str]] = []
        for child in item:
            if _local(child.tag) == "news_item":
                news.append(
                    (
                        strip_html(_child_text(child, "news_item_title")),
                        _http_link(_child_text(child, "news_item_url")),
                        strip_html(_child_text(child, "news_item_source")),
                    )
                )
        headline = next((t for t, _, _ in news if t), "")
        url = next((u for _, u, _ in news if u), "") or _http_link(_child_text(item, "link"))
        where = f" in {geo.upper()}" if geo else ""
        summary = f"~{traffic:,}+ searches{where}" if traffic else f"trending search{where}"
        if headline:
            summary += f"; news: {headline}"
        outlets = [normalize_tag(s) for _, _, s in news if s]
        signals.append(
            TrendSignal(
                source=source,
                term=normalize_tag(query)[:300],
                title=query[:300],
                observed_at=observed,
                url=url,
                summary=summary[:500],
                tags=dedupe(["google trends", *outlets[:3]]),
                volume=traffic_volume(traffic),
                engagement=float(traffic),
                published_at=_pub_date(_child_text(item, "pubDate"), observed),
            )
        )
        if len(signals) >= MAX_ITEMS:
            break
    return signals


class GoogleTrendsSource(PolledSource):
    """Daily trending searches for one geo (ISO country like 'US', or region like 'US-CA')."""

    kind = "google_trends"

    def __init__(
        self,
        geo: str = "US",
        *,
        base_url: str = DEFAULT_URL,
        name: str | None = None,
        http: GuardedHTTP | None = None,
        min_interval: float | timedelta = 0.0,
        **http_options: object,
    ) -> None:
        if not _GEO.match(geo):
            raise ValueError(f"geo must be a country code like 'US' or 'US-CA', not {geo!r}")
        super().__init__(name or f"google_trends:{geo.upper()}", min_interval)
        self.geo = geo.upper()
        self.base_url = base_url
        self.http = http or GuardedHTTP(self.name, **http_options)  # type: ignore[arg-type]

    def _fetch(self, now: datetime) -> list[TrendSignal]:
        resp = self.http.get(
            self.base_url,
            params={"geo": self.geo},
            headers={"Accept": "application/rss+xml, application/xml;q=0.9, */*;q=0.5"},
        )
        return parse_trending_rss(resp.body, self.name, now, self.geo)
