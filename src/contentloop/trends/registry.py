"""Build `TrendSource`s from an account's configuration (`[[accounts.sources]]` in the TOML).

A source that cannot be built (unknown kind, missing option, missing API key, no Graph
client) becomes a `BrokenSource` whose fetch fails with the reason: it shows up as a failing
source in the ingest summary and in `contentloop trends sources`, and the others still run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from contentloop.domain.models import Account, TrendSignal

from .competitors import DiscoveryClient, InstagramCompetitorSource
from .google_trends import DEFAULT_URL as GOOGLE_TRENDS_URL
from .google_trends import GoogleTrendsSource
from .hashtags import HashtagBudget, HashtagClient, InstagramHashtagSource
from .importer import ImportSource
from .reddit import DEFAULT_URL as REDDIT_URL
from .reddit import RedditSource
from .rss import FeedSource
from .source import SourceError, TrendSource
from .urlguard import redact_url
from .youtube import DEFAULT_URL as YOUTUBE_URL
from .youtube import YouTubeSource

KINDS = (
    "rss",
    "google_trends",
    "reddit",
    "youtube",
    "instagram_hashtags",
    "instagram_competitors",
    "import",
)
COMMON_KEYS = frozenset(
    {"kind", "name", "url", "timeout", "rate_limit", "min_interval", "max_bytes", "allow_private"}
)
KIND_KEYS: dict[str, frozenset[str]] = {
    "rss": frozenset(),
    "google_trends": frozenset({"geo"}),
    "reddit": frozenset(
        {"subreddits", "listings", "limit", "oauth_url", "auth_url", "client_id_env",
         "client_secret_env"}
    ),
    "youtube": frozenset({"mode", "region", "category", "queries", "max_results", "key_env"}),
    "instagram_hashtags": frozenset({"hashtags", "edge", "limit"}),
    "instagram_competitors": frozenset({"usernames", "media_limit"}),
    "import": frozenset({"format"}),
}
YOUTUBE_KEY_ENV = "CONTENTLOOP_YOUTUBE_API_KEY"
REDDIT_ID_ENV = "CONTENTLOOP_REDDIT_CLIENT_ID"
REDDIT_SECRET_ENV = "CONTENTLOOP_REDDIT_CLIENT_SECRET"


class BrokenSource:
    """Stands in for a source that could not be configured; every fetch says why."""

    def __init__(self, name: str, kind: str, reason: str) -> None:
        self.name = name
        self.kind = kind
        self.reason = reason

    def __repr__(self) -> str:
        return f"BrokenSource({self.name!r})"

    def fetch(self, now: datetime) -> list[TrendSignal]:
        raise SourceError(self.name, f"misconfigured: {self.reason}")


@dataclass
class SourceContext:
    """What building sources may need besides the spec: Graph access, budget, environment."""

    graph: Any = None  # HashtagClient and DiscoveryClient (GraphClient)
    ig_user_id: str = ""
    budget: HashtagBudget | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    base_dir: Path | None = None  # relative import/feed paths resolve against the config file


def default_name(spec: Mapping[str, Any]) -> str:
    kind = str(spec.get("kind", "?"))
    if spec.get("name"):
        return str(spec["name"])
    if kind == "google_trends":
        return f"google_trends:{str(spec.get('geo', 'US')).upper()}"
    if kind == "reddit":
        return "reddit:" + "+".join(str(s) for s in spec.get("subreddits") or [])
    if kind == "youtube":
        mode = spec.get("mode", "chart")
        label = spec.get("region", "US") if mode == "chart" else "+".join(spec.get("queries") or [])
        return f"youtube:{mode}:{label}"
    if kind == "instagram_hashtags":
        return "instagram_hashtags"
    if kind == "instagram_competitors":
        return "instagram_competitors"
    url = str(spec.get("url", ""))
    if "://" not in url or url.startswith("file:"):
        stem = Path(url.removeprefix("file://")).stem
        return stem if kind == "rss" else f"import:{stem}"
    return redact_url(url) if kind == "rss" else f"import:{redact_url(url)}"


def _strs(spec: Mapping[str, Any], key: str) -> list[str]:
    value = spec.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of strings")
    return list(value)


def _http_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "timeout": float(spec.get("timeout", 10.0)),
        "rate_per_s": float(spec.get("rate_limit", 0.0)),
        "allow_private": bool(spec.get("allow_private", False)),
    }
    if spec.get("max_bytes"):
        opts["max_bytes"] = int(spec["max_bytes"])
    return opts


def _local(location: str, ctx: SourceContext) -> str:
    if "://" in location or ctx.base_dir is None:
        return location
    path = Path(location)
    return str(path if path.is_absolute() else ctx.base_dir / path)


def build_source(spec: Mapping[str, Any], ctx: SourceContext) -> TrendSource:
    """One configured source, or a `BrokenSource` that explains what is wrong with it."""
    kind = str(spec.get("kind", ""))
    name = default_name(spec)
    if kind not in KINDS:
        return BrokenSource(name, kind, f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    unknown = set(spec) - COMMON_KEYS - KIND_KEYS[kind]
    if unknown:
        allowed = ", ".join(sorted(COMMON_KEYS | KIND_KEYS[kind]))
        return BrokenSource(name, kind, f"unknown keys {sorted(unknown)}; allowed: {allowed}")
    try:
        return _build(kind, name, spec, ctx)
    except (ValueError, TypeError) as exc:
        return BrokenSource(name, kind, str(exc))


def _build(kind: str, name: str, spec: Mapping[str, Any], ctx: SourceContext) -> TrendSource:
    url = str(spec.get("url") or "")
    interval = float(spec.get("min_interval", 0.0))
    http = _http_options(spec)
    if kind == "rss":
        if not url:
            raise ValueError("an rss source needs 'url'")
        return FeedSource(_local(url, ctx), name=name, min_interval=interval, **http)
    if kind == "google_trends":
        return GoogleTrendsSource(
            str(spec.get("geo", "US")), base_url=url or GOOGLE_TRENDS_URL, name=name,
            min_interval=interval, **http,
        )
    if kind == "reddit":
        id_env = str(spec.get("client_id_env") or REDDIT_ID_ENV)
        secret_env = str(spec.get("client_secret_env") or REDDIT_SECRET_ENV)
        extra = {k: str(spec[k]) for k in ("oauth_url", "auth_url") if spec.get(k)}
        return RedditSource(
            _strs(spec, "subreddits"),
            listings=_strs(spec, "listings") or ("hot", "rising"),
            limit=int(spec.get("limit", 25)),
            base_url=url or REDDIT_URL,
            client_id=ctx.env.get(id_env) or None,
            client_secret=ctx.env.get(secret_env) or None,
            name=name,
            min_interval=interval,
            **extra,  # type: ignore[arg-type]
            **http,
        )
    if kind == "youtube":
        key_env = str(spec.get("key_env") or YOUTUBE_KEY_ENV)
        key = ctx.env.get(key_env, "")
        if not key:
            raise ValueError(f"no YouTube API key: set the environment variable {key_env}")
        return YouTubeSource(
            key,
            mode=str(spec.get("mode", "chart")),
            region=str(spec.get("region", "US")),
            category=str(spec.get("category", "")),
            queries=_strs(spec, "queries"),
            max_results=int(spec.get("max_results", 25)),
            base_url=url or YOUTUBE_URL,
            name=name,
            min_interval=interval,
            **http,
        )
    if kind == "import":
        if not url:
            raise ValueError("an import source needs 'url' (an http(s) URL or a file path)")
        return ImportSource(
            _local(url, ctx), fmt=str(spec.get("format", "auto")), name=name,
            min_interval=interval, **http,
        )
    if ctx.graph is None or not ctx.ig_user_id:
        raise ValueError(
            "no Instagram Graph API client: configure instagram.graph_url and "
            "CONTENTLOOP_IG_ACCESS_TOKEN (or run inside the loop/demo)"
        )
    if kind == "instagram_hashtags":
        if ctx.budget is None:
            raise ValueError("no hashtag budget available")
        if not isinstance(ctx.graph, HashtagClient):
            raise ValueError("the Graph client cannot search hashtags")
        return InstagramHashtagSource(
            ctx.graph, ctx.ig_user_id, _strs(spec, "hashtags"), ctx.budget, name=name,
            edge=str(spec.get("edge", "top_media")), limit=int(spec.get("limit", 50)),
        )
    if not isinstance(ctx.graph, DiscoveryClient):
        raise ValueError("the Graph client has no business discovery")
    return InstagramCompetitorSource(
        ctx.graph, ctx.ig_user_id, _strs(spec, "usernames"), name=name,
        media_limit=int(spec.get("media_limit", 25)), min_interval=interval,
    )


def account_specs(
    account: Account, specs: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The account's legacy `feeds`, `hashtags_to_watch`, `competitors` as specs, plus `specs`."""
    out: list[dict[str, Any]] = [{"kind": "rss", "url": str(f)} for f in account.feeds]
    if account.hashtags_to_watch:
        out.append({"kind": "instagram_hashtags", "hashtags": list(account.hashtags_to_watch)})
    if account.competitors:
        out.append({"kind": "instagram_competitors", "usernames": list(account.competitors)})
    out += [dict(s) for s in specs]
    return out


def build_sources(
    account: Account, specs: Sequence[Mapping[str, Any]], ctx: SourceContext
) -> list[TrendSource]:
    """Every source of `account` (legacy fields and `[[accounts.sources]]`), names made unique."""
    sources: list[TrendSource] = []
    seen: dict[str, int] = {}
    for spec in account_specs(account, specs):
        name = default_name(spec)
        n = seen.get(name, 0)
        seen[name] = n + 1
        sources.append(build_source({**spec, "name": f"{name}#{n + 1}" if n else name}, ctx))
    return sources


class _NoGraph:
    """Lets `check_spec` build Instagram sources without a Graph API (never called)."""

    def hashtag_id(self, ig_user_id: str, q: str) -> str:
        raise SourceError("instagram", "validation only")

    def hashtag_media(
        self, hashtag_id: str, ig_user_id: str, edge: str, fields: Sequence[str], limit: int
    ) -> list[dict[str, Any]]:
        raise SourceError("instagram", "validation only")

    def business_discovery(
        self, ig_user_id: str, username: str, fields: Sequence[str]
    ) -> dict[str, Any]:
        raise SourceError("instagram", "validation only")


def check_spec(spec: Mapping[str, Any]) -> str | None:
    """Why `spec` cannot make a source (ignoring missing secrets and Graph access), or None."""
    from .hashtags import InMemoryHashtagBudget

    env = {YOUTUBE_KEY_ENV: "x", REDDIT_ID_ENV: "x", REDDIT_SECRET_ENV: "x"}
    for key in ("key_env", "client_id_env", "client_secret_env"):
        if spec.get(key):
            env[str(spec[key])] = "x"
    ctx = SourceContext(_NoGraph(), "validation", InMemoryHashtagBudget(), env)
    source = build_source(spec, ctx)
    return source.reason if isinstance(source, BrokenSource) else None
