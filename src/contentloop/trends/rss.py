"""RSS/Atom feeds over HTTP(S) or from local files, polite and bounded.

Polite: conditional requests (ETag / Last-Modified) and a minimum interval between fetches.
Bounded: SSRF guard on every hop, a byte limit enforced while streaming, a total deadline.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx2

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal

from .feedparse import parse_feed
from .source import SourceError
from .urlguard import Resolver, UnsafeURL, check_url, redact_url

USER_AGENT = "contentloop/0.1 (trend feed reader)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FeedSource:
    """One feed. `location` is an http(s) URL, a file:// URL or a local path (demo, tests).

    `last_status` tells what the last `fetch` did: 'ok', 'not_modified', 'rate_limited'.
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
        client: httpx2.Client | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        if max_bytes <= 0 or timeout <= 0:
            raise ValueError("max_bytes and timeout must be positive")
        self.location = str(location)
        self._path = _local_path(location)
        self.name = name or (
            self._path.stem if self._path is not None else redact_url(self.location)
        )
        self.timeout = float(timeout)
        self.max_bytes = int(max_bytes)
        self.allow_private = allow_private
        self.allow_hosts = tuple(allow_hosts)
        self.min_interval = (
            min_interval if isinstance(min_interval, timedelta) else timedelta(seconds=min_interval)
        )
        self.max_redirects = max_redirects
        self._client = client
        self._resolver = resolver
        self.etag: str | None = None
        self.last_modified: str | None = None
        self.last_attempt: datetime | None = None
        self.last_status = "never"

    def __repr__(self) -> str:
        return f"FeedSource({self.name!r})"

    def fetch(self, now: datetime) -> list[TrendSignal]:
        """Signals from the feed at `now`; [] when rate-limited or not modified since last time."""
        now = utc(now)
        if self.last_attempt is not None and now - self.last_attempt < self.min_interval:
            self.last_status = "rate_limited"
            return []
        self.last_attempt = now
        if self._path is not None:
            data = self._read_file(self._path)
        else:
            maybe = self._download()
            if maybe is None:
                self.last_status = "not_modified"
                return []
            data = maybe
        signals = parse_feed(data, self.name, now)
        self.last_status = "ok"
        return signals

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
        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def _download(self) -> bytes | None:
        """Body bytes, or None on 304. Every hop is re-checked by the SSRF guard."""
        deadline = time.monotonic() + self.timeout
        client = self._client or httpx2.Client(
            timeout=httpx2.Timeout(self.timeout), trust_env=False
        )
        url = self.location
        try:
            for _hop in range(self.max_redirects + 1):
                try:
                    check_url(
                        url,
                        allow_private=self.allow_private,
                        allow_hosts=self.allow_hosts,
                        resolver=self._resolver,
                    )
                except UnsafeURL as exc:
                    raise SourceError(self.name, str(exc)) from None
                result = self._request(client, url, deadline)
                if isinstance(result, str):
                    url = result
                    continue
                return result
            raise SourceError(self.name, f"more than {self.max_redirects} redirects")
        except httpx2.TimeoutException:
            raise SourceError(self.name, f"timed out after {self.timeout:g}s") from None
        except httpx2.HTTPError as exc:
            raise SourceError(self.name, f"HTTP transport error ({type(exc).__name__})") from None
        finally:
            if self._client is None:
                client.close()

    def _request(self, client: httpx2.Client, url: str, deadline: float) -> bytes | str | None:
        """Bytes (200), None (304) or the next URL (redirect)."""
        with client.stream("GET", url, headers=self._headers(), follow_redirects=False) as resp:
            status = resp.status_code
            if status in _REDIRECTS:
                location = resp.headers.get("location")
                if not location:
                    raise SourceError(self.name, f"HTTP {status} redirect without Location")
                return urljoin(url, location)
            if status == 304:
                return None
            if status >= 400:
                reason = f"HTTP {status} {resp.reason_phrase}".strip()
                retry_after = resp.headers.get("retry-after")
                if retry_after:
                    reason += f" (Retry-After: {retry_after[:40]})"
                raise SourceError(self.name, reason)
            if status != 200:
                raise SourceError(self.name, f"unexpected HTTP {status}; expected 200 or 304")
            length = resp.headers.get("content-length")
            if length and length.isdigit() and int(length) > self.max_bytes:
                raise SourceError(
                    self.name, f"response of {length} bytes exceeds limit of {self.max_bytes}"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise SourceError(
                        self.name, f"response exceeds limit of {self.max_bytes} bytes"
                    )
                if time.monotonic() > deadline:
                    raise SourceError(self.name, f"timed out after {self.timeout:g}s (download)")
                chunks.append(chunk)
            self.etag = resp.headers.get("etag") or self.etag
            self.last_modified = resp.headers.get("last-modified") or self.last_modified
            return b"".join(chunks)


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
