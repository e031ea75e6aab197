"""Every row of the spec's retry classification table (section 6.6), plus headers."""

from __future__ import annotations

import json

import pytest

from contentloop.instagram.errors import (
    ErrorClass,
    GraphAPIError,
    GraphNetworkError,
    PublishOutcomeUnknown,
    classify,
    explain,
    parse_status_subcode,
    parse_usage,
)

T, NR, TH, Q, A, NC, P = (
    ErrorClass.TRANSIENT, ErrorClass.NOT_READY, ErrorClass.THROTTLED, ErrorClass.QUOTA,
    ErrorClass.AUTH, ErrorClass.NEW_CONTAINER, ErrorClass.PERMANENT,
)

# (http_status, code, subcode, is_transient, message, expected)
TABLE = [
    # retry with backoff
    (500, 1, None, False, "An unknown error has occurred.", T),
    (503, 2, None, False, "Service temporarily unavailable", T),
    (400, 100, None, True, "transient param hiccup", T),
    (400, -1, 2207001, False, "server error", T),
    (400, -1, 2207032, False, "Create media fail", T),
    (400, -2, 2207003, False, "takes too long", T),
    (400, 9004, 2207052, False, "media could not be fetched", T),
    (400, 24, 2207008, False, "media builder does not exist", T),
    # throttles
    (403, 4, None, True, "(#4) Application request limit reached", TH),
    (400, 17, None, False, "User request limit reached", TH),
    (400, 32, None, False, "Page request limit reached", TH),
    (400, 613, None, False, "Calls exceeded the rate limit", TH),
    (400, 80001, None, False, "Page BUC", TH),
    (400, 80002, None, False, "Instagram BUC", TH),
    (400, 4, 2207051, False, "restrict certain activity", TH),
    (400, 9, 2207042, False, "maximum number of posts", Q),
    # poll then publish again
    (400, 9007, 2207027, False, "Media ID is not available", NR),
    # new container
    (400, -2, 2207020, False, "media expired", NC),
    (400, -1, 2207053, False, "unknown upload error", NC),
    (400, 24, 2207006, False, "media cannot be found", NC),
    # fix the input
    (400, 100, None, False, "Invalid parameter", P),
    (400, 100, 2207023, False, "media type unknown", P),
    (400, 100, 2207028, False, "carousel 2..10", P),
    (400, 100, 2207035, False, "product tag", P),
    (400, 100, 2207036, False, "product tag", P),
    (400, 100, 2207037, False, "product tag", P),
    (400, 100, 2207040, False, "too many tags", P),
    (400, 100, 2207089, False, "carousel item standalone", P),
    (400, 36000, 2207004, False, "image too large", P),
    (400, 36001, 2207005, False, "format not supported", P),
    (400, 36003, 2207009, False, "aspect ratio", P),
    (400, 36004, 2207010, False, "caption too long", P),
    (400, 352, 2207026, False, "video format", P),
    (400, 1, 2207057, False, "thumbnail offset", P),
    (400, 100, None, False, "(#100) There cannot be more than 30 days (2592000 s) between", P),
    (400, 100, None, False, "does not support the follows metric for this media", P),
    # re-authenticate / a person must act
    (400, 190, 463, False, "Error validating access token: Session has expired", A),
    (401, 190, 460, False, "password changed", A),
    (400, 190, None, False, "Invalid OAuth access token", A),
    (400, 102, None, False, "API session", A),
    (403, 200, None, False, "(#200) Requires instagram_content_publish permission", A),
    (403, 299, None, False, "permission", A),
    (403, 10, None, False, "(#10) permission denied", A),
    (400, 100, 33, False, "Unsupported post request. Object does not exist", A),
    (400, 25, 2207050, False, "account is restricted", A),
]


def err(status: int | None, code: int | None, sub: int | None, transient: bool, msg: str):
    return GraphAPIError(
        http_status=status, code=code, subcode=sub, type="OAuthException", message=msg,
        is_transient=transient,
    )


@pytest.mark.parametrize(("status", "code", "sub", "transient", "msg", "expected"), TABLE)
def test_classification_table(status, code, sub, transient, msg, expected):
    assert classify(err(status, code, sub, transient, msg)) is expected


@pytest.mark.parametrize("status", [400, 403, 500])
def test_http_status_alone_does_not_decide(status):
    # code 100 arrives as OAuthException with any status; it is never an auth problem
    assert classify(err(status, 100, None, False, "Invalid parameter")) is P
    assert classify(err(status, 190, None, False, "expired")) is A


def test_network_and_bodyless_errors():
    assert classify(GraphNetworkError("ReadTimeout")) is T
    assert classify(err(502, None, None, False, "<html>bad gateway</html>")) is T
    assert classify(err(404, None, None, False, "not found")) is P


def test_from_body_envelope_and_flat_oauth_shape():
    body = {"error": {"message": "The image size is too large.", "type": "OAuthException",
                      "code": 36000, "error_subcode": 2207004, "is_transient": False,
                      "error_user_title": "Image size too large",
                      "error_user_msg": "It should be less than 8 MiB.",
                      "fbtrace_id": "A6LJ"}}
    e = GraphAPIError.from_body(400, body, {"X-App-Usage": "{}"})
    assert (e.code, e.subcode, e.user_title, e.fbtrace_id) == (36000, 2207004,
                                                                 "Image size too large", "A6LJ")
    assert e.headers == {"x-app-usage": "{}"}
    assert "8 MiB" in str(e) and "36000/2207004" in str(e)
    flat = GraphAPIError.from_body(400, {"error_type": "OAuthException", "code": 400,
                                         "error_message": "Invalid authorization code"})
    assert flat.message == "Invalid authorization code" and flat.type == "OAuthException"


def test_explain_is_specific_and_actionable():
    assert "JPEG" in explain(err(400, 36001, 2207005, False, "x"))
    assert "Reconnect" in explain(err(400, 190, 463, False, "x"))
    assert "permission" in explain(err(403, 200, None, False, "x"))
    assert "Range" in explain(err(400, 9004, 2207052, False, "x"))
    assert "never published twice" in explain(PublishOutcomeUnknown("17", "ReadError"))
    generic = explain(err(400, 100, None, False, "weird", ))
    assert generic and "Fix" in generic


def test_usage_headers_case_insensitive_and_regain_minutes():
    headers = {
        "x-app-usage": json.dumps({"call_count": 28, "total_time": 25, "total_cputime": 25}),
        "X-Business-Use-Case-Usage": json.dumps({
            "1784": [{"type": "instagram", "call_count": 95, "total_cputime": 20,
                      "total_time": 20, "estimated_time_to_regain_access": 17}],
        }),
    }
    u = parse_usage(headers)
    assert (u.app_pct, u.business_pct, u.regain_access_minutes) == (28, 95, 17)
    e = GraphAPIError(http_status=400, code=80002, headers=headers)
    assert e.usage.regain_access_minutes == 17 and e.usage.max_pct == 95
    assert parse_usage({"X-App-Usage": "not json"}).app_pct == 0
    assert parse_usage({}).regain_access_minutes == 0


def test_status_subcode_parsing():
    assert parse_status_subcode("Error: Media upload has failed with error code 2207026") == 2207026
    assert parse_status_subcode("In Progress: Media is still being processed.") is None
    assert parse_status_subcode(None) is None
