"""What every request handler needs: the store, the approval service, accounts, settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi import Request

from contentloop.domain import Account, Clock
from contentloop.policy.approvals import Approvals
from contentloop.policy.settings import PolicySettings
from contentloop.store import Store
from contentloop.store.web_repo import WebRepo

from .auth import Throttle


@dataclass(frozen=True, slots=True)
class WebConfig:
    """Dashboard settings. `secure_cookies` must stay on unless served over plain HTTP to a
    non-loopback browser (browsers accept Secure cookies from http://127.0.0.1)."""

    secure_cookies: bool = True
    session_ttl: timedelta = timedelta(hours=12)
    throttle: Throttle = field(default_factory=Throttle)
    report_dir: Path | None = None  # where report.html is rendered (a temp dir by default)

    @property
    def session_cookie(self) -> str:
        return "__Host-cl_session" if self.secure_cookies else "cl_session"

    @property
    def login_cookie(self) -> str:
        return "__Host-cl_login" if self.secure_cookies else "cl_login"


@dataclass
class WebContext:
    store: Store
    clock: Clock
    accounts: list[Account]
    approvals: Approvals
    repo: WebRepo
    config: WebConfig

    @classmethod
    def build(cls, store: Store, accounts: Sequence[Account], config: WebConfig,
              policies: Mapping[str, PolicySettings] | None = None) -> WebContext:
        approvals = Approvals(store, accounts, policies=policies)
        return cls(store, store.clock, list(accounts), approvals, approvals.repo, config)

    def account(self, handle: str | None) -> Account:
        for a in self.accounts:
            if a.handle == handle:
                return a
        return self.accounts[0]


def ctx(request: Request) -> WebContext:
    c: WebContext = request.app.state.ctx
    return c
