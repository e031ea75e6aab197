"""`contentloop users add` (password from stdin) and `contentloop tokens create` end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from contentloop.config import load_settings
from contentloop.domain import SimulatedClock
from contentloop.store import Store
from contentloop.store.web_repo import WebRepo
from contentloop.web import create_app


def run(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTENTLOOP_")}
    return subprocess.run([sys.executable, "-m", "contentloop.cli.main", *args], cwd=cwd,
                          env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_users_and_tokens_commands(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    secret = "a long enough passphrase"
    r = run("users", "add", "olga", "--role", "approver", cwd=tmp_path, stdin=secret + "\n")
    assert r.returncode == 0, r.stderr
    assert secret not in r.stdout + r.stderr
    weak = run("users", "add", "x", cwd=tmp_path, stdin="short\n")
    assert weak.returncode == 2 and "at least 10 characters" in weak.stderr
    t = run("tokens", "create", "--role", "viewer", "--label", "ci", cwd=tmp_path)
    assert t.returncode == 0
    token = t.stdout.strip()
    assert token.startswith("clt_")
    listed = run("tokens", "list", cwd=tmp_path).stdout
    assert token[:10] in listed and token not in listed  # only the prefix is ever shown

    settings = load_settings(tmp_path / "contentloop.toml")
    store = Store(settings.resolved_database_url, SimulatedClock())
    try:
        found = WebRepo(store).user_with_hash("olga")
        assert found is not None and found[1].startswith("$argon2id$")
        c = TestClient(create_app(store, settings.domain_accounts()),
                       base_url="https://testserver")
        assert c.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json() == {
            "role": "viewer"}
    finally:
        store.close()
