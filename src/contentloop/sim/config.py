"""Simulator knobs and the fault queue that makes hard paths reproducible."""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field
from typing import Literal

OnlineFollowersMode = Literal["normal", "empty", "error"]


@dataclass
class SimConfig:
    """Everything a test or benchmark may want to turn.

    Defaults follow the reference notes (§10 of instagram-graph-api.md).
    """

    seed: int = 0
    quota_total: int = 50
    quota_duration_s: int = 86400
    container_limit_per_day: int = 400
    container_finish_polls_image: int = 0
    container_finish_polls_video: int = 2
    container_finish_polls_carousel: int = 0
    # If set, a container also finishes once this much simulated time has passed.
    container_finish_after_s: float | None = None
    container_ttl_s: int = 86400
    strict_tokens: bool = False
    hashtag_cap: int | None = None  # API allows 30; set 5 to mimic the app rule
    hashtag_weekly_unique: int = 30
    online_followers_mode: OnlineFollowersMode = "normal"
    account_timezone: str = "UTC"
    validate_media: bool = True
    require_faststart: bool = False
    fetch_timeout_s: float = 10.0
    insights_min_age_s: float = 1800.0
    # Call budget per access token per rolling hour; headers report usage in percent.
    rate_limit_calls_per_hour: int = 4800
    rate_limit_code: int = 80002  # BUC limit for Instagram endpoints
    platform_rate_limit_code: int = 4  # hashtag search / business discovery
    oauth_wrapped_shape: bool = False
    token_ttl_s: int = 5184000
    default_followers: int = 10_000
    api_host: str = "graph.facebook.com"
    # Delay per request, uniform in [lo, hi] simulated seconds: the wall sleep is divided by
    # the clock's compression `factor` (ScaledClock), so latency never inflates lateness.
    latency_s: tuple[float, float] | None = None
    # How long a "timeout" fault stalls its answer (longer than the client's timeout).
    fault_timeout_s: float = 35.0


@dataclass
class _Fault:
    endpoint: str
    kind: str
    times: int
    probability: float | None = None  # set: fires on that share of calls, never used up


@dataclass
class _UrlFault:
    pattern: str
    subcode: int


@dataclass
class FaultQueue:
    """Per-endpoint one-shot faults, consumed in push order.

    endpoint: "media" (container create), "media_publish", "container_status",
    "media_insights", "user_insights", "hashtag_search", or "*" for any call.
    kind: "drop_after_publish" (media_publish only: commit, then abort the socket),
    "spam" (4/2207051), "500" (code 2, HTTP 500), "9007", "9" (quota), "24" (builder
    missing), "4", "17", "32", "613", "80002" (throttles; "80002=1" regains access after
    1 minute, usage headers included), "190" (expired token), "restricted" (25),
    "timeout" (the answer is held back `SimConfig.fault_timeout_s`; on media_publish the
    publish is committed first), "error" / "error=SUBCODE" (media only: the new container
    ends in status ERROR). The text grammar is in `sim.faultspec`.
    """

    _items: list[_Fault] = field(default_factory=list)
    _url_faults: list[_UrlFault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(default_factory=lambda: random.Random(0))

    def push(
        self, endpoint: str, kind: str, times: int = 1, *, probability: float | None = None
    ) -> None:
        """Queue `kind` for the next `times` calls, or (with `probability`) for a random
        share of all calls from now on (seeded: see `seed`)."""
        if times < 1:
            raise ValueError("times must be >= 1")
        if probability is not None and not 0.0 < probability <= 1.0:
            raise ValueError("probability must be in (0, 1]")
        with self._lock:
            self._items.append(_Fault(endpoint, kind, times, probability))

    def seed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def take(self, endpoint: str) -> str | None:
        """Consume and return the next fault kind for this endpoint, if any."""
        with self._lock:
            for item in self._items:
                if item.endpoint in (endpoint, "*"):
                    if item.probability is not None:
                        if self._rng.random() < item.probability:
                            return item.kind
                        continue
                    item.times -= 1
                    if item.times <= 0:
                        self._items.remove(item)
                    return item.kind
        return None

    def pending(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return [(f.endpoint, f.kind, f.times) for f in self._items if f.probability is None]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._url_faults.clear()

    def fail_container(self, url_pattern: str, subcode: int = 2207026) -> None:
        """Containers whose media URL matches the glob end in status ERROR with `subcode`."""
        with self._lock:
            self._url_faults.append(_UrlFault(url_pattern, subcode))

    def container_failure(self, urls: list[str]) -> int | None:
        with self._lock:
            for uf in self._url_faults:
                if any(fnmatch.fnmatch(u, uf.pattern) for u in urls if u):
                    return uf.subcode
        return None
