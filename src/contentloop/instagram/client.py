"""A small, typed Instagram Graph API client on httpx2 (sync).

Why its own client: the publish path needs exact control over retries (never retry
`media_publish` blindly), time (backoff sleeps through the injected Clock) and secrets
(the token travels only in the Authorization header and is scrubbed from every error).
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx2
from pydantic import SecretStr

from contentloop.domain.clock import Clock

from .errors import (
    ErrorClass,
    GraphAPIError,
    GraphNetworkError,
    PublishOutcomeUnknown,
    Usage,
    classify,
    parse_status_subcode,
    parse_usage,
)

log = logging.getLogger("contentloop.instagram")

#: Query parameters whose values are secrets wherever they appear (URLs, log lines).
_SECRET_PARAMS = ("access_token", "client_secret", "fb_exchange_token", "input_token", "code")
_SECRET_QS_RE = re.compile(r"(?<![A-Za-z_])((?:" + "|".join(_SECRET_PARAMS) + r")=)[^&\s'\"]+")


class _RedactSecretsFilter(logging.Filter):
    """Scrub secret query values from httpx2's request log lines (it logs full URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = _SECRET_QS_RE.sub(r"\1***", msg)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


_httpx_logger = logging.getLogger("httpx2")
if not any(isinstance(f, _RedactSecretsFilter) for f in _httpx_logger.filters):
    _httpx_logger.addFilter(_RedactSecretsFilter())


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    id: str
    status_code: str  # IN_PROGRESS | FINISHED | PUBLISHED | ERROR | EXPIRED
    status: str = ""
    subcode: int | None = None


@dataclass(frozen=True, slots=True)
class PublishQuota:
    usage: int
    total: int
    duration_s: int

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.usage)


def _secret(value: SecretStr | str) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def _unix(value: datetime | int | float | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value)


def _json_param(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


_UNSUPPORTED_METRIC_RE = re.compile(r"does not support the (.+?) metrics? ", re.IGNORECASE)


def unsupported_metrics(message: str) -> list[str]:
    """Metric names a code-100 insights error rejected, parsed from its message."""
    m = _UNSUPPORTED_METRIC_RE.search(message)
    if not m:
        return []
    parts = re.split(r",|\band\b", m.group(1))
    return [p.strip().strip("'\"") for p in parts if p.strip()]


def _metric_value(entry: Mapping[str, Any]) -> float | None:
    values = entry.get("values")
    if isinstance(values, list) and values:
        first = values[0]
        if isinstance(first, dict) and isinstance(first.get("value"), int | float):
            return float(first["value"])
    total = entry.get("total_value")
    if isinstance(total, dict) and isinstance(total.get("value"), int | float):
        return float(total["value"])
    return None


class GraphClient:
    """Sync Graph API client. `base_url` is the host root (real or the loopback simulator)."""

    def __init__(
        self,
        base_url: str,
        access_token: SecretStr | str,
        api_version: str = "v25.0",
        *,
        clock: Clock,
        timeout: float = 30.0,
        transport: httpx2.BaseTransport | None = None,
        max_attempts: int = 4,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version.strip("/")
        self._token = SecretStr(_secret(access_token))
        self._extra_secrets: list[str] = []
        self.clock = clock
        self.max_attempts = max(1, max_attempts)
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._rng = rng or random.Random()
        self.last_usage = Usage()
        self._http = httpx2.Client(timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"GraphClient(base_url={self.base_url!r}, api_version={self.api_version!r})"

    # --- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def access_token(self) -> SecretStr:
        return self._token

    def set_token(self, token: SecretStr | str) -> None:
        """Swap the token (after a refresh); the old one stays redacted too."""
        self._extra_secrets.append(self._token.get_secret_value())
        self._token = SecretStr(_secret(token))

    # --- plumbing --------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """Remove every secret this client knows from `text`."""
        secrets = [self._token.get_secret_value(), *self._extra_secrets]
        for s in sorted((s for s in secrets if s), key=len, reverse=True):
            text = text.replace(s, "***")
        return _SECRET_QS_RE.sub(r"\1***", text)

    def _url(self, path: str, *, versioned: bool = True) -> str:
        path = path.lstrip("/")
        if versioned and self.api_version:
            return f"{self.base_url}/{self.api_version}/{path}"
        return f"{self.base_url}/{path}"

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform(0, min(cap, base * 2**attempt))."""
        return self._rng.uniform(0.0, min(self.backoff_cap_s, self.backoff_base_s * 2**attempt))

    def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        label: str,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token.get_secret_value()}"}
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        clean_data = {k: v for k, v in (data or {}).items() if v is not None}
        try:
            resp = self._http.request(
                method, url, params=clean_params or None, data=clean_data or None, headers=headers
            )
        except httpx2.TransportError as exc:
            raise GraphNetworkError(
                self.redact(f"{type(exc).__name__}: {exc}"), method=method, path=label,
                request_sent=not isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout),
            ) from None
        self.last_usage = parse_usage(resp.headers)
        try:
            body: Any = resp.json()
        except ValueError:
            body = resp.text
        if resp.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise GraphAPIError.from_body(
                resp.status_code, body, dict(resp.headers), method=method, path=label,
                redact=self.redact,
            )
        if not isinstance(body, dict):
            raise GraphAPIError(
                http_status=resp.status_code, code=None,
                message=self.redact(f"expected a JSON object, got {str(body)[:200]!r}"),
                method=method, path=label,
            )
        log.debug("graph %s %s -> %s", method, label, resp.status_code)
        return body

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        retry: bool = True,
        url: str | None = None,
        versioned: bool = True,
    ) -> dict[str, Any]:
        target = url or self._url(path, versioned=versioned)
        label = self.redact(urlsplit(target).path)
        attempts = self.max_attempts if retry else 1
        for attempt in range(attempts):
            try:
                return self._send_once(method, target, params, data, label)
            except GraphAPIError as err:
                if attempt + 1 >= attempts or classify(err) is not ErrorClass.TRANSIENT:
                    raise
                delay = self._backoff(attempt)
                log.warning(
                    "graph %s %s failed (%s); retry %d/%d in %.1fs",
                    method, label, err, attempt + 1, attempts - 1, delay,
                )
                self.clock.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._request("GET", path, params=params)

    def _post(self, path: str, *, retry: bool = True, **data: Any) -> dict[str, Any]:
        return self._request("POST", path, data=data, retry=retry)

    @staticmethod
    def _id(body: Mapping[str, Any], what: str) -> str:
        value = body.get("id")
        if value is None or value == "":
            raise GraphAPIError(http_status=200, code=None, message=f"{what}: response has no id")
        return str(value)

    # --- account -----------------------------------------------------------------------

    def me(self, fields: Sequence[str] = ("user_id", "username")) -> dict[str, Any]:
        return self._get("me", fields=",".join(fields))

    # --- publishing ------------------------------------------------------------------------

    def _create(self, ig_user_id: str, params: dict[str, Any]) -> str:
        return self._id(self._post(f"{ig_user_id}/media", **params), "create container")

    def create_image_container(
        self,
        ig_user_id: str,
        image_url: str,
        caption: str | None = None,
        *,
        alt_text: str | None = None,
        user_tags: Sequence[Mapping[str, Any]] | None = None,
        location_id: str | None = None,
        collaborators: Sequence[str] | None = None,
        is_carousel_item: bool = False,
    ) -> str:
        """Single image (or an image carousel child when `is_carousel_item`)."""
        params: dict[str, Any] = {"image_url": image_url, "alt_text": alt_text}
        if is_carousel_item:
            params["is_carousel_item"] = "true"
        else:
            params["caption"] = caption
            params["location_id"] = location_id
            if collaborators:
                params["collaborators"] = _json_param(list(collaborators))
        if user_tags:
            params["user_tags"] = _json_param([dict(t) for t in user_tags])
        return self._create(ig_user_id, params)

    def create_video_child(self, ig_user_id: str, video_url: str) -> str:
        """A video carousel item (media_type=VIDEO; never publishable alone)."""
        return self._create(
            ig_user_id, {"media_type": "VIDEO", "video_url": video_url, "is_carousel_item": "true"}
        )

    def create_carousel_container(
        self,
        ig_user_id: str,
        children: Sequence[str],
        caption: str | None = None,
        *,
        location_id: str | None = None,
        collaborators: Sequence[str] | None = None,
    ) -> str:
        params: dict[str, Any] = {
            "media_type": "CAROUSEL",
            "children": ",".join(children),
            "caption": caption,
            "location_id": location_id,
        }
        if collaborators:
            params["collaborators"] = _json_param(list(collaborators))
        return self._create(ig_user_id, params)

    def create_reel_container(
        self,
        ig_user_id: str,
        video_url: str,
        caption: str | None = None,
        *,
        cover_url: str | None = None,
        thumb_offset: int | None = None,
        share_to_feed: bool = True,
        audio_name: str | None = None,
        location_id: str | None = None,
        collaborators: Sequence[str] | None = None,
        user_tags: Sequence[Mapping[str, Any]] | None = None,
    ) -> str:
        """A reel; user tags take the username only (coordinates are ignored for reels)."""
        params: dict[str, Any] = {
            "media_type": "REELS",
            "video_url": video_url,
            "caption": caption,
            "cover_url": cover_url,
            "thumb_offset": thumb_offset if cover_url is None else None,
            "share_to_feed": "true" if share_to_feed else "false",
            "audio_name": audio_name,
            "location_id": location_id,
        }
        if collaborators:
            params["collaborators"] = _json_param(list(collaborators))
        if user_tags:
            params["user_tags"] = _json_param([{"username": t["username"]} for t in user_tags])
        return self._create(ig_user_id, params)

    def create_story_container(
        self,
        ig_user_id: str,
        *,
        image_url: str | None = None,
        video_url: str | None = None,
        user_tags: Sequence[Mapping[str, Any]] | None = None,
    ) -> str:
        """A story (no caption, alt text, location or collaborators; user tags allowed)."""
        if (image_url is None) == (video_url is None):
            raise ValueError("a story takes exactly one of image_url or video_url")
        params: dict[str, Any] = {
            "media_type": "STORIES", "image_url": image_url, "video_url": video_url,
        }
        if user_tags:
            params["user_tags"] = _json_param([dict(t) for t in user_tags])
        return self._create(ig_user_id, params)

    def container_status(self, container_id: str) -> ContainerStatus:
        body = self._get(container_id, fields="status_code,status,id")
        code = str(body.get("status_code") or "").upper()
        status = str(body.get("status") or "")
        sub = parse_status_subcode(status) if code == "ERROR" else None
        return ContainerStatus(
            id=str(body.get("id") or container_id), status_code=code, status=status, subcode=sub
        )

    def publish(self, ig_user_id: str, creation_id: str) -> str:
        """media_publish. Never retried here: a lost answer raises PublishOutcomeUnknown."""
        url = self._url(f"{ig_user_id}/media_publish")
        label = self.redact(urlsplit(url).path)
        try:
            body = self._send_once("POST", url, None, {"creation_id": creation_id}, label)
        except GraphNetworkError as err:
            if not err.request_sent:
                raise  # the request never left: nothing can have been published
            raise PublishOutcomeUnknown(creation_id, err.message, path=label) from None
        return self._id(body, "media_publish")

    def publishing_limit(self, ig_user_id: str) -> PublishQuota:
        body = self._get(f"{ig_user_id}/content_publishing_limit", fields="quota_usage,config")
        data = body.get("data") or [{}]
        row = data[0] if isinstance(data, list) and data else {}
        config = row.get("config") or {}
        return PublishQuota(
            usage=int(row.get("quota_usage") or 0),
            total=int(config.get("quota_total") or 0),
            duration_s=int(config.get("quota_duration") or 86400),
        )

    # --- reading ------------------------------------------------------------------------

    def get_media(self, media_id: str, fields: Sequence[str]) -> dict[str, Any]:
        return self._get(media_id, fields=",".join(fields))

    def _next_url(self, next_url: str) -> str:
        """paging.next carries access_token in its query: drop it (we send the header)."""
        parts = urlsplit(next_url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                 if k != "access_token"]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def iter_media(
        self,
        ig_user_id: str,
        fields: Sequence[str] = ("id", "caption", "timestamp", "media_type"),
        limit: int = 25,
        *,
        edge: str = "media",
        max_pages: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield the account's media (newest first), following paging.next."""
        body = self._get(f"{ig_user_id}/{edge}", fields=",".join(fields), limit=limit)
        pages = 1
        while True:
            yield from body.get("data") or []
            nxt = (body.get("paging") or {}).get("next")
            if not nxt or (max_pages is not None and pages >= max_pages):
                return
            body = self._request("GET", "", url=self._next_url(str(nxt)))
            pages += 1

    # --- insights ------------------------------------------------------------------------

    def media_insights(self, media_id: str, metrics: Sequence[str]) -> dict[str, float]:
        """Lifetime metrics of one media; drops metrics the API rejects and retries once."""
        wanted = list(metrics)
        for attempt in range(2):
            if not wanted:
                return {}
            try:
                body = self._get(f"{media_id}/insights", metric=",".join(wanted))
            except GraphAPIError as err:
                rejected = unsupported_metrics(err.message) if err.code == 100 else []
                if attempt == 0 and rejected:
                    log.info("media %s: dropping unsupported metrics %s", media_id, rejected)
                    wanted = [m for m in wanted if m not in set(rejected)]
                    continue
                raise
            out: dict[str, float] = {}
            for entry in body.get("data") or []:
                value = _metric_value(entry)
                if value is not None and entry.get("name"):
                    out[str(entry["name"])] = value
            return out
        return {}  # pragma: no cover

    def account_insights(
        self,
        ig_user_id: str,
        metrics: Sequence[str],
        period: str = "day",
        since: datetime | int | None = None,
        until: datetime | int | None = None,
        metric_type: str | None = None,
    ) -> list[dict[str, Any]]:
        body = self._get(
            f"{ig_user_id}/insights",
            metric=",".join(metrics),
            period=period,
            since=_unix(since),
            until=_unix(until),
            metric_type=metric_type,
        )
        return list(body.get("data") or [])

    def online_followers(
        self, ig_user_id: str, since: datetime | int | None, until: datetime | int | None
    ) -> dict[int, float]:
        """Mean online followers per hour key (0-23) over the days returned; {} when empty."""
        data = self.account_insights(
            ig_user_id, ["online_followers"], period="lifetime", since=since, until=until
        )
        sums: dict[int, float] = {}
        counts: dict[int, int] = {}
        for entry in data:
            for day in entry.get("values") or []:
                hours = day.get("value") if isinstance(day, dict) else None
                if not isinstance(hours, dict):
                    continue
                for key, value in hours.items():
                    if isinstance(value, int | float):
                        h = int(key)
                        sums[h] = sums.get(h, 0.0) + float(value)
                        counts[h] = counts.get(h, 0) + 1
        return {h: sums[h] / counts[h] for h in sorted(sums)}

    # --- discovery ------------------------------------------------------------------------

    def hashtag_id(self, ig_user_id: str, q: str) -> str:
        body = self._get("ig_hashtag_search", user_id=ig_user_id, q=q.lstrip("#"))
        data = body.get("data") or []
        if not data:
            raise GraphAPIError(http_status=200, code=None, message=f"hashtag #{q} not found")
        return str(data[0]["id"])

    def hashtag_media(
        self,
        hashtag_id: str,
        ig_user_id: str,
        edge: str = "top_media",
        fields: Sequence[str] = (
            "id", "caption", "media_type", "permalink", "timestamp", "like_count",
            "comments_count",
        ),
        limit: int = 25,
    ) -> list[dict[str, Any]]:
        if edge not in ("top_media", "recent_media"):
            raise ValueError("edge must be top_media or recent_media")
        body = self._get(
            f"{hashtag_id}/{edge}", user_id=ig_user_id, fields=",".join(fields), limit=limit
        )
        return list(body.get("data") or [])

    def business_discovery(
        self, ig_user_id: str, username: str, fields: Sequence[str]
    ) -> dict[str, Any]:
        expr = f"business_discovery.username({username}){{{','.join(fields)}}}"
        body = self._get(ig_user_id, fields=expr)
        result = body.get("business_discovery")
        return dict(result) if isinstance(result, dict) else {}

    def post_comment(self, media_id: str, message: str) -> str:
        return self._id(self._post(f"{media_id}/comments", message=message), "comment")

    # --- tokens ------------------------------------------------------------------------

    def exchange_token(
        self, app_secret: SecretStr | str, *, app_id: str | None = None
    ) -> tuple[str, int]:
        """Short-lived -> long-lived token. With `app_id` the Facebook Login flavour
        (fb_exchange_token), else Instagram Login (ig_exchange_token). Adopts the new token."""
        secret = _secret(app_secret)
        self._extra_secrets.append(secret)
        if app_id:
            body = self._request(
                "GET", "oauth/access_token",
                params={
                    "grant_type": "fb_exchange_token", "client_id": app_id,
                    "client_secret": secret, "fb_exchange_token": self._token.get_secret_value(),
                },
            )
        else:
            body = self._request(
                "GET", "access_token", versioned=False,
                params={"grant_type": "ig_exchange_token", "client_secret": secret},
            )
        return self._adopt(body)

    def refresh_token(self) -> tuple[str, int]:
        """Instagram Login refresh (token must be >= 24 h old). Adopts the new token."""
        body = self._request(
            "GET", "refresh_access_token", versioned=False,
            params={"grant_type": "ig_refresh_token"},
        )
        return self._adopt(body)

    def _adopt(self, body: Mapping[str, Any]) -> tuple[str, int]:
        if isinstance(body.get("data"), list) and body["data"]:
            body = body["data"][0]
        token = str(body.get("access_token") or "")
        if not token:
            raise GraphAPIError(http_status=200, code=None, message="token response has no token")
        self.set_token(token)
        return token, int(body.get("expires_in") or 0)

