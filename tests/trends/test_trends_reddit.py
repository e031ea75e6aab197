"""Reddit listings (real Listing JSON) over loopback, anonymous and with OAuth."""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from trends_fixture_data import fixture_bytes
from trends_helpers import NOW
from werkzeug import Request, Response

from contentloop.trends.reddit import RedditSource, parse_listing
from contentloop.trends.source import SourceError


def make(server: HTTPServer, **kw: Any) -> RedditSource:
    kw.setdefault("allow_private", True)
    kw.setdefault("timeout", 2)
    return RedditSource(["Coffee"], base_url=server.url_for(""), **kw)


def test_hot_listing_becomes_signals_without_stickies(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/r/Coffee/hot.json").respond_with_data(
        fixture_bytes("reddit_coffee_hot.json"), content_type="application/json"
    )
    source = make(httpserver, listings=["hot"])
    signals = source.fetch(NOW)
    assert [s.title for s in signals] == [
        "Cold brew concentrate ratio that finally worked for me",
        "My grandfather's 1960s espresso machine, restored",
    ]
    first = signals[0]
    assert first.term == "cold brew"
    assert first.engagement == 1843 + 2 * 211
    assert first.url == "https://www.reddit.com/r/Coffee/comments/1hx1111/cold_brew_concentrate_ratio/"
    assert first.tags == ("r/coffee", "recipe")
    assert first.summary == "Tried a 1:5 ratio for cold brew concentrate, 16 hours."
    assert first.published_at == datetime.fromtimestamp(1767610800, tz=UTC)
    req = httpserver.log[0][0]
    assert req.args["limit"] == "25" and req.args["raw_json"] == "1"
    assert "contentloop" in req.headers["User-Agent"]


def test_one_failing_listing_does_not_stop_the_other(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/r/Coffee/hot.json").respond_with_data(
        fixture_bytes("reddit_coffee_hot.json"), content_type="application/json"
    )
    httpserver.expect_request("/r/Coffee/rising.json").respond_with_json(
        {"message": "Forbidden", "error": 403}, status=403
    )
    source = make(httpserver)
    signals = source.fetch(NOW)
    assert len(signals) == 2
    assert source.skipped == [("r/Coffee/rising", source.skipped[0][1])]
    assert "HTTP 403" in source.skipped[0][1] and "Forbidden" in source.skipped[0][1]


def test_all_listings_failing_fails_the_source(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/r/Coffee/hot.json").respond_with_data("<html>blocked</html>")
    with pytest.raises(SourceError, match="every listing failed.*HTML"):
        make(httpserver, listings=["hot"]).fetch(NOW)


class OAuthReddit:
    """Reddit's application-only OAuth: token endpoint + bearer-protected API host."""

    def __init__(self, server: HTTPServer) -> None:
        self.tokens_issued = 0
        server.expect_request("/api/v1/access_token", method="POST").respond_with_handler(
            self.token
        )
        server.expect_request("/oauth/r/Coffee/rising").respond_with_handler(self.listing)

    def token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(b"my-id:my-secret").decode()
        if request.headers.get("Authorization") != expected:
            return Response('{"error": "invalid_grant"}', status=401)
        if request.form.get("grant_type") != "client_credentials":
            return Response('{"error": "unsupported_grant_type"}', status=400)
        self.tokens_issued += 1
        body = {"access_token": f"tok-{self.tokens_issued}", "token_type": "bearer",
                "expires_in": 86400, "scope": "*"}
        return Response(json.dumps(body), content_type="application/json")

    def listing(self, request: Request) -> Response:
        if not request.headers.get("Authorization", "").startswith("bearer tok-"):
            return Response('{"message": "Unauthorized", "error": 401}', status=401)
        return Response(fixture_bytes("reddit_coffee_hot.json"), content_type="application/json")


def test_oauth_fetches_token_once_and_uses_bearer(httpserver: HTTPServer) -> None:
    fake = OAuthReddit(httpserver)
    source = make(
        httpserver,
        listings=["rising"],
        oauth_url=httpserver.url_for("/oauth"),
        auth_url=httpserver.url_for("/api/v1/access_token"),
        client_id="my-id",
        client_secret="my-secret",
    )
    assert source.uses_oauth
    assert len(source.fetch(NOW)) == 2
    assert len(source.fetch(NOW + timedelta(hours=1))) == 2
    assert fake.tokens_issued == 1  # cached until expiry
    source.fetch(NOW + timedelta(days=2))
    assert fake.tokens_issued == 2  # renewed after expiry on the injected clock


def test_oauth_rejection_reason_has_no_secret(httpserver: HTTPServer) -> None:
    OAuthReddit(httpserver)
    source = make(
        httpserver,
        listings=["rising"],
        oauth_url=httpserver.url_for("/oauth"),
        auth_url=httpserver.url_for("/api/v1/access_token"),
        client_id="my-id",
        client_secret="wrong-secret",
    )
    with pytest.raises(SourceError) as info:
        source.fetch(NOW)
    assert "HTTP 401" in info.value.reason and "invalid_grant" in info.value.reason
    assert "wrong-secret" not in str(info.value)


def test_bad_subreddit_names_are_refused() -> None:
    with pytest.raises(ValueError, match="subreddits"):
        RedditSource(["../admin"])
    with pytest.raises(ValueError, match="listings"):
        RedditSource(["Coffee"], listings=["controversial!"])


_json = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_arbitrary_json_never_raises_anything_but_source_error(body: Any) -> None:
    with contextlib.suppress(SourceError):
        parse_listing(body, "r", NOW)


_post = st.fixed_dictionaries(
    {
        "title": st.text(min_size=1, max_size=60),
        "score": st.integers(min_value=-100, max_value=10**6),
        "num_comments": st.integers(min_value=0, max_value=10**5),
        "created_utc": st.floats(min_value=0, max_value=2e9),
        "stickied": st.booleans(),
    },
    optional={"permalink": st.text(max_size=30), "subreddit": st.text(max_size=21)},
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_post, max_size=8))
def test_generated_listings_keep_every_visible_post(posts: list[dict[str, Any]]) -> None:
    from contentloop.trends.text import strip_html

    body = {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": p} for p in posts]}}
    signals = parse_listing(body, "r", NOW)
    expected = [p for p in posts if not p["stickied"] and strip_html(p["title"])]
    assert len(signals) == len(expected)
    for sig, post in zip(signals, expected, strict=True):
        assert sig.engagement == max(post["score"], 0) + 2 * post["num_comments"]
        assert sig.published_at is None or sig.published_at <= NOW
        assert sig.url == "" or sig.url.startswith("https://www.reddit.com/")
