"""Access tokens at rest: MultiFernet-encrypted in the store, refreshed ahead of expiry.

Keys come from `CONTENTLOOP_SECRET_KEY` (comma-separated, newest first) or a key file (one
key per line, newest first). Encryption always uses the first key; every listed key can
decrypt, so rotation is: put a new key first, run `rotate`, then drop the old key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr
from sqlalchemy import select

from contentloop.domain import Clock, ContentloopError

log = logging.getLogger("contentloop.publish.tokens")

KEY_ENV = "CONTENTLOOP_SECRET_KEY"
KEY_FILE_ENV = "CONTENTLOOP_SECRET_KEY_FILE"
_PREFIX = "ig_token:"


class SecretKeyMissing(ContentloopError):
    """No encryption key is configured, so tokens cannot be stored or read."""

    def __init__(self) -> None:
        super().__init__(
            f"no secret key: set {KEY_ENV} (generate one with `contentloop publish keygen`) "
            f"or point {KEY_FILE_ENV} at a file holding one key per line"
        )


class TokenUnreadable(ContentloopError):
    """A stored token cannot be decrypted with any configured key."""

    def __init__(self, handle: str) -> None:
        self.handle = handle
        super().__init__(
            f"the stored token of {handle!r} cannot be decrypted with the configured keys; "
            "add the key it was written with (rotation keeps old keys after the new one) or "
            "reconnect the account"
        )


class TokenMissing(ContentloopError):
    def __init__(self, handle: str) -> None:
        self.handle = handle
        super().__init__(f"no access token stored for {handle!r}; connect the account first")


def generate_key() -> str:
    return Fernet.generate_key().decode()


class TokenCipher:
    """MultiFernet over the configured keys; the first key encrypts."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        clean = [k.encode() if isinstance(k, str) else k for k in keys if k and k.strip()]
        if not clean:
            raise SecretKeyMissing()
        self._fernet = MultiFernet([Fernet(k.strip()) for k in clean])

    def __repr__(self) -> str:
        return "TokenCipher(***)"

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, key_file: Path | None = None
    ) -> TokenCipher:
        env = os.environ if env is None else env
        keys: list[str] = [k for k in env.get(KEY_ENV, "").split(",") if k.strip()]
        path = key_file or (Path(env[KEY_FILE_ENV]) if env.get(KEY_FILE_ENV) else None)
        if path is not None and path.exists():
            keys += [ln.strip() for ln in path.read_text().splitlines() if ln.strip()
                     and not ln.startswith("#")]
        return cls(keys)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        return self._fernet.decrypt(ciphertext.encode()).decode()

    def rotate(self, ciphertext: str) -> str:
        return self._fernet.rotate(ciphertext.encode()).decode()


@dataclass(frozen=True, slots=True)
class StoredToken:
    handle: str
    token: SecretStr
    expires_at: datetime | None

    def valid_for(self, now: datetime) -> timedelta | None:
        """Time left, or None when the expiry is unknown."""
        return None if self.expires_at is None else self.expires_at - now


class TokenVault:
    """Per-account tokens in the store's `secrets` table (ciphertext only)."""

    def __init__(self, store: Any, cipher: TokenCipher, clock: Clock) -> None:
        self.store = store
        self.cipher = cipher
        self.clock = clock

    def put(self, handle: str, token: SecretStr | str, expires_at: datetime | None) -> None:
        from contentloop.logs import register_secret

        value = token.get_secret_value() if isinstance(token, SecretStr) else token
        register_secret(value)
        self.store.put_secret(_PREFIX + handle, self.cipher.encrypt(value), expires_at)

    def get(self, handle: str) -> StoredToken:
        from contentloop.logs import register_secret

        row = self.store.get_secret(_PREFIX + handle)
        if row is None:
            raise TokenMissing(handle)
        ciphertext, expires_at = row
        try:
            value = self.cipher.decrypt(ciphertext)
        except InvalidToken:
            raise TokenUnreadable(handle) from None
        register_secret(value)
        return StoredToken(handle, SecretStr(value), expires_at)

    def handles(self) -> list[str]:
        from contentloop.store.tables import SecretRow

        with self.store.session() as s:
            names = s.scalars(select(SecretRow.name).where(SecretRow.name.like(_PREFIX + "%")))
            return sorted(n.removeprefix(_PREFIX) for n in names)

    def rotate_all(self) -> int:
        """Re-encrypt every stored token with the first (newest) key."""
        n = 0
        for handle in self.handles():
            row = self.store.get_secret(_PREFIX + handle)
            if row is None:
                continue
            try:
                fresh = self.cipher.rotate(row[0])
            except InvalidToken:
                raise TokenUnreadable(handle) from None
            self.store.put_secret(_PREFIX + handle, fresh, row[1])
            n += 1
        return n

    def refresh_if_due(
        self,
        handle: str,
        client: Any,
        *,
        ahead: timedelta = timedelta(days=10),
        app_secret: SecretStr | str | None = None,
        app_id: str | None = None,
    ) -> bool:
        """Refresh the token when it expires within `ahead`; True if it was refreshed.

        Instagram Login: `refresh_access_token`. Facebook Login (with `app_id` and
        `app_secret`): re-exchange via `fb_exchange_token`. The client adopts the new token.
        """
        stored = self.get(handle)
        left = stored.valid_for(self.clock.now())
        if left is None or left > ahead:
            return False
        if app_id:
            if app_secret is None:
                raise ContentloopError(f"{handle}: Facebook Login refresh needs the app secret")
            token, expires_in = client.exchange_token(app_secret, app_id=app_id)
        else:
            token, expires_in = client.refresh_token()
        expires_at = self.clock.now() + timedelta(seconds=expires_in) if expires_in else None
        self.put(handle, token, expires_at)
        log.info("token of %s refreshed; valid until %s", handle, expires_at)
        return True
