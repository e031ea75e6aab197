"""The parser's contract: signals or SourceError, never anything else, whatever the bytes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trends_helpers import NOW, atom, rss

from contentloop.trends.feedparse import check_xml_safety, parse_feed
from contentloop.trends.source import SourceError

VALID = rss(
    [
        {"title": "Cold brew at home", "link": "https://example.org/a", "categories": ["x"]},
        {"title": "Latte art", "link": "https://example.org/b"},
    ]
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_or_source_error(data: bytes) -> None:
    try:
        signals = parse_feed(data, "fuzz", NOW)
    except SourceError as exc:
        assert exc.source == "fuzz" and exc.reason
        return
    for s in signals:  # whatever comes out is well-formed
        assert s.title and s.source == "fuzz" and s.observed_at == NOW
        assert s.url == "" or s.url.startswith(("http://", "https://"))
        assert s.published_at is None or s.published_at <= NOW


@FAST
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_only_raise_source_error(data: bytes) -> None:
    parse_or_source_error(data)


@FAST
@given(st.integers(0, len(VALID)), st.binary(min_size=1, max_size=64), st.integers(0, 32))
def test_corrupted_valid_feeds_only_raise_source_error(pos: int, junk: bytes, cut: int) -> None:
    parse_or_source_error(VALID[:pos] + junk + VALID[pos + cut :])


@FAST
@given(st.text(min_size=1, max_size=200), st.text(max_size=200))
def test_any_title_text_round_trips_or_is_refused(title: str, link: str) -> None:
    data = atom([{"title": title, "link": link, "summary": title}])
    parse_or_source_error(data)


@FAST
@given(
    st.sampled_from(["rss", "feed", "html", "svg", "rdf:RDF"]),
    st.sampled_from(["", "<!DOCTYPE x>", '<!DOCTYPE x [<!ENTITY e "v">]>', "<!DOCTYPE html>"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=50),
)
def test_structured_documents_only_raise_source_error(root: str, doctype: str, body: str) -> None:
    ns = ' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"' if ":" in root else ""
    data = f'<?xml version="1.0"?>{doctype}<{root}{ns}>{body}</{root}>'.encode()
    parse_or_source_error(data)


def test_entity_declarations_are_rejected_even_when_harmless() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "x">]><rss><channel/></rss>'
    with pytest.raises(SourceError, match="entity declarations"):
        check_xml_safety(data, "s")


def test_external_entity_is_rejected_without_reading_the_file() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><item><title>&x;</title></item></channel></rss>'
    )
    with pytest.raises(SourceError, match="entity declarations"):
        parse_feed(data, "s", NOW)


def test_plain_doctype_without_entities_is_accepted() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel>'
        b"<title>t</title><item><title>Old school feed</title></item></channel></rss>"
    )
    assert [s.title for s in parse_feed(data, "s", NOW)] == ["Old school feed"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty response body"),
        (b"   \n", "empty response body"),
        (b"<html><body>x</body></html>", "HTML page"),
        (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>', "(X)HTML"),
        (b'<?xml version="1.0"?><svg/>', "root element is <svg>"),
        (b'<?xml version="1.0" encoding="bogus-9"?><rss/>', "encoding"),
        (b'{"items": []}', "invalid XML"),
    ],
)
def test_refusals_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_feed(data, "s", NOW)
    assert reason in info.value.reason


def test_rss1_rdf_feed_is_parsed() -> None:
    data = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
 <channel rdf:about="https://example.org/"><title>t</title><link>https://example.org/</link>
 <description>d</description></channel>
 <item rdf:about="https://example.org/1"><title>Matcha latte recipe</title>
 <link>https://example.org/1</link></item>
</rdf:RDF>"""
    assert [s.term for s in parse_feed(data, "s", NOW)] == ["matcha latte"]


def test_future_dates_are_clamped_and_non_http_links_dropped() -> None:
    from datetime import timedelta

    data = rss(
        [
            {
                "title": "From the future",
                "link": "javascript:alert(1)",
                "pub": NOW + timedelta(days=3),
            }
        ]
    )
    (signal,) = parse_feed(data, "s", NOW)
    assert signal.published_at == NOW
    assert signal.url == ""
