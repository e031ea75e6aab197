"""Account administration used by the CLI: users (argon2 passwords) and API tokens."""

from __future__ import annotations

from contentloop.store import Store
from contentloop.store.web_repo import ApiToken, Role, WebRepo, WebUser

from .auth import hash_password


def add_user(store: Store, name: str, role: Role | str, password: str, *,
             replace: bool = False) -> WebUser:
    """Create a user (or, with `replace`, set a new password and role and end its sessions)."""
    name = name.strip()
    if not name or len(name) > 64:
        raise ValueError("a user name has 1 to 64 characters")
    repo = WebRepo(store)
    hashed = hash_password(password)
    if replace and repo.user_with_hash(name) is not None:
        return repo.set_password(name, hashed, Role(role))
    return repo.add_user(name, Role(role), hashed)


def create_token(store: Store, role: Role | str, label: str = "") -> str:
    """A new API bearer token; show it once, it cannot be read back."""
    return WebRepo(store).create_token(Role(role), label)


def list_tokens(store: Store) -> list[ApiToken]:
    return WebRepo(store).tokens()


def revoke_token(store: Store, prefix: str) -> int:
    return WebRepo(store).revoke_token(prefix)
