"""Repository for the dashboard: users, sessions, API tokens, login attempts and the audit log.

Raw session and API tokens are returned once, to the caller; only their SHA-256 digests are
stored, so a copy of the database does not let anyone log in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..domain import ContentloopError, NotFound, utc
from .repo import Store
from .tables_web import (
    ApiTokenRow,
    ApprovalAuditRow,
    LoginAttemptRow,
    WebSessionRow,
    WebUserRow,
)


class Role(StrEnum):
    """admin: everything; approver: decide on posts; viewer: read only."""

    ADMIN = "admin"
    APPROVER = "approver"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "approver": 1, "admin": 2}[self.value]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


class UserExists(ContentloopError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"user {name!r} already exists; choose another name")


@dataclass(frozen=True, slots=True)
class WebUser:
    id: int
    name: str
    role: Role
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class ApiToken:
    prefix: str
    label: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None = None
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One decision about a post (approve, reject, edit, reschedule, auto_approve, queued)."""

    post_id: str
    account: str
    at: datetime
    actor: str
    action: str
    reason: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _user(row: WebUserRow) -> WebUser:
    return WebUser(row.id, row.name, Role(row.role), row.disabled)


class WebRepo:
    """Dashboard data over a `Store` (same database, same clock)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- users -------------------------------------------------------------------------------
    def add_user(self, name: str, role: Role, password_hash: str) -> WebUser:
        try:
            with self.store.session() as s:
                row = WebUserRow(name=name, role=Role(role).value, password_hash=password_hash,
                                 disabled=False, created_at=self.store.clock.now())
                s.add(row)
                s.flush()
                return _user(row)
        except IntegrityError:
            raise UserExists(name) from None

    def set_password(self, name: str, password_hash: str, role: Role | None = None) -> WebUser:
        with self.store.session() as s:
            row = s.scalars(select(WebUserRow).where(WebUserRow.name == name)).first()
            if row is None:
                raise NotFound(f"user {name!r} does not exist")
            row.password_hash = password_hash
            if role is not None:
                row.role = Role(role).value
            s.execute(delete(WebSessionRow).where(WebSessionRow.user_id == row.id))
            return _user(row)

    def user_with_hash(self, name: str) -> tuple[WebUser, str] | None:
        with self.store.session() as s:
            row = s.scalars(select(WebUserRow).where(WebUserRow.name == name)).first()
            return (_user(row), row.password_hash) if row else None

    def users(self) -> list[WebUser]:
        with self.store.session() as s:
            return [_user(r) for r in s.scalars(select(WebUserRow).order_by(WebUserRow.name))]

    # -- browser sessions ------------------------------------------------------------------
    def create_session(self, user_id: int, ttl: timedelta) -> tuple[str, str]:
        """A new session; returns (raw session token for the cookie, CSRF token)."""
        raw, csrf = "cls_" + secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.store.clock.now()
        with self.store.session() as s:
            s.add(WebSessionRow(digest=digest(raw), user_id=user_id, csrf=csrf, created_at=now,
                                expires_at=now + ttl))
        return raw, csrf

    def session_user(self, raw: str) -> tuple[WebUser, str] | None:
        """The live session's (user, csrf token), or None when unknown, expired or disabled."""
        now = self.store.clock.now()
        with self.store.session() as s:
            row = s.get(WebSessionRow, digest(raw))
            if row is None:
                return None
            if utc(row.expires_at) <= now:
                s.delete(row)
                return None
            user = s.get(WebUserRow, row.user_id)
            if user is None or user.disabled:
                return None
            return _user(user), row.csrf

    def delete_session(self, raw: str) -> None:
        with self.store.session() as s:
            s.execute(delete(WebSessionRow).where(WebSessionRow.digest == digest(raw)))

    # -- API tokens ------------------------------------------------------------------------
    def create_token(self, role: Role, label: str = "") -> str:
        """A new bearer token; the raw value is returned once and never stored."""
        raw = "clt_" + secrets.token_urlsafe(32)
        with self.store.session() as s:
            s.add(ApiTokenRow(digest=digest(raw), prefix=raw[:10], label=label[:100],
                              role=Role(role).value, created_at=self.store.clock.now(),
                              revoked=False))
        return raw

    def token(self, raw: str) -> ApiToken | None:
        """The live token for a raw bearer value (and note its use), or None."""
        with self.store.session() as s:
            row = s.get(ApiTokenRow, digest(raw))
            if row is None or row.revoked:
                return None
            row.last_used_at = self.store.clock.now()
            return ApiToken(row.prefix, row.label, Role(row.role), utc(row.created_at),
                            utc(row.last_used_at), row.revoked)

    def revoke_token(self, prefix: str) -> int:
        with self.store.session() as s:
            rows = list(s.scalars(select(ApiTokenRow).where(ApiTokenRow.prefix == prefix)))
            for r in rows:
                r.revoked = True
            return len(rows)

    def tokens(self) -> list[ApiToken]:
        with self.store.session() as s:
            return [
                ApiToken(r.prefix, r.label, Role(r.role), utc(r.created_at),
                         utc(r.last_used_at) if r.last_used_at else None, r.revoked)
                for r in s.scalars(select(ApiTokenRow).order_by(ApiTokenRow.created_at))
            ]

    # -- login throttling ------------------------------------------------------------------
    def record_login(self, keys: list[str], ok: bool) -> None:
        now = self.store.clock.now()
        with self.store.session() as s:
            for k in keys:
                s.add(LoginAttemptRow(key=k[:200], at=now, ok=ok))

    def recent_failures(self, key: str, window: timedelta) -> tuple[int, datetime | None]:
        """Failed logins for `key` inside the window and after its last success, and the oldest
        of them (which decides when the key is free again)."""
        since = self.store.clock.now() - window
        with self.store.session() as s:
            last_ok = s.scalar(
                select(func.max(LoginAttemptRow.at)).where(LoginAttemptRow.key == key[:200])
                .where(LoginAttemptRow.ok.is_(True))
            )
            if last_ok is not None and utc(last_ok) > since:
                since = utc(last_ok)
            q = (select(func.count(), func.min(LoginAttemptRow.at))
                 .where(LoginAttemptRow.key == key[:200]).where(LoginAttemptRow.ok.is_(False))
                 .where(LoginAttemptRow.at > since))
            n, oldest = s.execute(q).one()
            return int(n), utc(oldest) if oldest is not None else None

    def prune_logins(self, older_than: datetime) -> None:
        with self.store.session() as s:
            s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < older_than))

    # -- audit log -------------------------------------------------------------------------
    def add_audit(self, entry: AuditEntry) -> None:
        with self.store.session() as s:
            s.add(ApprovalAuditRow(post_id=entry.post_id, account=entry.account, at=entry.at,
                                   actor=entry.actor[:100], action=entry.action[:30],
                                   reason=entry.reason[:4000], before=dict(entry.before),
                                   after=dict(entry.after)))

    def audit(self, post_id: str | None = None, account: str | None = None,
              since: datetime | None = None, limit: int = 200) -> list[AuditEntry]:
        with self.store.session() as s:
            q = select(ApprovalAuditRow)
            if post_id:
                q = q.where(ApprovalAuditRow.post_id == post_id)
            if account:
                q = q.where(ApprovalAuditRow.account == account)
            if since:
                q = q.where(ApprovalAuditRow.at >= since)
            q = q.order_by(ApprovalAuditRow.at.desc(), ApprovalAuditRow.id.desc()).limit(limit)
            return [
                AuditEntry(r.post_id, r.account, utc(r.at), r.actor, r.action, r.reason,
                           dict(r.before), dict(r.after))
                for r in s.scalars(q)
            ]


__all__ = ["ApiToken", "AuditEntry", "Role", "UserExists", "WebRepo", "WebUser", "digest"]
