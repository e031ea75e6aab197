"""Insights sync: which metrics to ask for, when to snapshot, and how to survive the API.

The Graph API's insights are delayed (up to 48 h), missing for small posts ("#10 Not
enough viewers"), all-or-nothing when one metric is unsupported ("#100 ... does not
support the X metric"), and gone after 24 h for stories. `sync_media` turns all of these
into an empty result with a reason, so one bad post never stops a sync run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import structlog

from contentloop.domain import utc

log = structlog.get_logger(__name__)

#: Current (v22+) media metric names per `media_product_type`. No `impressions`, `plays`,
#: `video_views`: they were removed on 2025-04-21 (use `views`). Reels reject `follows`
#: and `profile_visits`; stories have no likes/comments/saved.
METRICS_BY_PRODUCT: dict[str, list[str]] = {
    "FEED": [
        "reach",
        "views",
        "likes",
        "comments",
        "saved",
        "shares",
        "total_interactions",
        "follows",
        "profile_visits",
    ],
    "REELS": [
        "reach",
        "views",
        "likes",
        "comments",
        "saved",
        "shares",
        "total_interactions",
        "ig_reels_avg_watch_time",
        "ig_reels_video_view_total_time",
        "reels_skip_rate",
    ],
    "STORY": [
        "reach",
        "views",
        "shares",
        "total_interactions",
        "follows",
        "profile_visits",
        "replies",
    ],
}

#: Post ages (hours) at which a snapshot is taken: early velocity, day 1, day 3, day 7.
SNAPSHOT_AGES_H: tuple[int, ...] = (1, 6, 24, 72, 168)

#: Story insights vanish after 24 h.
STORY_MAX_AGE_H = 24

# Reasons returned by sync_media (stable strings: the store and report key on them).
REASON_OK = ""
REASON_NOT_ENOUGH_VIEWERS = "not_enough_viewers"
REASON_NO_DATA = "no_data"
REASON_UNSUPPORTED = "unsupported_metrics"
REASON_ERROR = "error"
REASON_UNKNOWN_PRODUCT = "unknown_product_type"


@runtime_checkable
class InsightsSource(Protocol):
    """What media sync needs from the Instagram client (real API or simulator); account
    metrics use `account_sync.AccountInsightsClient`.

    Implementations raise their own exceptions; `sync_media` classifies them by a numeric
    `code` attribute (Graph error code) and/or the message text.
    """

    def media_insights(self, media_id: str, metrics: Sequence[str]) -> dict[str, float]: ...

    def online_followers(
        self, ig_user_id: str, since: datetime, until: datetime
    ) -> dict[int, float]: ...


class InsightsResult(dict[str, float]):
    """A metrics dict that also says why it is empty (or partial).

    `reason` is "" when the API answered; otherwise one of the REASON_* strings.
    `retry` tells the scheduler whether asking again later can help.
    `dropped` lists metrics the API refused for this media.
    """

    def __init__(
        self,
        metrics: Mapping[str, float] | None = None,
        reason: str = REASON_OK,
        retry: bool = False,
        detail: str = "",
        dropped: Sequence[str] = (),
    ) -> None:
        super().__init__(metrics or {})
        self.reason = reason
        self.retry = retry
        self.detail = detail
        self.dropped = tuple(dropped)

    @property
    def ok(self) -> bool:
        return bool(self) and self.reason in (REASON_OK, REASON_UNSUPPORTED)


def due_snapshots(
    published_at: datetime,
    now: datetime,
    taken_ages: Sequence[float] = (),
    product_type: str = "FEED",
) -> list[int]:
    """Snapshot ages that are due (reached) and not yet taken, oldest first.

    One API call covers them all: the caller takes a single snapshot now and records every
    returned age as taken. Stories older than 24 h have nothing left to fetch.
    """
    age_h = (utc(now) - utc(published_at)).total_seconds() / 3600.0
    if age_h < 0:
        return []
    taken = {int(a) for a in taken_ages}
    ages = [a for a in SNAPSHOT_AGES_H if a <= age_h and a not in taken]
    if product_type.upper() == "STORY":
        if age_h >= STORY_MAX_AGE_H:
            return []
        ages = [a for a in ages if a < STORY_MAX_AGE_H]
    return ages


_UNSUPPORTED_RE = re.compile(r"does not support the (.+?) metrics? for", re.IGNORECASE)


_TOKEN_RE = re.compile(r"(access_token=|Bearer\s+|OAuth\s+)[^\s&\"']+", re.IGNORECASE)


def _redact(message: str) -> str:
    """Errors may echo a URL; never let a token through into results or logs."""
    return _TOKEN_RE.sub(r"\1[redacted]", message)


def _error_code(exc: BaseException) -> int | None:
    for attr in ("code", "error_code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    return None


def _unsupported_metrics(message: str) -> list[str]:
    match = _UNSUPPORTED_RE.search(message)
    if not match:
        return []
    return [m.strip() for m in re.split(r"[,\s]+", match.group(1)) if m.strip()]


def _clean(raw: Mapping[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in raw.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            out[name] = float(value)
    return out


def sync_media(source: InsightsSource, media_id: str, product_type: str) -> InsightsResult:
    """Fetch the current metrics of one media; never raises for an API-side refusal.

    - "#10 Not enough viewers" → empty, reason `not_enough_viewers` (retry later: the
      count can grow).
    - empty data (delay up to 48 h) → empty, reason `no_data`, retry.
    - "#100 ... does not support the X metric" → drop X and ask again once.
    - any other error → empty, reason `error` with the exception class and message.
    """
    metrics = list(METRICS_BY_PRODUCT.get(product_type.upper(), []))
    if not metrics:
        return InsightsResult(
            reason=REASON_UNKNOWN_PRODUCT,
            detail=f"product type {product_type!r}; expected one of {sorted(METRICS_BY_PRODUCT)}",
        )
    dropped: list[str] = []
    for _attempt in range(2):
        try:
            raw = source.media_insights(media_id, metrics)
        except Exception as exc:  # the client's classified errors; we only sort them here
            message = _redact(str(exc))
            code = _error_code(exc)
            if code == 10 or "not enough viewers" in message.lower():
                log.info("insights.not_enough_viewers", media_id=media_id)
                return InsightsResult(reason=REASON_NOT_ENOUGH_VIEWERS, retry=True, detail=message)
            rejected = [m for m in _unsupported_metrics(message) if m in metrics]
            if rejected and (code in (None, 100)):
                dropped.extend(rejected)
                metrics = [m for m in metrics if m not in rejected]
                log.info("insights.dropping_metrics", media_id=media_id, dropped=rejected)
                if metrics:
                    continue
                return InsightsResult(reason=REASON_UNSUPPORTED, detail=message, dropped=dropped)
            log.warning("insights.error", media_id=media_id, error=type(exc).__name__, code=code)
            return InsightsResult(
                reason=REASON_ERROR, retry=True, detail=f"{type(exc).__name__}: {message}"
            )
        values = _clean(raw or {})
        if not values:
            return InsightsResult(reason=REASON_NO_DATA, retry=True, dropped=dropped)
        reason = REASON_UNSUPPORTED if dropped else REASON_OK
        return InsightsResult(values, reason=reason, dropped=dropped)
    return InsightsResult(reason=REASON_UNSUPPORTED, dropped=dropped)  # pragma: no cover


def hourly_profile(raw: Mapping[Any, Any]) -> dict[int, float]:
    """Normalise an `online_followers` payload (hour keys as str or int) to {0..23: count}."""
    out: dict[int, float] = {}
    for key, value in raw.items():
        try:
            hour = int(key)
        except (TypeError, ValueError):
            continue
        if 0 <= hour <= 23 and isinstance(value, int | float) and not isinstance(value, bool):
            out[hour] = out.get(hour, 0.0) + float(value)
    return out
