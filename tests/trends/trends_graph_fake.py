"""A loopback stand-in for the Graph API's hashtag endpoints, and a tiny HTTP client for it.

The server enforces Instagram's rule itself (30 unique hashtags per user per rolling 7 days,
measured on a shared SimulatedClock) so tests can prove the source never trips it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx2
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from contentloop.domain.clock import SimulatedClock

MediaFactory = Callable[[str, datetime], list[dict[str, Any]]]


class FakeGraph:
    def __init__(self, server: HTTPServer, clock: SimulatedClock, media: MediaFactory) -> None:
        self.server = server
        self.clock = clock
        self.media = media
        self.first_query: dict[str, dict[str, datetime]] = {}
        self.errors: list[str] = []
        self.max_unique_seen = 0
        self.search_calls = 0
        self._lock = threading.Lock()
        server.expect_request("/ig_hashtag_search").respond_with_handler(self._search)
        server.expect_request(
            re.compile(r"^/h-[^/]+/(recent_media|top_media)$")
        ).respond_with_handler(self._media)

    def _search(self, request: Request) -> Response:
        user, q = request.args["user_id"], request.args["q"]
        now = self.clock.now()
        with self._lock:
            self.search_calls += 1
            tags = self.first_query.setdefault(user, {})
            for tag in [t for t, at in tags.items() if now - at >= timedelta(days=7)]:
                del tags[tag]
            if q not in tags:
                if len(tags) >= 30:
                    self.errors.append(q)
                    body = {"error": {"message": "hashtag limit reached", "code": 100}}
                    return Response(json.dumps(body), status=400, content_type="application/json")
                tags[q] = now
            self.max_unique_seen = max(self.max_unique_seen, len(tags))
        return Response(json.dumps({"data": [{"id": f"h-{q}"}]}), content_type="application/json")

    def _media(self, request: Request) -> Response:
        tag = request.path.split("/")[1].removeprefix("h-")
        limit = int(request.args.get("limit", "25"))
        data = self.media(tag, self.clock.now())[:limit]
        return Response(json.dumps({"data": data}), content_type="application/json")


class GraphHashtagClient:
    """Just enough of a Graph client to satisfy `HashtagClient`, over real HTTP."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx2.Client(base_url=base_url, timeout=5, trust_env=False)

    def _get(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        resp = self.http.get(path, params=params)
        if resp.status_code >= 400:
            raise RuntimeError(f"Graph error {resp.status_code}: {resp.json()['error']['message']}")
        data: list[dict[str, Any]] = resp.json()["data"]
        return data

    def hashtag_id(self, ig_user_id: str, q: str) -> str:
        return str(self._get("/ig_hashtag_search", {"user_id": ig_user_id, "q": q})[0]["id"])

    def hashtag_media(
        self, hashtag_id: str, ig_user_id: str, edge: str, fields: Sequence[str], limit: int
    ) -> list[dict[str, Any]]:
        params = {"user_id": ig_user_id, "fields": ",".join(fields), "limit": limit}
        return self._get(f"/{hashtag_id}/{edge}", params)

    def close(self) -> None:
        self.http.close()
