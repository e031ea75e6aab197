"""Feed builders shared by the trends tests (named uniquely to avoid module clashes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def rss(items: list[dict[str, object]], title: str = "Test feed") -> bytes:
    """An RSS 2.0 document; item keys: title, link, pub (datetime), categories, description."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>https://example.org/</link>",
        "<description>test</description>",
    ]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(str(item['title']))}</title>")
        if "link" in item:
            parts.append(f"<link>{escape(str(item['link']))}</link>")
        if "pub" in item:
            pub = item["pub"]
            assert isinstance(pub, datetime)
            parts.append(f"<pubDate>{format_datetime(pub, usegmt=True)}</pubDate>")
        for cat in item.get("categories", ()):  # type: ignore[attr-defined]
            parts.append(f"<category>{escape(str(cat))}</category>")
        if "description" in item:
            parts.append(f"<description>{escape(str(item['description']))}</description>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def atom(entries: list[dict[str, object]], title: str = "Test atom") -> bytes:
    """An Atom 1.0 document; entry keys: title, link, updated (datetime), categories, summary."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title><id>urn:test</id>",
        "<updated>2026-01-05T00:00:00Z</updated>",
    ]
    for i, entry in enumerate(entries):
        updated = entry.get("updated", NOW - timedelta(hours=1))
        assert isinstance(updated, datetime)
        parts.append("<entry>")
        parts.append(f"<title>{escape(str(entry['title']))}</title>")
        parts.append(f"<id>urn:test:{i}</id>")
        if "link" in entry:
            parts.append(f'<link href="{escape(str(entry["link"]))}"/>')
        parts.append(f"<updated>{updated.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>")
        for cat in entry.get("categories", ()):  # type: ignore[attr-defined]
            parts.append(f'<category term="{escape(str(cat))}"/>')
        if "summary" in entry:
            parts.append(f"<summary>{escape(str(entry['summary']))}</summary>")
        parts.append("</entry>")
    parts.append("</feed>")
    return "".join(parts).encode("utf-8")
