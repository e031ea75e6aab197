"""Media and account insights with the current (v22+) allow-lists and response shapes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from . import errors as E
from .model import Media, SimAccount, ts
from .world import SimWorld

FEED_METRICS = frozenset({
    "reach", "likes", "comments", "saved", "shares", "total_interactions", "views", "reposts",
    "follows", "profile_visits", "profile_activity",
})
REELS_METRICS = frozenset({
    "reach", "likes", "comments", "saved", "shares", "total_interactions", "views", "reposts",
    "ig_reels_avg_watch_time", "ig_reels_video_view_total_time", "reels_skip_rate",
})
STORY_METRICS = frozenset({
    "reach", "shares", "total_interactions", "views", "reposts", "follows", "profile_visits",
    "profile_activity", "navigation", "replies", "link_clicks",
})
ALLOWED = {"FEED": FEED_METRICS, "REELS": REELS_METRICS, "STORY": STORY_METRICS}
REMOVED_MEDIA_METRICS = frozenset({
    "impressions", "plays", "video_views", "clips_replays_count",
    "ig_reels_aggregated_all_plays_count", "engagement", "exits", "taps_forward", "taps_back",
    "carousel_album_impressions", "carousel_album_reach", "carousel_album_engagement",
})
MEDIA_BREAKDOWNS = {"profile_activity": "action_type", "navigation": "story_navigation_action_type"}
TITLES = {
    "reach": "Accounts reached", "likes": "Likes", "comments": "Comments", "saved": "Saved",
    "shares": "Shares", "total_interactions": "Interactions", "views": "Views",
    "reposts": "Reposts", "follows": "Follows", "profile_visits": "Profile visits",
    "profile_activity": "Profile activity", "navigation": "Navigation", "replies": "Replies",
    "link_clicks": "Link clicks", "ig_reels_avg_watch_time": "Average watch time",
    "ig_reels_video_view_total_time": "Watch time", "reels_skip_rate": "Skip rate",
    "follower_count": "Follower count", "online_followers": "Online followers",
    "accounts_engaged": "Accounts engaged", "saves": "Saves", "profile_views": "Profile views",
    "profile_links_taps": "Profile links taps", "follows_and_unfollows": "Follows and unfollows",
    "follower_demographics": "Follower demographics",
    "engaged_audience_demographics": "Engaged audience demographics",
}


def _split(v: str | None) -> list[str]:
    return [x.strip() for x in (v or "").split(",") if x.strip()]


def media_insights(world: SimWorld, m: Media, params: dict[str, Any], ig_host: bool) -> dict:
    metrics = _split(params.get("metric"))
    if not metrics:
        raise E.invalid_param("The parameter metric is required")
    etype = "IGApiException" if ig_host else "OAuthException"
    if m.parent_id is not None:
        raise E.invalid_param("Insights are not available for carousel children.", type_=etype)
    allowed = ALLOWED[m.product_type]
    bad = [x for x in metrics if x not in allowed]
    if bad:
        raise E.GraphError(
            100,
            f"(#100) The Media Insights API does not support the {', '.join(bad)} metric for "
            "this media product type.",
            type_=etype,
        )
    breakdown = params.get("breakdown")
    if breakdown and any(MEDIA_BREAKDOWNS.get(x) != breakdown for x in metrics):
        raise E.unknown_error()
    now = world.clock.now()
    age = (now - m.timestamp).total_seconds()
    if age < world.config.insights_min_age_s:
        return {"data": []}
    if m.product_type == "STORY":
        if age > 86400:
            return {"data": []}
        if world.metric(m, "reach", now) < 5:
            raise E.GraphError(10, "(#10) Not enough viewers for the media to show insights",
                               type_=etype, status=400)
    data = []
    for name in metrics:
        value: float = world.metric(m, name, now)
        if name == "reels_skip_rate":
            out_value: Any = round(value, 4)
        else:
            out_value = int(value)
        entry: dict[str, Any] = {
            "name": name, "period": "lifetime", "values": [{"value": out_value}],
            "title": TITLES.get(name, name), "description": f"Simulated {name}.",
            "id": f"{m.id}/insights/{name}/lifetime",
        }
        if breakdown:
            entry["total_value"] = _media_breakdown(world, m, name, int(value))
        data.append(entry)
    return {"data": data}


def _media_breakdown(world: SimWorld, m: Media, name: str, total: int) -> dict[str, Any]:
    keys = (["bio_link_clicked", "call", "direction", "email", "other", "text"]
            if name == "profile_activity"
            else ["tap_forward", "tap_back", "tap_exit", "swipe_forward"])
    weights = [0.55, 0.05, 0.05, 0.1, 0.2, 0.05] if name == "profile_activity" \
        else [0.6, 0.1, 0.2, 0.1]
    results, left = [], total
    for i, (k, w) in enumerate(zip(keys, weights, strict=True)):
        v = left if i == len(keys) - 1 else int(total * w)
        left -= v
        if v:
            results.append({"dimension_values": [k], "value": v})
    dim = MEDIA_BREAKDOWNS[name]
    return {"value": total, "breakdowns": [{"dimension_keys": [dim], "results": results}]}


# ------------------------------------------------------------------ account insights
TOTAL_VALUE_ONLY = frozenset({
    "accounts_engaged", "comments", "likes", "saves", "shares", "total_interactions", "views",
    "replies", "reposts", "profile_links_taps", "follows_and_unfollows", "profile_views",
})
DEMOGRAPHICS = frozenset({"follower_demographics", "engaged_audience_demographics"})
SERIES_OK = frozenset({"reach", "follower_count"})
ACCOUNT_METRICS = TOTAL_VALUE_ONLY | DEMOGRAPHICS | SERIES_OK | {"online_followers"}
_MEDIA_METRIC_FOR = {
    "saves": "saved", "profile_views": "profile_visits", "follows_and_unfollows": "follows",
    "follower_count": "follows", "accounts_engaged": "total_interactions",
    "profile_links_taps": "profile_visits",
}
# reach: one person reached by two posts counts once; taps are a share of profile visits.
_ACCOUNT_SCALE = {"reach": 0.9, "accounts_engaged": 0.8, "profile_links_taps": 0.1}
_PRODUCT_DIM = {"FEED": "POST", "REELS": "REEL", "STORY": "STORY"}
_BREAKDOWNS = {
    "reach": {"media_product_type", "follow_type"},
    "likes": {"media_product_type"}, "comments": {"media_product_type"},
    "saves": {"media_product_type"}, "shares": {"media_product_type"},
    "total_interactions": {"media_product_type"}, "views": {"media_product_type", "follower_type"},
    "follows_and_unfollows": {"follow_type"}, "profile_links_taps": {"contact_button_type"},
}
MAX_SPAN_S = 2592000


def _day_end(t: datetime) -> datetime:
    """The first 07:00 UTC boundary at or after t (Meta's day periods end on UTC−7 midnight)."""
    end = t.astimezone(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    return end if end >= t else end + timedelta(days=1)


def account_insights(world: SimWorld, acct: SimAccount, params: dict[str, Any],
                     ig_host: bool) -> dict:
    metrics = _split(params.get("metric"))
    if not metrics:
        raise E.invalid_param("The parameter metric is required")
    valid = sorted(ACCOUNT_METRICS)
    for i, name in enumerate(metrics):
        if name not in ACCOUNT_METRICS:
            raise E.invalid_param(
                f"metric[{i}] must be one of the following values: {', '.join(valid)}")
    period = params.get("period")
    if not period:
        raise E.invalid_param("The parameter period is required")
    metric_type = params.get("metric_type") or "time_series"
    breakdown = params.get("breakdown") or params.get("breakdowns")
    now = world.clock.now()
    until = _ts_param(params.get("until")) or now
    since = _ts_param(params.get("since")) or until - timedelta(days=1)
    if (until - since).total_seconds() > MAX_SPAN_S:
        raise E.invalid_param(
            "There cannot be more than 30 days (2592000 s) between since and until")
    if "online_followers" in metrics and metric_type == "total_value":
        raise E.invalid_param("online_followers does not support the total_value metric_type")
    data: list[dict[str, Any]] = []
    for name in metrics:
        if name in TOTAL_VALUE_ONLY and metric_type != "total_value":
            raise E.invalid_param(f"{name} should be specified with metric_type=total_value")
        if breakdown and breakdown not in _BREAKDOWNS.get(name, set()) and \
                name not in DEMOGRAPHICS:
            raise E.unknown_error()
        if name == "online_followers":
            entry = _online_followers(world, acct, since, until)
            if entry is not None:
                data.append(entry)
            continue
        if name == "follower_count" and world.followers_count(acct) < 100:
            continue
        if name in DEMOGRAPHICS:
            data.append(_demographics(world, acct, name, params, breakdown))
            continue
        if metric_type == "total_value":
            data.append(_total_value(world, acct, name, since, min(until, now), breakdown))
        else:
            data.append(_time_series(world, acct, name, since, min(until, now)))
    out: dict[str, Any] = {"data": data}
    if metric_type != "total_value" and data:
        span = until - since
        out["paging"] = {
            "previous": f"?metric={','.join(metrics)}&period={period}"
                        f"&since={int((since - span).timestamp())}&until={int(since.timestamp())}",
            "next": f"?metric={','.join(metrics)}&period={period}"
                    f"&since={int(until.timestamp())}&until={int((until + span).timestamp())}",
        }
    return out


def _ts_param(v: Any) -> datetime | None:
    if v in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(float(v)), tz=UTC)
    except (TypeError, ValueError) as exc:
        raise E.invalid_param(f"Invalid timestamp: {v}") from exc


def _delta(world: SimWorld, acct: SimAccount, name: str, a: datetime, b: datetime,
           product: str | None = None) -> float:
    """Sum over the account's media of how much `name` grew in (a, b]."""
    if b <= a:
        return 0.0
    key = _MEDIA_METRIC_FOR.get(name, name)
    total = 0.0
    for m in world.account_media(acct.ig_user_id) + world_stories(world, acct, b):
        if m.timestamp > b or (product and m.product_type != product):
            continue
        total += world.metric(m, key, b) - world.metric(m, key, a)
    return total * _ACCOUNT_SCALE.get(name, 1.0)


def world_stories(world: SimWorld, acct: SimAccount, at: datetime) -> list[Media]:
    with world.lock:
        return [m for m in world.media.values()
                if m.owner == acct.ig_user_id and m.product_type == "STORY" and m.timestamp <= at]


def _entry(acct: SimAccount, name: str, period: str) -> dict[str, Any]:
    return {"name": name, "period": period, "title": TITLES.get(name, name),
            "description": f"Simulated {name}.",
            "id": f"{acct.ig_user_id}/insights/{name}/{period}"}


def _time_series(world: SimWorld, acct: SimAccount, name: str, since: datetime,
                 until: datetime) -> dict[str, Any]:
    entry = _entry(acct, name, "day")
    values = []
    end = _day_end(since + timedelta(seconds=1))
    last = _day_end(until)
    while end <= last:
        start = end - timedelta(days=1)
        v = _delta(world, acct, name, start, min(end, until))
        values.append({"value": int(v), "end_time": ts(end)})
        end += timedelta(days=1)
    entry["values"] = values
    return entry


def _total_value(world: SimWorld, acct: SimAccount, name: str, since: datetime,
                 until: datetime, breakdown: str | None) -> dict[str, Any]:
    entry = _entry(acct, name, "day")
    total = int(_delta(world, acct, name, since, until))
    tv: dict[str, Any] = {"value": total}
    if breakdown == "media_product_type":
        results = []
        for product, dim in _PRODUCT_DIM.items():
            v = int(_delta(world, acct, name, since, until, product))
            if v:
                results.append({"dimension_values": [dim], "value": v})
        tv["breakdowns"] = [{"dimension_keys": ["media_product_type"], "results": results}]
    elif breakdown in ("follow_type", "follower_type"):
        share = 0.65 if name != "follows_and_unfollows" else 1.0
        fol = int(total * share)
        tv["breakdowns"] = [{"dimension_keys": [breakdown], "results": [
            {"dimension_values": ["FOLLOWER"], "value": fol},
            {"dimension_values": ["NON_FOLLOWER"], "value": total - fol},
        ]}]
    elif breakdown == "contact_button_type":
        tv["breakdowns"] = [{"dimension_keys": [breakdown], "results": [
            {"dimension_values": ["UNDEFINED"], "value": total}]}]
    entry["total_value"] = tv
    return entry


def _online_followers(world: SimWorld, acct: SimAccount, since: datetime,
                      until: datetime) -> dict[str, Any] | None:
    mode = world.config.online_followers_mode
    if mode == "error":
        raise E.GraphError(1, "An unknown error has occurred.", transient=True)
    if mode == "empty" or world.followers_count(acct) < 100:
        return None
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(acct.timezone)
    curve = world.audience.online_curve()
    entry = _entry(acct, "online_followers", "lifetime")
    entry["description"] = ("Total number of this profile's followers that were online during "
                            "the specified period")
    values = []
    end = _day_end(since + timedelta(seconds=1))
    while end <= _day_end(min(until, world.clock.now())):
        followers = world.followers_count(acct, end)
        rng = random.Random(f"{world.config.seed}|online|{acct.ig_user_id}|{end.date()}")
        day_start = end - timedelta(days=1)
        hours: dict[str, int] = {}
        for h in range(24):
            utc_hour = day_start.replace(hour=h, minute=0)
            local_h = utc_hour.astimezone(tz).hour
            share = 0.28 * curve[local_h] * rng.uniform(0.95, 1.05)
            hours[str(h)] = int(followers * share)
        values.append({"value": hours, "end_time": ts(end)})
        end += timedelta(days=1)
    entry["values"] = values
    return entry


def _demographics(world: SimWorld, acct: SimAccount, name: str, params: dict[str, Any],
                  breakdown: str | None) -> dict[str, Any]:
    timeframe = params.get("timeframe")
    if timeframe not in ("this_week", "this_month"):
        raise E.invalid_param("The parameter timeframe is required and must be this_week or "
                              "this_month for demographic metrics")
    dims = {
        "age": ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
        "gender": ["F", "M", "U"],
        "country": ["US", "GB", "DE", "IN", "BR", "CA", "FR"],
        "city": ["London, England", "New York, New York", "Berlin, Berlin", "Mumbai, Maharashtra"],
    }
    b = breakdown or "country"
    if b not in dims:
        raise E.unknown_error()
    rng = random.Random(f"{world.config.seed}|demo|{acct.ig_user_id}|{b}")
    base = world.followers_count(acct)
    if name == "engaged_audience_demographics":
        base = max(base // 20, 0)
    weights = [rng.random() + 0.1 for _ in dims[b]]
    s = sum(weights)
    results = [{"dimension_values": [v], "value": int(base * w / s)}
               for v, w in zip(dims[b], weights, strict=True)]
    entry = _entry(acct, name, "lifetime")
    entry["total_value"] = {"breakdowns": [{"dimension_keys": [b], "results": results}]}
    return entry
