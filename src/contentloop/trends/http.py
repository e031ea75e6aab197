"""One guarded, bounded HTTP GET/POST for every web source (Google Trends, Reddit, YouTube,
imports): SSRF check on every hop, a byte limit enforced while streaming, a total deadline,
a request-rate limit, and error reasons that never contain query strings (where keys live).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import httpx2

from .source import SourceError
from .urlguard import Resolver, UnsafeURL, check_url, redact_url

USER_AGENT = "contentloop/0.1 (trend intelligence; +https://github.com/contentloop)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RateLimiter:
    """At most `rate_per_s` requests per second, evenly spaced (0 = unlimited).

    Uses the monotonic clock and real sleeping on purpose: it paces requests to a remote
    server in wall time; it is not domain time.
    """

    def __init__(
        self,
        rate_per_s: float = 0.0,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_s < 0:
            raise ValueError("rate_per_s must be >= 0")
        self.interval = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
        self._sleep = sleep
        self._monotonic = monotonic
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next request may go; returns the seconds waited."""
        if self.interval <= 0:
            return 0.0
        with self._lock:
            now = self._monotonic()
            delay = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            self._sleep(delay)
        return delay


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    reason: str = ""  # the server's reason phrase ("Not Found"), for sources that quote it

    def json(self, source: str) -> Any:
        """The body as JSON, or `SourceError` saying why it is not."""
        head = self.body[:200].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            raise SourceError(source, "got an HTML page instead of JSON")
        try:
            return json.loads(self.body)
        except UnicodeDecodeError as exc:
            raise SourceError(source, f"JSON is not valid UTF-8 at offset {exc.start}") from None
        except json.JSONDecodeError as exc:
            raise SourceError(
                source, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise SourceError(source, "JSON nested too deeply") from None


def with_params(url: str, params: Mapping[str, Any] | None) -> str:
    """`url` with `params` appended to its query (lists become repeated keys)."""
    if not params:
        return url
    parts = urlsplit(url)
    extra = urlencode(
        [(k, v) for k, v in params.items() if v is not None and v != ""], doseq=True
    )
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class GuardedHTTP:
    """A small HTTP client for one source. Every failure becomes `SourceError(source, reason)`.

    `reason` names the status, the redacted URL path and (for JSON APIs) the API's own message,
    never query strings, headers or bodies that could carry a key.
    """

    def __init__(
        self,
        source: str,
        *,
        timeout: float = 10.0,
        max_bytes: int = 2_000_000,
        allow_private: bool = False,
        allow_hosts: Collection[str] = (),
        max_redirects: int = 3,
        rate_per_s: float = 0.0,
        user_agent: str = USER_AGENT,
        client: httpx2.Client | None = None,
        resolver: Resolver | None = None,
        error_message: Callable[[Response], str | None] | None = None,
    ) -> None:
        if max_bytes <= 0 or timeout <= 0:
            raise ValueError("max_bytes and timeout must be positive")
        self.source = source
        self.timeout = float(timeout)
        self.max_bytes = int(max_bytes)
        self.allow_private = allow_private
        self.allow_hosts = tuple(allow_hosts)
        self.max_redirects = max_redirects
        self.limiter = RateLimiter(rate_per_s)
        self.user_agent = user_agent
        self._client = client
        self._resolver = resolver
        self._error_message = error_message
        self.requests = 0

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (200,),
    ) -> Response:
        return self.request("GET", with_params(url, params), headers=headers, accept=accept)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        accept: Collection[int] = (200,),
    ) -> Response:
        """Send, following redirects by hand (each hop re-checked); statuses in `accept` return."""
        deadline = time.monotonic() + self.timeout
        client = self._client or httpx2.Client(
            timeout=httpx2.Timeout(self.timeout), trust_env=False
        )
        hdrs = {"User-Agent": self.user_agent, **(headers or {})}
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
                    raise SourceError(self.source, str(exc)) from None
                self.limiter.wait()
                self.requests += 1
                resp = self._once(client, method, url, hdrs, data, auth, deadline)
                if resp.status in _REDIRECTS:
                    location = resp.headers.get("location")
                    if not location:
                        raise SourceError(self.source, f"HTTP {resp.status} without Location")
                    url = urljoin(url, location)
                    if resp.status == 303:
                        method, data = "GET", None
                    continue
                if resp.status not in accept:
                    raise SourceError(self.source, self._status_reason(resp))
                return resp
            raise SourceError(self.source, f"more than {self.max_redirects} redirects")
        except httpx2.TimeoutException:
            raise SourceError(self.source, f"timed out after {self.timeout:g}s") from None
        except httpx2.HTTPError as exc:
            raise SourceError(
                self.source, f"HTTP transport error ({type(exc).__name__}) for {redact_url(url)}"
            ) from None
        finally:
            if self._client is None:
                client.close()

    def _status_reason(self, resp: Response) -> str:
        reason = f"HTTP {resp.status} from {redact_url(resp.url)}"
        if self._error_message is not None:
            try:
                detail = self._error_message(resp)
            except Exception:  # the error body is hostile input too
                detail = None
            if detail:
                reason += f": {detail[:200]}"
        return reason + retry_after_note(resp)

    def _once(
        self,
        client: httpx2.Client,
        method: str,
        url: str,
        headers: Mapping[str, str],
        data: Mapping[str, str] | None,
        auth: tuple[str, str] | None,
        deadline: float,
    ) -> Response:
        kwargs: dict[str, Any] = {"headers": dict(headers), "follow_redirects": False}
        if data is not None:
            kwargs["data"] = dict(data)
        if auth is not None:
            kwargs["auth"] = auth
        with client.stream(method, url, **kwargs) as resp:
            status = resp.status_code
            head = {k.lower(): v for k, v in resp.headers.items()}
            if status in _REDIRECTS:
                return Response(status, head, b"", url, resp.reason_phrase)
            length = head.get("content-length", "")
            if length.isdigit() and int(length) > self.max_bytes:
                raise SourceError(
                    self.source, f"response of {length} bytes exceeds limit of {self.max_bytes}"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise SourceError(
                        self.source, f"response exceeds limit of {self.max_bytes} bytes"
                    )
                if time.monotonic() > deadline:
                    raise SourceError(self.source, f"timed out after {self.timeout:g}s (download)")
                chunks.append(chunk)
            return Response(status, head, b"".join(chunks), url, resp.reason_phrase)


def retry_after_note(resp: Response) -> str:
    """' (Retry-After: …)' when the server said when to come back, else ''."""
    retry_after = resp.headers.get("retry-after")
    return f" (Retry-After: {retry_after[:40]})" if retry_after else ""


def api_error_message(resp: Response) -> str | None:
    """The message of a JSON error body in the common shapes ({"error": {"message": ...}},
    {"message": ...}, {"error": "..."}), else None."""
    try:
        body = json.loads(resp.body[:20_000])
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if isinstance(err, dict):
        msg = err.get("message")
        reasons = [
            e.get("reason") for e in err.get("errors") or [] if isinstance(e, dict)
        ]
        text = str(msg) if isinstance(msg, str) else ""
        named = [r for r in reasons if isinstance(r, str)]
        if named:
            text = f"{text} [{', '.join(named[:3])}]".strip()
        return text or None
    if isinstance(err, str):
        return err
    msg = body.get("message")
    return msg if isinstance(msg, str) else None
