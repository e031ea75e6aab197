"""Benchmark: ingest and score 10,000 signals from 50 RSS feeds served on loopback.

Prints `signals_per_s=` (fetch + parse + score, wall time) and `peak_mb=` (peak resident
memory of the process, server thread included, from getrusage) last.
`--quick` uses 10 feeds × 200 items.
"""

from __future__ import annotations

import argparse
import logging
import resource
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import structlog

from contentloop.domain import Account, BrandProfile, Pillar
from contentloop.trends.ingest import ingest
from contentloop.trends.rss import FeedSource
from contentloop.trends.scoring import score_opportunities

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
WORDS = ("cold brew", "pour over", "espresso", "latte art", "grinder", "oat milk", "decaf",
         "single origin", "moka pot", "french press", "aeropress", "matcha", "chai", "cortado")


def feed(index: int, items: int) -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>',
             f"<title>feed {index}</title><link>https://example.org/{index}</link>"]
    for j in range(items):
        # skewed topic mix (a few hot topics, a long tail), one topic per title
        topic = WORDS[min((index * 7 + j * j) % 97, len(WORDS) - 1) if j % 3 else j % 4]
        unique = f"k{index}x{j}"
        pub = format_datetime(NOW - timedelta(minutes=7 * j + index), usegmt=True)
        parts.append(
            f"<item><title>{escape(f'{topic} ideas {unique}')}</title>"
            f"<link>https://example.org/{index}/{j}</link><pubDate>{pub}</pubDate>"
            f"<category>{escape(topic)}</category>"
            f"<description>{escape(f'All about {topic}, part {unique}.')}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def serve(feeds: list[bytes]) -> tuple[str, ThreadingHTTPServer]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = feeds[int(self.path.strip("/").split(".")[0])]
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 feeds × 200 items")
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=200)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    n_feeds = 10 if args.quick else args.feeds
    feeds = [feed(i, args.items) for i in range(n_feeds)]
    base, server = serve(feeds)
    account = Account(
        handle="bench", niche="specialty coffee at home",
        brand=BrandProfile(pillars=(Pillar("brewing", 2, ("brew", "pour over", "espresso")),
                                    Pillar("gear", 1, ("grinder", "kettle")))),
    )
    sources = [FeedSource(f"{base}/{i}.xml", name=f"feed{i}", allow_private=True,
                          max_bytes=10_000_000) for i in range(n_feeds)]
    try:
        started = time.perf_counter()
        report = ingest(sources, NOW)
        fetched = time.perf_counter()
        history = {w.replace(" ", ""): [1.0, 2.0, 1.0, 3.0, 2.0, 1.0, 2.0] for w in WORDS}
        opps = score_opportunities(account, report.signals, history, NOW, top_k=20)
        done = time.perf_counter()
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
    finally:
        server.shutdown()
    n = len(report.signals)
    assert not report.failures, report.failures
    assert n == n_feeds * args.items, n
    print(f"feeds={n_feeds}")
    print(f"opportunities={len(opps)} top={opps[0].topic!r}")
    print(f"fetch_parse_s={fetched - started:.3f}")
    print(f"score_s={done - fetched:.3f}")
    print(f"signals={n}")
    print(f"signals_per_s={n / (done - started):.0f}")
    print(f"peak_mb={peak_kb / 1024:.1f}")


if __name__ == "__main__":
    main()
