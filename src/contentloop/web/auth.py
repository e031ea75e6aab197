"""Passwords (argon2id), login throttling and the CSRF check.

Throttling counts failures per user name and per client address in the store, so it holds
across restarts and across several dashboard processes.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from contentloop.domain import ContentloopError
from contentloop.store.web_repo import WebRepo, WebUser

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy: str | None = None
MIN_PASSWORD = 10


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the argon2 parameters (e.g. cheaper ones in tests); returns the previous hasher.
    Hashes made with other parameters still verify: argon2 stores them in the hash."""
    global _hasher, _dummy
    old, _hasher, _dummy = _hasher, hasher, None
    return old


def _dummy_hash() -> str:
    """Verified against when the user does not exist, so timing does not reveal valid names."""
    global _dummy
    if _dummy is None:
        _dummy = _hasher.hash("contentloop-no-such-user")
    return _dummy


class WeakPassword(ContentloopError):
    def __init__(self) -> None:
        super().__init__(f"the password must have at least {MIN_PASSWORD} characters")


class LoginThrottled(ContentloopError):
    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = max(1, retry_after_s)
        super().__init__(f"too many failed logins; try again in {self.retry_after_s} s")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword()
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class Throttle:
    """At most `max_failures` failed logins per user name and per address in `window`."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)

    def keys(self, name: str, address: str) -> list[str]:
        return [f"user:{name.lower()}", f"addr:{address}"]

    def check(self, repo: WebRepo, name: str, address: str, now: datetime) -> None:
        for key in self.keys(name, address):
            n, oldest = repo.recent_failures(key, self.window)
            if n >= self.max_failures and oldest is not None:
                raise LoginThrottled(math.ceil((oldest + self.window - now).total_seconds()))


def authenticate(repo: WebRepo, throttle: Throttle, name: str, password: str, address: str,
                 now: datetime) -> WebUser | None:
    """The user when name and password match (and not throttled or disabled), else None.

    Raises LoginThrottled before checking the password, so guessing stops paying off.
    """
    throttle.check(repo, name, address, now)
    found = repo.user_with_hash(name)
    ok = False
    if found is None:
        verify_password(_dummy_hash(), password)
    else:
        user, stored = found
        ok = verify_password(stored, password) and not user.disabled
    repo.record_login(throttle.keys(name, address), ok)
    return found[0] if ok and found else None


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


__all__ = ["LoginThrottled", "MIN_PASSWORD", "Throttle", "WeakPassword", "authenticate",
           "hash_password", "same_token", "use_hasher", "verify_password"]
