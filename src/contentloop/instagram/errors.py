"""Graph API errors as typed exceptions, their retry class and a plain-language fix.

Classification follows the spec's section 6.6: by `code`, `error_subcode` and
`is_transient`, never by HTTP status alone (a code-100 `OAuthException` is not a token error).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from contentloop.domain.errors import ContentloopError


class ErrorClass(StrEnum):
    """What the caller should do about an error."""

    TRANSIENT = "transient"  # retry the same request with backoff
    NOT_READY = "not_ready"  # poll the container, then publish again
    THROTTLED = "throttled"  # wait (estimated_time_to_regain_access or minutes/hours)
    QUOTA = "quota"  # publishing limit: wait for the rolling 24 h window
    AUTH = "auth"  # a person must re-authenticate or grant a permission
    NEW_CONTAINER = "new_container"  # the container is unusable: create a new one
    PERMANENT = "permanent"  # fix the input; retrying the same request will fail again


class GraphAPIError(ContentloopError):
    """An error envelope returned by the Graph API (or a network failure, code None).

    Every string field is already redacted: no access token or app secret appears here.
    """

    def __init__(
        self,
        *,
        http_status: int | None,
        code: int | None,
        subcode: int | None = None,
        type: str = "",
        message: str = "",
        user_title: str = "",
        user_msg: str = "",
        is_transient: bool = False,
        fbtrace_id: str = "",
        headers: Mapping[str, str] | None = None,
        method: str = "",
        path: str = "",
    ) -> None:
        self.http_status = http_status
        self.code = code
        self.subcode = subcode
        self.type = type
        self.message = message
        self.user_title = user_title
        self.user_msg = user_msg
        self.is_transient = is_transient
        self.fbtrace_id = fbtrace_id
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.path}".strip()
        code = f"code={self.code}" + (f"/{self.subcode}" if self.subcode else "")
        text = self.message or "no message"
        if self.user_msg and self.user_msg not in text:
            text = f"{text} ({self.user_msg})"
        status = f"HTTP {self.http_status}" if self.http_status else "no response"
        return f"Graph API error on {where or 'request'}: {status} {code}: {text}"

    @property
    def error_class(self) -> ErrorClass:
        return classify(self)

    @property
    def usage(self) -> Usage:
        return parse_usage(self.headers)

    @classmethod
    def from_body(
        cls,
        http_status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        *,
        method: str = "",
        path: str = "",
        redact: Any = None,
    ) -> GraphAPIError:
        """Build from a response body; tolerates the flat OAuth shape and non-JSON bodies."""
        scrub = redact or (lambda s: s)
        err: dict[str, Any] = {}
        if isinstance(body, dict):
            inner = body.get("error")
            if isinstance(inner, dict):
                err = inner
            elif "error_message" in body or "error_type" in body:  # api.instagram.com shape
                err = {
                    "message": body.get("error_message", ""),
                    "type": body.get("error_type", ""),
                    "code": body.get("code"),
                }
            elif isinstance(inner, str):
                err = {"message": inner}
        elif isinstance(body, str) and body:
            err = {"message": body[:300]}
        return cls(
            http_status=http_status,
            code=_to_int(err.get("code")),
            subcode=_to_int(err.get("error_subcode")),
            type=str(err.get("type") or ""),
            message=scrub(str(err.get("message") or "")),
            user_title=scrub(str(err.get("error_user_title") or "")),
            user_msg=scrub(str(err.get("error_user_msg") or "")),
            is_transient=bool(err.get("is_transient", False)),
            fbtrace_id=str(err.get("fbtrace_id") or ""),
            headers=headers,
            method=method,
            path=scrub(path),
        )


class GraphNetworkError(GraphAPIError):
    """No usable HTTP response (connect/read failure, timeout, dropped socket)."""

    def __init__(
        self, detail: str, *, method: str = "", path: str = "", request_sent: bool = True
    ) -> None:
        #: False when the connection never opened, so the server cannot have acted on it.
        self.request_sent = request_sent
        super().__init__(
            http_status=None, code=None, message=detail, is_transient=True,
            method=method, path=path,
        )


class PublishOutcomeUnknown(GraphNetworkError):
    """`media_publish` was sent but no answer came back: the post may already be live.

    Never retry the publish blindly; check the container's status_code first.
    """

    def __init__(self, creation_id: str, detail: str, *, path: str = "") -> None:
        self.creation_id = creation_id
        super().__init__(
            f"media_publish for container {creation_id} got no response ({detail}); "
            "the post may be live: check the container status before publishing again",
            method="POST",
            path=path,
        )


class ContainerFailed(ContentloopError):
    """A container ended in ERROR or EXPIRED (or never finished before the deadline)."""

    def __init__(
        self,
        container_id: str,
        status_code: str,
        *,
        subcode: int | None = None,
        status: str = "",
        new_container: bool = True,
    ) -> None:
        self.container_id = container_id
        self.status_code = status_code
        self.subcode = subcode
        self.status = status
        self.new_container = new_container
        hint = (
            "create a new container and try again"
            if new_container
            else "fix the media (format, codec, size) before trying again"
        )
        sub = f" (subcode {subcode})" if subcode else ""
        super().__init__(
            f"container {container_id} is {status_code}{sub}: {status or 'no detail'}; {hint}"
        )


class ContainerTimeout(ContentloopError):
    """The container was still IN_PROGRESS when the polling deadline passed."""

    def __init__(self, container_id: str, waited_s: float, last_status: str) -> None:
        self.container_id = container_id
        self.waited_s = waited_s
        self.last_status = last_status
        super().__init__(
            f"container {container_id} still {last_status} after {waited_s:.0f}s; "
            "poll again later (it stays usable for 24 h)"
        )


def _to_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- classification ---------------------------------------------------------------

#: (code, subcode) pairs whose meaning is specific; checked before the generic code rules.
_BY_PAIR: dict[tuple[int, int], ErrorClass] = {
    (-1, 2207001): ErrorClass.TRANSIENT,
    (-1, 2207032): ErrorClass.TRANSIENT,
    (-2, 2207003): ErrorClass.TRANSIENT,
    (9004, 2207052): ErrorClass.TRANSIENT,
    (24, 2207008): ErrorClass.TRANSIENT,
    (9007, 2207027): ErrorClass.NOT_READY,
    (9, 2207042): ErrorClass.QUOTA,
    (4, 2207051): ErrorClass.THROTTLED,
    (-2, 2207020): ErrorClass.NEW_CONTAINER,
    (-1, 2207053): ErrorClass.NEW_CONTAINER,
    (24, 2207006): ErrorClass.NEW_CONTAINER,
    (1, 2207057): ErrorClass.PERMANENT,
    (352, 2207026): ErrorClass.PERMANENT,
    (100, 33): ErrorClass.AUTH,
    (25, 2207050): ErrorClass.AUTH,
}
_BY_CODE: dict[int, ErrorClass] = {
    9007: ErrorClass.NOT_READY,
    9: ErrorClass.QUOTA,
    4: ErrorClass.THROTTLED,
    17: ErrorClass.THROTTLED,
    32: ErrorClass.THROTTLED,
    341: ErrorClass.THROTTLED,
    368: ErrorClass.THROTTLED,
    613: ErrorClass.THROTTLED,
    80001: ErrorClass.THROTTLED,
    80002: ErrorClass.THROTTLED,
    190: ErrorClass.AUTH,
    102: ErrorClass.AUTH,
    10: ErrorClass.AUTH,
    25: ErrorClass.AUTH,
    1: ErrorClass.TRANSIENT,
    2: ErrorClass.TRANSIENT,
    -1: ErrorClass.TRANSIENT,
    -2: ErrorClass.TRANSIENT,
}
_PERMANENT_CODES = frozenset({100, 3, 352, 36000, 36001, 36003, 36004, 506})


def classify(err: GraphAPIError) -> ErrorClass:
    """Map an error to what to do next (section 6.6)."""
    code, sub = err.code, err.subcode
    if code is None:
        if err.http_status is None or err.http_status >= 500 or err.http_status == 429:
            return ErrorClass.TRANSIENT
        return ErrorClass.PERMANENT
    if sub is not None and (code, sub) in _BY_PAIR:
        return _BY_PAIR[(code, sub)]
    if code in _BY_CODE and _BY_CODE[code] is not ErrorClass.TRANSIENT:
        return _BY_CODE[code]
    if 200 <= code <= 299:
        return ErrorClass.AUTH
    if err.is_transient:
        return ErrorClass.TRANSIENT
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code in _PERMANENT_CODES:
        return ErrorClass.PERMANENT
    if err.http_status is not None and err.http_status >= 500:
        return ErrorClass.TRANSIENT
    return ErrorClass.PERMANENT


_EXPLAIN_PAIR: dict[tuple[int, int], str] = {
    (9007, 2207027): "Instagram is still processing the media. Wait a moment and publish again.",
    (9, 2207042): (
        "The account reached Instagram's publishing limit for the last 24 hours. "
        "The post will go out when the oldest post in the window is 24 hours old."
    ),
    (4, 2207051): (
        "Instagram suspects spam and restricted this activity. Pause publishing for a few "
        "hours and post less often."
    ),
    (9004, 2207052): (
        "Instagram could not download the media from its URL. Make sure the media host is "
        "reachable from the internet, serves the file directly (not an HTML page) and "
        "supports Range requests."
    ),
    (-2, 2207003): "Downloading the media took too long. Use a faster or closer media host.",
    (-2, 2207020): "The upload expired. A new container will be created.",
    (24, 2207008): "The container expired or does not exist yet. A new container is needed.",
    (24, 2207006): "The media was not found: check the token's permissions, then retry.",
    (25, 2207050): "The Instagram account is restricted. Open the Instagram app to resolve it.",
    (100, 33): (
        "The object does not exist or the token lacks permission for it. Reconnect the "
        "account and check its permissions."
    ),
    (100, 2207028): "A carousel needs between 2 and 10 photos or videos.",
    (100, 2207040): "The caption has more than 20 @-mentions. Remove some.",
    (100, 2207089): "A VIDEO carousel item cannot be published alone; publish it as a reel.",
    (36000, 2207004): "The image is larger than 8 MB. Export it smaller.",
    (36001, 2207005): "The image format is not supported. Instagram only accepts JPEG.",
    (36003, 2207009): "The image's aspect ratio must be between 4:5 and 1.91:1. Crop it.",
    (36004, 2207010): "The caption is too long (max 2200 characters, 30 hashtags, 20 mentions).",
    (352, 2207026): (
        "The video format is not supported. Re-encode as MP4 (H.264, AAC, yuv420p, faststart)."
    ),
    (1, 2207057): "The thumbnail offset is outside the video. Use a value inside its duration.",
}
_EXPLAIN_CLASS: dict[ErrorClass, str] = {
    ErrorClass.TRANSIENT: "Instagram had a temporary problem. It will be retried automatically.",
    ErrorClass.NOT_READY: "Instagram is still processing the media. It will be retried shortly.",
    ErrorClass.THROTTLED: (
        "Too many API calls in a short time. Calls will resume when Instagram allows again; "
        "calling sooner prolongs the block."
    ),
    ErrorClass.QUOTA: "The daily publishing limit is reached. The post waits for a free slot.",
    ErrorClass.AUTH: (
        "The Instagram connection needs attention: reconnect the account (the access token is "
        "expired, revoked or missing a permission)."
    ),
    ErrorClass.NEW_CONTAINER: "The upload is no longer usable. A new one will be created.",
    ErrorClass.PERMANENT: (
        "Instagram rejected the request. Fix the post's media or caption; retrying as is "
        "will fail again."
    ),
}


def explain(err: GraphAPIError) -> str:
    """A sentence a person can act on, for the dashboard and the dead-letter reason."""
    if isinstance(err, GraphNetworkError) and not isinstance(err, PublishOutcomeUnknown):
        return "Instagram could not be reached. It will be retried automatically."
    if isinstance(err, PublishOutcomeUnknown):
        return (
            "The publish request got no answer. The post's status is checked before any new "
            "attempt, so it is never published twice."
        )
    code, sub = err.code, err.subcode
    if code is not None and sub is not None and (code, sub) in _EXPLAIN_PAIR:
        return _EXPLAIN_PAIR[(code, sub)]
    if code == 190:
        return (
            "The Instagram access token is expired or invalid. Reconnect the account to get a "
            "new token."
        )
    if code is not None and (200 <= code <= 299 or code == 10):
        return (
            "The token is missing a permission for this call. Reconnect the account and grant "
            "the requested permissions."
        )
    if code == 100 and "30 days" in err.message:
        return "Insights can be requested for at most 30 days at a time."
    if code == 100 and "metric" in err.message:
        return "That insight metric is not available for this kind of post."
    base = _EXPLAIN_CLASS[classify(err)]
    if err.user_msg:
        return f"{base} Instagram says: {err.user_msg}"
    return base


# --- usage headers ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Usage:
    """Rate-limit usage read from response headers (percentages 0-100)."""

    app_pct: float = 0.0
    business_pct: float = 0.0
    regain_access_minutes: float = 0.0

    @property
    def max_pct(self) -> float:
        return max(self.app_pct, self.business_pct)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _pct_of(d: Mapping[str, Any]) -> float:
    vals = [
        float(v)
        for k, v in d.items()
        if k in ("call_count", "total_time", "total_cputime", "acc_id_util_pct")
        and isinstance(v, int | float)
    ]
    return max(vals, default=0.0)


def parse_usage(headers: Mapping[str, str]) -> Usage:
    """Read X-App-Usage and X-Business-Use-Case-Usage (case-insensitive; absent is fine)."""
    app_pct = biz_pct = regain = 0.0
    raw = _header(headers, "x-app-usage")
    if raw:
        try:
            data = json.loads(raw)
            if isinstance(data, dict):
                app_pct = _pct_of(data)
        except ValueError:
            pass
    raw = _header(headers, "x-business-use-case-usage")
    if raw:
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for entries in data.values():
                for entry in entries if isinstance(entries, list) else [entries]:
                    if not isinstance(entry, dict):
                        continue
                    biz_pct = max(biz_pct, _pct_of(entry))
                    eta = entry.get("estimated_time_to_regain_access")
                    if isinstance(eta, int | float):
                        regain = max(regain, float(eta))
    return Usage(app_pct=app_pct, business_pct=biz_pct, regain_access_minutes=regain)


def regain_access_minutes(headers: Mapping[str, str]) -> float:
    """Minutes until Instagram lifts a throttle, 0 when the headers do not say."""
    return parse_usage(headers).regain_access_minutes


_SUBCODE_RE = re.compile(r"(\d{7})")


def parse_status_subcode(status: str | None) -> int | None:
    """Pull the 7-digit subcode out of a container's `status` text."""
    if not status:
        return None
    m = _SUBCODE_RE.search(status)
    return int(m.group(1)) if m else None
