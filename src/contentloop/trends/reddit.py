"""Reddit subreddit listings (hot, rising, new, top) as trend signals.

Anonymous by default (`{base}/r/{sub}/{listing}.json`); with a client id and secret it uses
the application-only OAuth flow (client_credentials at `auth_url`, then bearer requests to
`oauth_url`), which Reddit prefers and rate-limits more generously. The token is cached
until it expires (on the injected clock) and never appears in errors or logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal

from .http import GuardedHTTP, api_error_message
from .polled import PolledSource, fetch_parts
from .source import SourceError
from .text import dedupe, normalize_tag, primary_term, strip_html

DEFAULT_URL = "https://www.reddit.com"
DEFAULT_OAUTH_URL = "https://oauth.reddit.com"
DEFAULT_AUTH_URL = "https://www.reddit.com/api/v1/access_token"
LISTINGS = ("hot", "rising", "new", "top")
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")


def _num(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if value == value and abs(value) < 1e12 else 0.0


def _created(value: object, now: datetime) -> datetime | None:
    seconds = _num(value)
    if seconds <= 0:
        return None
    try:
        when = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return min(when, utc(now))


def parse_listing(
    body: Any, source: str, now: datetime, *, web_url: str = DEFAULT_URL
) -> list[TrendSignal]:
    """A Reddit Listing JSON document → one signal per (non-stickied) post.

    engagement = score + 2·comments; tags = subreddit and flair. Raises only `SourceError`.
    """
    if not isinstance(body, dict) or body.get("kind") != "Listing":
        raise SourceError(source, "not a Reddit listing (expected {'kind': 'Listing', ...})")
    data = body.get("data")
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise SourceError(source, "Reddit listing without data.children")
    observed = utc(now)
    signals: list[TrendSignal] = []
    for child in children[:100]:
        if not isinstance(child, dict) or child.get("kind") != "t3":
            continue
        post = child.get("data")
        if not isinstance(post, dict) or post.get("stickied") is True:
            continue
        title = post.get("title")
        if not isinstance(title, str) or not strip_html(title):
            continue
        title = strip_html(title)[:300]
        permalink = post.get("permalink")
        url = (
            web_url.rstrip("/") + permalink
            if isinstance(permalink, str) and permalink.startswith("/")
            else ""
        )
        selftext = post.get("selftext")
        sub = post.get("subreddit")
        flair = post.get("link_flair_text")
        score = max(_num(post.get("score")), 0.0)
        comments = max(_num(post.get("num_comments")), 0.0)
        signals.append(
            TrendSignal(
                source=source,
                term=primary_term(title),
                title=title,
                observed_at=observed,
                url=url[:2000],
                summary=strip_html(strip_html(selftext))[:500] if isinstance(selftext, str) else "",
                tags=dedupe(
                    [
                        normalize_tag(f"r/{sub}") if isinstance(sub, str) else "",
                        normalize_tag(flair) if isinstance(flair, str) else "",
                    ]
                ),
                volume=1.0,
                engagement=score + 2.0 * comments,
                published_at=_created(post.get("created_utc"), observed),
            )
        )
    return signals


class RedditSource(PolledSource):
    """Listings of some subreddits. `client_id`/`client_secret` switch on OAuth (optional)."""

    kind = "reddit"

    def __init__(
        self,
        subreddits: Sequence[str],
        *,
        listings: Sequence[str] = ("hot", "rising"),
        limit: int = 25,
        base_url: str = DEFAULT_URL,
        oauth_url: str = DEFAULT_OAUTH_URL,
        auth_url: str = DEFAULT_AUTH_URL,
        client_id: str | None = None,
        client_secret: str | None = None,
        name: str | None = None,
        http: GuardedHTTP | None = None,
        min_interval: float | timedelta = 0.0,
        **http_options: object,
    ) -> None:
        subs = [s.strip().removeprefix("r/") for s in subreddits if s.strip()]
        bad = [s for s in subs if not _SUBREDDIT.match(s)]
        if not subs or bad:
            raise ValueError(f"subreddits must be names like 'Coffee'; bad: {bad or subreddits}")
        wrong = [lst for lst in listings if lst not in LISTINGS]
        if not listings or wrong:
            raise ValueError(f"listings must be among {LISTINGS}; bad: {wrong or listings}")
        super().__init__(name or f"reddit:{'+'.join(subs)}", min_interval)
        self.subreddits = tuple(subs)
        self.listings = tuple(listings)
        self.limit = max(1, min(int(limit), 100))
        self.base_url = base_url.rstrip("/")
        self.oauth_url = oauth_url.rstrip("/")
        self.auth_url = auth_url
        self._credentials = (client_id, client_secret) if client_id and client_secret else None
        self._token: str | None = None
        self._token_expires: datetime | None = None
        self.http = http or GuardedHTTP(
            self.name, error_message=api_error_message, **http_options  # type: ignore[arg-type]
        )
        self.skipped: list[tuple[str, str]] = []

    @property
    def uses_oauth(self) -> bool:
        return self._credentials is not None

    def _bearer(self, now: datetime) -> dict[str, str]:
        if self._credentials is None:
            return {}
        if self._token is None or self._token_expires is None or now >= self._token_expires:
            resp = self.http.request(
                "POST",
                self.auth_url,
                data={"grant_type": "client_credentials"},
                auth=self._credentials,  # type: ignore[arg-type]
            )
            body = resp.json(self.name)
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise SourceError(self.name, "Reddit OAuth answered without an access_token")
            expires = body.get("expires_in")
            ttl = float(expires) if isinstance(expires, int | float) and expires > 60 else 3600.0
            self._token = token
            self._token_expires = now + timedelta(seconds=ttl - 60)
        return {"Authorization": f"bearer {self._token}"}

    def _fetch(self, now: datetime) -> list[TrendSignal]:
        self.skipped = []
        headers = {"Accept": "application/json", **self._bearer(now)}
        root = self.oauth_url if self.uses_oauth else self.base_url
        parts = [
            (f"r/{sub}/{listing}", partial(self._listing, root + self._path(sub, listing),
                                           headers, now))
            for sub in self.subreddits
            for listing in self.listings
        ]
        return fetch_parts(self.name, parts, self.skipped, "listing")

    def _path(self, sub: str, listing: str) -> str:
        return f"/r/{sub}/{listing}" if self.uses_oauth else f"/r/{sub}/{listing}.json"

    def _listing(self, url: str, headers: Mapping[str, str], now: datetime) -> list[TrendSignal]:
        resp = self.http.get(url, params=self._params(), headers=headers)
        return parse_listing(resp.json(self.name), self.name, now)

    def _params(self) -> Mapping[str, Any]:
        return {"limit": self.limit, "raw_json": 1}
