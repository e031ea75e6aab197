"""RSS/Atom feeds over HTTP(S) or from local files, polite and bounded.

Polite: conditional requests (ETag / Last-Modified), a minimum interval between fetches
(`PolledSource`) and an optional request rate. Bounded: `GuardedHTTP` checks every hop
against SSRF, enforces a byte limit while streaming and a total deadline.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx2

from contentloop.domain.models import TrendSignal

from .feedparse import parse_feed
from .http import GuardedHTTP, retry_after_note
from .polled import PolledSource
from .source import SourceError
from .urlguard import Resolver, redact_url

USER_AGENT = "contentloop/0.1 (trend feed reader)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_ANY_STATUS = range(100, 600)  # FeedSource words its own status errors (304 is not one)


class FeedSource(PolledSource):
    """One feed. `location` is an http(s) URL, a file:// URL or a local path (demo, tests).

    `last_status` tells what the last `fetch` did: 'ok', 'not_modified', 'rate_limited'.
    `etag` / `last_modified` are the validators sent back on the next request.
    """

    kind = "rss"

    def __init__(
        self,
        location: str | Path,
        name: str | None = None,
        *,
        timeout: float = 10.0,
        max_bytes: int = 2_000_000,
        allow_private: bool = False,
        allow_hosts: Collection[str] = (),
        min_interval: float | timedelta = 0.0,
        max_redirects: int = 3,
        rate_per_s: float = 0.0,
        client: httpx2.Client | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.location = str(location)
        self._path = _local_path(location)
        super().__init__(
            name or (self._path.stem if self._path is not None else redact_url(self.location)),
            min_interval,
        )
        self.http = GuardedHTTP(
            self.name,
            timeout=timeout,
            max_bytes=max_bytes,
            allow_private=allow_private,
            allow_hosts=allow_hosts,
            max_redirects=max_redirects,
            rate_per_s=rate_per_s,
            user_agent=USER_AGENT,
            client=client,
            resolver=resolver,
        )
        self.max_bytes = self.http.max_bytes
        self.etag: str | None = None
        self.last_modified: str | None = None

    def _fetch(self, now: datetime) -> list[TrendSignal] | None:
        """Signals from the feed; None when the server answered 304 Not Modified."""
        data = self._read_file(self._path) if self._path is not None else self._download()
        return None if data is None else parse_feed(data, self.name, now)

    # -- local files ------------------------------------------------------------------------

    def _read_file(self, path: Path) -> bytes:
        try:
            if not path.is_file():
                raise SourceError(self.name, f"feed file not found: {path}")
            if path.stat().st_size > self.max_bytes:
                raise SourceError(self.name, f"feed file exceeds {self.max_bytes} bytes: {path}")
            with path.open("rb") as fh:
                data = fh.read(self.max_bytes + 1)
        except OSError as exc:
            raise SourceError(self.name, f"cannot read feed file {path}: {exc.strerror}") from None
        if len(data) > self.max_bytes:
            raise SourceError(self.name, f"feed file exceeds {self.max_bytes} bytes: {path}")
        return data

    # -- HTTP ------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": ACCEPT}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def _download(self) -> bytes | None:
        """Body bytes (200), or None (304); remembers the validators of a 200."""
        resp = self.http.get(self.location, headers=self._headers(), accept=_ANY_STATUS)
        if resp.status == 304:
            return None
        if resp.status >= 400:
            reason = f"HTTP {resp.status} {resp.reason}".strip()
            raise SourceError(self.name, reason + retry_after_note(resp))
        if resp.status != 200:
            raise SourceError(self.name, f"unexpected HTTP {resp.status}; expected 200 or 304")
        self.etag = resp.headers.get("etag") or self.etag
        self.last_modified = resp.headers.get("last-modified") or self.last_modified
        return resp.body


def _local_path(location: str | Path) -> Path | None:
    if isinstance(location, Path):
        return location
    parts = urlsplit(location)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return None  # remote file shares are refused later by the URL guard
        return Path(unquote(parts.path))
    if parts.scheme in ("http", "https"):
        return None
    if parts.scheme and len(parts.scheme) > 1:
        return None  # ftp:, gopher:, ... → refused by the URL guard
    return Path(location)
