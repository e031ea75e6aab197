"""Fixtures: a real store seeded with reviewed posts, users of each role, an app and clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from contentloop.domain import Account, Post, SimulatedClock
from contentloop.store import Store
from contentloop.store.web_repo import Role, WebRepo
from contentloop.web import WebConfig, create_app
from contentloop.web.auth import hash_password, use_hasher

from .data import manual_account, seed

PASSWORD = "correct horse battery staple"
#: Real argon2id, with cheap parameters so a login costs milliseconds in tests.
use_hasher(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
_HASH = hash_password(PASSWORD)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Web:
    store: Store
    clock: SimulatedClock
    account: Account
    posts: list[Post]
    repo: WebRepo

    def app(self, **cfg: object):  # type: ignore[no-untyped-def]
        return create_app(self.store, [self.account], config=WebConfig(**cfg))  # type: ignore[arg-type]

    def token(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.repo.create_token(role, label=role.value)}"}


def make_web(url: str, clock: SimulatedClock) -> Web:
    store = Store(url, clock)
    account = manual_account()
    posts = seed(store, account, n=3)
    repo = WebRepo(store)
    for name, role in (("ada", Role.ADMIN), ("alice", Role.APPROVER), ("vic", Role.VIEWER)):
        repo.add_user(name, role, _HASH)
    return Web(store, clock, account, posts, repo)


@pytest.fixture
def web(db_url: str, clock: SimulatedClock) -> Iterator[Web]:
    w = make_web(db_url, clock)
    yield w
    w.store.close()


@pytest.fixture
def web_sqlite(tmp_path, clock: SimulatedClock) -> Iterator[Web]:  # type: ignore[no-untyped-def]
    w = make_web(f"sqlite:///{tmp_path / 'web.db'}", clock)
    yield w
    w.store.close()


def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url="https://testserver")


def login(c: TestClient, name: str, password: str = PASSWORD, follow: bool = False):  # type: ignore[no-untyped-def]
    page = c.get("/login")
    token = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
    return c.post("/login", data={"name": name, "password": password, "csrf_token": token,
                                  "next": "/queue"}, follow_redirects=follow)


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "page has no CSRF token"
    return m.group(1)
