"""Graph API errors as the simulator raises them, rendered in the §6.1 envelope."""

from __future__ import annotations

from typing import Any


class GraphError(Exception):
    """One Graph API error: HTTP status plus the `error` object Meta sends back."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        status: int = 400,
        type_: str = "OAuthException",
        transient: bool = False,
        user_title: str | None = None,
        user_msg: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"graph error {code}/{subcode}: {message}")
        self.code = code
        self.message = message
        self.subcode = subcode
        self.status = status
        self.type = type_
        self.transient = transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.headers = headers or {}

    def body(self, fbtrace_id: str) -> dict[str, Any]:
        err: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "code": self.code,
        }
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        err["is_transient"] = self.transient
        if self.user_title is not None:
            err["error_user_title"] = self.user_title
        if self.user_msg is not None:
            err["error_user_msg"] = self.user_msg
        err["fbtrace_id"] = fbtrace_id
        return {"error": err}


class DropConnection(Exception):
    """Raised after a committed publish to make the server abort the socket (fault mode)."""


def invalid_param(message: str, subcode: int | None = None, **kw: Any) -> GraphError:
    """Code 100: the request itself is wrong."""
    if not message.startswith("("):
        message = f"(#100) {message}"
    return GraphError(100, message, subcode=subcode, **kw)


def _no_such_object(verb: str, object_id: str) -> GraphError:
    return GraphError(
        100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        subcode=33,
        type_="GraphMethodException",
    )


def not_found(object_id: str) -> GraphError:
    return _no_such_object("get", object_id)


def unsupported_post(object_id: str) -> GraphError:
    return _no_such_object("post", object_id)


def token_invalid() -> GraphError:
    return GraphError(190, "Invalid OAuth access token - Cannot parse access token")


def token_missing() -> GraphError:
    return GraphError(
        2500, "An active access token must be used to query information about the current user."
    )


def token_expired(expired_at: str, now: str) -> GraphError:
    return GraphError(
        190,
        f"Error validating access token: Session has expired on {expired_at}. "
        f"The current time is {now}.",
        subcode=463,
    )


def _for_user(code: int, message: str, subcode: int, title: str, user_msg: str) -> GraphError:
    """An error Meta also words for the person (`error_user_title`, `error_user_msg`)."""
    return GraphError(code, message, subcode=subcode, user_title=title, user_msg=user_msg)


def not_ready() -> GraphError:
    return _for_user(
        9007, "Media ID is not available", 2207027, "Media not ready for publishing",
        "The media is not ready for publishing, please wait for a moment",
    )


def publish_quota() -> GraphError:
    return _for_user(
        9, "Application request limit reached", 2207042, "Max requests limit reached",
        "You reached maximum number of posts that is allowed to be published by "
        "Content Publishing API.",
    )


def spam_block() -> GraphError:
    return _for_user(
        4, "Application request limit reached", 2207051, "Action is blocked",
        "We restrict certain activity to protect our community. Tell us if you think "
        "we made a mistake.",
    )


def server_error() -> GraphError:
    return GraphError(
        2,
        "An unexpected error has occurred. Please retry your request later.",
        status=500,
        transient=True,
    )


def builder_missing(creation_id: str) -> GraphError:
    return _for_user(
        24, "The requested resource does not exist", 2207008, "Media builder expired",
        f"The media builder with creation id = {creation_id} does not exist or has "
        "been expired.",
    )


def media_expired() -> GraphError:
    return _for_user(
        -2, "The media has expired", 2207020, "Media expired",
        "The media you are trying to access has expired. Please try to upload again.",
    )


def standalone_video() -> GraphError:
    return _for_user(
        100, "Invalid parameter", 2207089, "Carousel item cannot be published standalone",
        "Media created with media_type=VIDEO is a carousel item and cannot be "
        "published as a standalone post. To publish a standalone video, use "
        "media_type=REELS instead.",
    )


def carousel_count() -> GraphError:
    return _for_user(
        100, "Invalid parameter", 2207028, "Carousel validation failed",
        "Your post won't work as a carousel. Carousels need at least 2 photos/videos "
        "and no more than 10 photos/videos.",
    )


def fetch_failed(uri: str) -> GraphError:
    return _for_user(
        9004, "Only photo or video can be accepted as media type.", 2207052,
        "Media download has failed.", f"The media could not be fetched from this uri: {uri}",
    )


def image_too_large() -> GraphError:
    return _for_user(
        36000, "The image size is too large.", 2207004, "Image size too large",
        "The image is too large to download. It should be less than 8 MiB.",
    )


def image_format(fmt: str) -> GraphError:
    return _for_user(
        36001, "The image format is not supported.", 2207005, "Unsupported image format",
        f"The image format {fmt} is not supported. Supported formats are: JPEG.",
    )


def aspect_ratio(ratio: float) -> GraphError:
    return _for_user(
        36003, "The aspect ratio is not supported.", 2207009, "Cannot publish the image",
        f"The submitted image with aspect ratio ('{ratio:.4g}') cannot be published. "
        "Please submit an image with a valid aspect ratio.",
    )


def caption_too_long() -> GraphError:
    return _for_user(
        36004, "The caption was too long.", 2207010, "Caption too long",
        "The caption is too long. Maximum 2200 characters, 30 hashtags and 20 @ tags.",
    )


def thumb_offset() -> GraphError:
    return _for_user(
        1, "An unknown error has occurred.", 2207057, "Invalid thumbnail offset",
        "Thumbnail offset must be greater than or equal to 0 and less than video duration.",
    )


def unknown_error() -> GraphError:
    return GraphError(1, "An unknown error has occurred.", transient=False)


# code → (HTTP status, message); any other code is the app-level limit (#4)
_RATE_LIMITS: dict[int, tuple[int, str]] = {
    80002: (
        400,
        "(#80002) There have been too many calls to this Instagram account. Wait a bit "
        "and try again. For more info, please refer to https://developers.facebook.com"
        "/docs/graph-api/overview/rate-limiting.",
    ),
    17: (403, "(#17) User request limit reached"),
    32: (403, "(#32) Page request limit reached"),
    613: (400, "(#613) Calls to this api have exceeded the rate limit."),
}
_APP_RATE_LIMIT = (403, "(#4) Application request limit reached")


def rate_limited(code: int, minutes: int, headers: dict[str, str]) -> GraphError:
    status, msg = _RATE_LIMITS.get(code, _APP_RATE_LIMIT)
    return GraphError(code, msg, status=status, transient=True, headers=headers,
                      user_msg=f"Estimated time to regain access: {minutes} minutes.")
