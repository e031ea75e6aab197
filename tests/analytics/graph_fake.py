"""A tiny Graph-insights client for tests, talking to pytest-httpserver on loopback.

It stands in for the `instagram` package's client (built by another team member) so the
analytics sync is exercised against real HTTP responses in the Graph API's shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx2


class GraphError(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(message)


def _value(entry: dict[str, Any]) -> Any:
    if entry.get("values"):
        return entry["values"][0].get("value")
    return (entry.get("total_value") or {}).get("value")


class HttpInsightsSource:
    def __init__(self, base_url: str) -> None:
        self.client = httpx2.Client(base_url=base_url, timeout=5.0)
        self.calls: list[list[str]] = []

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        resp = self.client.get(path, params=params)
        body = resp.json()
        if resp.status_code >= 400:
            err = body.get("error", {})
            raise GraphError(int(err.get("code", 0)), str(err.get("message", "")))
        return body

    def media_insights(self, media_id: str, metrics: Sequence[str]) -> dict[str, float]:
        self.calls.append(list(metrics))
        body = self._get(f"/{media_id}/insights", {"metric": ",".join(metrics)})
        return {e["name"]: _value(e) for e in body.get("data", []) if _value(e) is not None}

    def online_followers(
        self, ig_user_id: str, since: datetime, until: datetime
    ) -> dict[int, float]:
        body = self._get(f"/{ig_user_id}/insights", {"metric": "online_followers"})
        out: dict[int, float] = {}
        for entry in body.get("data", []):
            for day in entry.get("values", []):
                for hour, count in (day.get("value") or {}).items():
                    out[int(hour)] = out.get(int(hour), 0.0) + float(count)
        return out

    def account_insights(
        self,
        ig_user_id: str,
        metrics: Sequence[str],
        since: datetime,
        until: datetime,
        period: str = "day",
    ) -> dict[str, float]:
        body = self._get(f"/{ig_user_id}/insights", {"metric": ",".join(metrics)})
        return {e["name"]: _value(e) for e in body.get("data", [])}
