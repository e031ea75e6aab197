"""Pre-flight: everything that can be checked before a post is scheduled, is.

A post that would fail at publish time (broken media, a URL Instagram cannot fetch, a
token that expires before the slot, a day over the publishing quota) fails here instead,
with a reason a person can act on, while there is still time to fix it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx2

MediaValidator = Callable[[Path, str], list[str]]  # (file, kind) -> problems


@dataclass(frozen=True, slots=True)
class Issue:
    check: str  # media | url | token | quota
    message: str


@dataclass
class PreflightReport:
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    def reason(self) -> str:
        return "; ".join(f"{i.check}: {i.message}" for i in self.issues)


def check_media(files: Iterable[tuple[Path, str]], validate: MediaValidator) -> list[Issue]:
    """Each (file, kind) against Instagram's specs (the validator is the render package's)."""
    out: list[Issue] = []
    for path, kind in files:
        if not Path(path).is_file():
            out.append(Issue("media", f"{Path(path).name} is missing"))
            continue
        out += [Issue("media", f"{Path(path).name}: {p}") for p in validate(Path(path), kind)]
    return out


def check_url(url: str, http: httpx2.Client) -> list[Issue]:
    """What Meta's fetcher does: HEAD, then a ranged GET that must come back 206."""
    try:
        head = http.head(url, follow_redirects=False)
    except httpx2.HTTPError as exc:
        return [Issue("url", f"{url} is unreachable ({type(exc).__name__})")]
    if head.status_code != 200:
        return [Issue("url", f"HEAD {url} answered {head.status_code}, expected 200")]
    ctype = head.headers.get("content-type", "")
    if not ctype.startswith(("image/", "video/")):
        return [Issue("url", f"{url} serves {ctype or 'no content type'}, not an image or "
                             "video (a login or HTML page?)")]
    if int(head.headers.get("content-length") or 0) <= 0:
        return [Issue("url", f"{url} has no Content-Length")]
    try:
        part = http.get(url, headers={"Range": "bytes=0-1023"})
    except httpx2.HTTPError as exc:
        return [Issue("url", f"ranged GET {url} failed ({type(exc).__name__})")]
    if part.status_code != 206 or not part.headers.get("content-range"):
        return [Issue("url", f"{url} ignores Range requests (answered {part.status_code}); "
                             "Instagram's fetcher needs them for video")]
    return []


def check_token(expires_at: datetime | None, now: datetime, horizon: timedelta) -> list[Issue]:
    """The token must outlive the planning horizon (unknown expiry passes)."""
    if expires_at is None or expires_at > now + horizon:
        return []
    if expires_at <= now:
        return [Issue("token", "the access token has expired; reconnect the account")]
    return [Issue("token", f"the access token expires {expires_at:%Y-%m-%d %H:%M} UTC, before "
                           f"the end of the {horizon.days}-day plan; refresh or reconnect")]


def check_quota(
    slots: Sequence[datetime], quota_total: int, window: timedelta = timedelta(hours=24)
) -> list[Issue]:
    """No rolling window of `window` may hold more planned posts than the quota allows."""
    if quota_total <= 0:
        return []
    times = sorted(slots)
    worst, at = 0, None
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        if i - j + 1 > worst:
            worst, at = i - j + 1, t
    if worst > quota_total:
        assert at is not None
        return [Issue("quota", f"{worst} posts planned in the 24 h up to {at:%Y-%m-%d %H:%M} "
                               f"UTC, over the publishing limit of {quota_total}")]
    return []


@dataclass
class Preflight:
    """Runs every check for one rendered post before it is scheduled.

    `token_expiry(handle)` and `quota_total(handle)` come from the token vault and the
    account's `content_publishing_limit` (None / 0: unknown, the check passes).
    """

    http: httpx2.Client
    media_url: Callable[[str], str]
    token_expiry: Callable[[str], datetime | None]
    quota_total: Callable[[str], int]
    planned_slots: Callable[[str], Sequence[datetime]]
    horizon: timedelta = timedelta(days=7)

    def __call__(self, account: str, now: datetime, media: Sequence[tuple[Path, str]]
                 ) -> PreflightReport:
        issues: list[Issue] = []
        for path, _kind in media:
            issues += check_url(self.media_url(str(path)), self.http)
        issues += check_token(self.token_expiry(account), now, self.horizon)
        issues += check_quota(self.planned_slots(account), self.quota_total(account))
        return PreflightReport(issues)
