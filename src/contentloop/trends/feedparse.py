"""Feed bytes → `TrendSignal`s, with a safety check before any lenient parsing.

feedparser is forgiving by design; forgiving parsers are where XML bombs and HTML error
pages slip through. So the bytes must first be well-formed XML without entity declarations
(defusedxml), with an RSS/Atom/RDF root, and only then does feedparser read them.
"""

from __future__ import annotations

import calendar
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import feedparser
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from contentloop.domain.clock import utc
from contentloop.domain.models import TrendSignal

from .source import SourceError
from .text import dedupe, normalize_tag, primary_term, strip_html

FEED_ROOTS = frozenset({"rss", "feed", "rdf"})
MAX_ITEMS = 500
MAX_SUMMARY = 500
_XML_DECL_ENC = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _head(data: bytes) -> bytes:
    head = data[:1024]
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
    return head.lstrip().lower()


def _looks_like_html(data: bytes) -> bool:
    head = _head(data)
    return head.startswith((b"<!doctype html", b"<html")) or (
        not head.startswith(b"<?xml") and b"<html" in head[:300]
    )


def _encoding_reason(data: bytes) -> str | None:
    """Why the bytes fail to decode under the encoding they declare (or UTF-8), if they do."""
    match = _XML_DECL_ENC.match(data)
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    try:
        data.decode(encoding)
    except LookupError:
        return f"unknown encoding {encoding!r} declared"
    except UnicodeDecodeError as exc:
        return (
            f"bytes are not valid {encoding} at offset {exc.start} (wrong or mislabelled encoding)"
        )
    return None


def check_xml_safety(data: bytes, source: str) -> str:
    """Raise `SourceError` unless `data` is safe, well-formed XML with a feed root.

    Returns the root element's local name ('rss', 'feed' or 'rdf').
    """
    if not data.strip():
        raise SourceError(source, "empty response body")
    if _looks_like_html(data):
        raise SourceError(source, "got an HTML page instead of an RSS/Atom feed")
    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SourceError(
            source, f"unsafe XML rejected: entity declarations are not allowed ({exc!r})"
        ) from None
    except ET.ParseError as exc:
        reason = _encoding_reason(data)
        raise SourceError(source, reason or f"invalid XML: {exc}") from None
    except LookupError as exc:
        raise SourceError(source, f"unknown or unsupported encoding: {exc}") from None
    except (ValueError, UnicodeError, SyntaxError, TypeError) as exc:
        raise SourceError(source, f"unreadable XML ({type(exc).__name__}: {exc})") from None
    tag = root.tag if isinstance(root.tag, str) else ""
    local = tag.rsplit("}", 1)[-1].lower()
    if local == "html":
        raise SourceError(source, "got an (X)HTML page instead of an RSS/Atom feed")
    if local not in FEED_ROOTS:
        raise SourceError(source, f"not a feed: root element is <{local or '?'}>")
    return local


def _entry_time(entry: Any, now: datetime) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                when = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError, TypeError):
                continue
            return min(when, utc(now))  # clocks of publishers drift; never in our future
    return None


def _safe_link(link: object) -> str:
    if isinstance(link, str) and link.lower().startswith(("http://", "https://")):
        return link[:2000]
    return ""


def parse_feed(data: bytes, source: str, now: datetime) -> list[TrendSignal]:
    """Parse RSS 2.0 / RSS 1.0 (RDF) / Atom bytes into signals observed at `now`.

    One signal per entry with a title: `term` is the title's most specific keyword,
    `tags` are the entry's categories. Any problem raises `SourceError`, nothing else.
    """
    check_xml_safety(data, source)
    try:
        parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True)
    except Exception as exc:  # feedparser is third-party; keep our one-error contract
        raise SourceError(source, f"feed parser failed ({type(exc).__name__})") from None
    if not parsed.get("version") and not parsed.entries:
        raise SourceError(source, "not an RSS/Atom feed (no recognisable feed structure)")
    observed = utc(now)
    signals: list[TrendSignal] = []
    for entry in parsed.entries[:MAX_ITEMS]:
        title = strip_html(str(entry.get("title") or ""))
        if not title:
            continue
        categories = [
            normalize_tag(str(t.get("term") or t.get("label") or ""))
            for t in entry.get("tags") or []
            if isinstance(t, dict)
        ]
        summary = strip_html(str(entry.get("summary") or ""))[:MAX_SUMMARY]
        signals.append(
            TrendSignal(
                source=source,
                term=primary_term(title),
                title=title[:300],
                observed_at=observed,
                url=_safe_link(entry.get("link")),
                summary=summary,
                tags=dedupe(categories),
                volume=1.0,
                engagement=0.0,
                published_at=_entry_time(entry, observed),
            )
        )
    return signals
