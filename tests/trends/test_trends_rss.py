"""FeedSource against real loopback HTTP servers (pytest-httpserver) and local files."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from trends_helpers import NOW, atom, rss
from werkzeug import Request, Response

from contentloop.trends.rss import FeedSource
from contentloop.trends.source import SourceError, TrendSource

ITEMS = [
    {
        "title": "Cold brew tonic is the drink of the season",
        "link": "https://example.org/a",
        "pub": NOW - timedelta(hours=2),
        "categories": ["Drinks", "Cold Brew"],
        "description": "<p>Tonic &amp; <b>cold brew</b></p>",
    },
    {
        "title": "Latte art basics",
        "link": "https://example.org/b",
        "pub": NOW - timedelta(hours=30),
    },
]


def source(server: HTTPServer, path: str = "/feed", **kw: object) -> FeedSource:
    kw.setdefault("allow_private", True)
    kw.setdefault("timeout", 2.0)
    return FeedSource(server.url_for(path), name="test-feed", **kw)  # type: ignore[arg-type]


def test_rss2_over_http_becomes_signals(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        rss(ITEMS), content_type="application/rss+xml"
    )
    feed = source(httpserver)
    assert isinstance(feed, TrendSource)
    signals = feed.fetch(NOW)
    assert [s.title for s in signals] == [i["title"] for i in ITEMS]
    first = signals[0]
    assert first.source == "test-feed"
    assert first.term == "cold brew"
    assert first.tags == ("drinks", "cold brew")
    assert first.url == "https://example.org/a"
    assert first.summary == "Tonic & cold brew"  # HTML stripped, entities decoded
    assert first.published_at == NOW - timedelta(hours=2)
    assert first.observed_at == NOW
    assert feed.last_status == "ok"


def test_atom_over_http_becomes_signals(httpserver: HTTPServer) -> None:
    entries = [
        {
            "title": "Zone 2 cardio for beginners",
            "link": "https://example.org/z2",
            "updated": NOW - timedelta(hours=3),
            "categories": ["Cardio"],
            "summary": "slow and steady",
        },
        {"title": "Kettlebell swings: form check", "link": "https://example.org/kb"},
    ]
    httpserver.expect_request("/atom").respond_with_data(
        atom(entries), content_type="application/atom+xml"
    )
    signals = source(httpserver, "/atom").fetch(NOW)
    assert [s.title for s in signals] == [e["title"] for e in entries]
    assert signals[0].term == "zone 2"
    assert signals[0].tags == ("cardio",)
    assert signals[0].published_at == NOW - timedelta(hours=3)
    assert signals[1].url == "https://example.org/kb"


def test_etag_and_last_modified_are_sent_back_and_304_yields_nothing(
    httpserver: HTTPServer,
) -> None:
    seen: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(
            rss(ITEMS),
            headers={"ETag": '"v1"', "Last-Modified": "Mon, 05 Jan 2026 10:00:00 GMT"},
            content_type="application/rss+xml",
        )

    httpserver.expect_request("/feed").respond_with_handler(handler)
    feed = source(httpserver)
    assert len(feed.fetch(NOW)) == 2
    assert "If-None-Match" not in seen[0]  # nothing cached yet
    assert feed.fetch(NOW + timedelta(minutes=5)) == []
    assert feed.last_status == "not_modified"
    assert seen[1]["If-None-Match"] == '"v1"'
    assert seen[1]["If-Modified-Since"] == "Mon, 05 Jan 2026 10:00:00 GMT"
    # validators survive a 304 and are sent again
    feed.fetch(NOW + timedelta(minutes=10))
    assert seen[2]["If-None-Match"] == '"v1"'


def test_min_interval_skips_requests(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(rss(ITEMS))
    feed = source(httpserver, min_interval=timedelta(minutes=10))
    assert len(feed.fetch(NOW)) == 2
    assert feed.fetch(NOW + timedelta(minutes=3)) == []
    assert feed.last_status == "rate_limited"
    assert len(httpserver.log) == 1
    assert len(feed.fetch(NOW + timedelta(minutes=11))) == 2
    assert len(httpserver.log) == 2


def test_declared_content_length_over_limit_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(rss(ITEMS * 50))
    with pytest.raises(SourceError, match="exceeds limit of 1000"):
        source(httpserver, "/big", max_bytes=1000).fetch(NOW)


def test_streamed_body_is_cut_off_at_the_limit(tserver: HTTPServer) -> None:
    produced = [0]
    chunk = b"<!-- " + b"x" * 65_536 + b" -->"

    def endless() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><rss version="2.0"><channel>'
        for _ in range(2000):  # ~130 MB if nobody stops reading
            produced[0] += 1
            yield chunk

    tserver.expect_request("/stream").respond_with_handler(
        lambda r: Response(endless(), content_type="application/rss+xml")
    )
    with pytest.raises(SourceError, match="exceeds limit of 200000 bytes"):
        source(tserver, "/stream", max_bytes=200_000).fetch(NOW)
    time.sleep(0.3)
    assert produced[0] < 500  # the client hung up long before the end


def test_html_page_instead_of_feed(httpserver: HTTPServer) -> None:
    page = b"<!DOCTYPE html><html><head><title>Login</title></head><body>Hi</body></html>"
    httpserver.expect_request("/feed").respond_with_data(page, content_type="text/html")
    with pytest.raises(SourceError) as info:
        source(httpserver).fetch(NOW)
    assert info.value.source == "test-feed"
    assert "HTML page instead of an RSS/Atom feed" in info.value.reason


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title></item></channel></rss>"""


def test_billion_laughs_is_rejected_over_http(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(BILLION_LAUGHS)
    with pytest.raises(SourceError, match="entity declarations are not allowed"):
        source(httpserver).fetch(NOW)


def test_invalid_xml_is_reported(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</channel></rss>'
    )
    with pytest.raises(SourceError, match="invalid XML: mismatched tag"):
        source(httpserver).fetch(NOW)


def test_wrong_encoding_is_reported(httpserver: HTTPServer) -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<item><title>Café crème</title></item></channel></rss>"
    ).encode("latin-1")
    httpserver.expect_request("/feed").respond_with_data(body)
    with pytest.raises(SourceError, match="not valid utf-8.*wrong or mislabelled encoding"):
        source(httpserver).fetch(NOW)


def test_correctly_declared_latin1_feed_is_decoded(httpserver: HTTPServer) -> None:
    body = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
        "<title>t</title><item><title>Café crème</title></item></channel></rss>"
    ).encode("latin-1")
    httpserver.expect_request("/feed").respond_with_data(body)
    assert [s.title for s in source(httpserver).fetch(NOW)] == ["Café crème"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, "HTTP 404 NOT FOUND"), (500, "HTTP 500 INTERNAL SERVER ERROR"), (204, "HTTP 204")],
)
def test_http_errors_name_status(httpserver: HTTPServer, status: int, expected: str) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"", status=status)
    with pytest.raises(SourceError) as info:
        source(httpserver).fetch(NOW)
    assert expected.lower() in info.value.reason.lower()
    assert "test-feed" in str(info.value)


def test_429_reports_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        b"slow down", status=429, headers={"Retry-After": "120"}
    )
    with pytest.raises(SourceError, match=r"HTTP 429.*Retry-After: 120"):
        source(httpserver).fetch(NOW)


def test_read_timeout(tserver: HTTPServer) -> None:
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(3)
        return Response(rss(ITEMS))

    tserver.expect_request("/slow").respond_with_handler(slow)
    try:
        with pytest.raises(SourceError, match="timed out after 0.3s"):
            source(tserver, "/slow", timeout=0.3).fetch(NOW)
    finally:
        release.set()


def test_slow_drip_hits_total_deadline(tserver: HTTPServer) -> None:
    def drip() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><rss version="2.0"><channel>'
        for _ in range(40):
            time.sleep(0.1)  # each read is quick, the whole download is not
            yield b"<!-- drip -->"
        yield b"</channel></rss>"

    tserver.expect_request("/drip").respond_with_handler(lambda r: Response(drip()))
    with pytest.raises(SourceError, match="timed out"):
        source(tserver, "/drip", timeout=0.5).fetch(NOW)


def test_connection_refused_is_a_source_error() -> None:
    server = HTTPServer(host="127.0.0.1")
    server.start()
    url = server.url_for("/feed")
    server.stop()  # nothing listens on that port now
    with pytest.raises(SourceError, match="ConnectError"):
        FeedSource(url, name="gone", allow_private=True, timeout=1).fetch(NOW)


def test_loopback_refused_without_opt_in(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(rss(ITEMS))
    with pytest.raises(SourceError, match="loopback"):
        FeedSource(httpserver.url_for("/feed"), name="x").fetch(NOW)
    assert len(httpserver.log) == 0  # refused before any request


def test_redirects_are_followed_and_rechecked(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data(
        b"", status=301, headers={"Location": "/feed"}
    )
    httpserver.expect_request("/feed").respond_with_data(rss(ITEMS))
    host = "localhost"
    assert len(source(httpserver, "/old", allow_private=False, allow_hosts=(host,)).fetch(NOW)) == 2

    # a redirect to another internal host is refused even though the first host was allowed
    target = httpserver.url_for("/feed").replace("localhost", "127.0.0.1")
    httpserver.expect_request("/jump").respond_with_data(
        b"", status=302, headers={"Location": target}
    )
    with pytest.raises(SourceError, match="127.0.0.1.*loopback"):
        source(httpserver, "/jump", allow_private=False, allow_hosts=(host,)).fetch(NOW)


def test_redirect_loop_is_bounded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        b"", status=302, headers={"Location": "/loop"}
    )
    with pytest.raises(SourceError, match="more than 2 redirects"):
        source(httpserver, "/loop", max_redirects=2).fetch(NOW)
    assert len(httpserver.log) == 3


def test_secret_query_is_not_in_errors_or_default_name(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"nope", status=403)
    feed = FeedSource(httpserver.url_for("/feed?token=SUPERSECRET"), allow_private=True)
    with pytest.raises(SourceError) as info:
        feed.fetch(NOW)
    assert "SUPERSECRET" not in str(info.value)
    assert "SUPERSECRET" not in feed.name


def test_local_path_and_file_url(tmp_path: Path) -> None:
    path = tmp_path / "cooking.xml"
    path.write_bytes(atom([{"title": "One-pan lemon orzo", "link": "https://example.org/o"}]))
    by_path = FeedSource(path).fetch(NOW)
    by_url = FeedSource(path.as_uri(), name="cooking").fetch(NOW)
    assert [s.title for s in by_path] == [s.title for s in by_url] == ["One-pan lemon orzo"]
    assert by_path[0].source == "cooking"


def test_local_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="feed file not found"):
        FeedSource(tmp_path / "missing.xml").fetch(NOW)
    big = tmp_path / "big.xml"
    big.write_bytes(rss(ITEMS * 100))
    with pytest.raises(SourceError, match="exceeds 500 bytes"):
        FeedSource(big, max_bytes=500).fetch(NOW)


def test_unsupported_scheme_is_refused() -> None:
    with pytest.raises(SourceError, match="scheme 'ftp' is not allowed"):
        FeedSource("ftp://example.org/feed.xml", name="ftp").fetch(NOW)


def test_configured_rate_limit_paces_feed_requests(httpserver: HTTPServer) -> None:
    from contentloop.trends.registry import SourceContext, build_source

    httpserver.expect_request("/feed").respond_with_data(rss(ITEMS))
    spec = {"kind": "rss", "url": httpserver.url_for("/feed"), "allow_private": True,
            "rate_limit": 5.0}  # one request per 0.2 s
    feed = build_source(spec, SourceContext(env={}))
    started = time.monotonic()
    for minute in range(3):
        assert len(feed.fetch(NOW + timedelta(minutes=minute))) == 2
    assert time.monotonic() - started >= 0.39  # 2 waits of 0.2 s between 3 requests
    assert len(httpserver.log) == 3
