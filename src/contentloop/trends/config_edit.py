"""Append a `[[accounts.sources]]` table to one account in contentloop.toml, keeping the file.

No TOML writer is a dependency, so this inserts text: the new table goes right before the
next `[[accounts]]` header (or at the end), which TOML attaches to the intended account.
The result is re-read and validated; on any problem the original file is restored.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from contentloop.domain.errors import ConfigError

_ACCOUNTS_HEADER = re.compile(r"^\s*\[\[\s*accounts\s*\]\]\s*(#.*)?$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(value: Any) -> str:
    """A TOML literal for str, bool, int, float or a list of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError("source", value, "a finite number")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON strings are TOML basic strings
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise ConfigError("source", type(value).__name__, "a string, number, boolean or list")


def source_block(spec: Mapping[str, Any]) -> str:
    lines = ["[[accounts.sources]]"]
    for key, value in spec.items():
        if value is None:
            continue
        if not _BARE_KEY.match(key):
            raise ConfigError(f"sources.{key}", key, "a key of letters, digits, _ or -")
        lines.append(f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def option_value(text: str) -> Any:
    """`--option key=value` values: a TOML literal if it parses as one, else the raw string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def append_source(path: Path, handle: str, spec: Mapping[str, Any]) -> int:
    """Add `spec` to account `handle` in `path`; returns the account's new source count.

    Raises `ConfigError` (file untouched) when the account is not in the file, the file
    defines accounts in a way this cannot edit, or the result would not load.
    """
    from contentloop.config import load_settings

    original = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(original)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "<file>", f"valid TOML ({exc})") from None
    accounts = data.get("accounts")
    if not isinstance(accounts, list) or not accounts:
        raise ConfigError(
            "accounts", "<none>", f"an [[accounts]] table in {path} (run contentloop init)"
        )
    handles = [a.get("handle") for a in accounts if isinstance(a, dict)]
    if handle not in handles:
        raise ConfigError("--account", handle, f"one of the accounts in {path}: {handles}")
    index = handles.index(handle)
    lines = original.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if _ACCOUNTS_HEADER.match(line)]
    if len(headers) != len(accounts):
        raise ConfigError(
            "accounts", "<inline>", "accounts written as [[accounts]] tables (one per account)"
        )
    before = sum(1 for s in accounts[index].get("sources", []) or [])
    block = source_block(spec)
    insert_at = headers[index + 1] if index + 1 < len(headers) else len(lines)
    head = "".join(lines[:insert_at])
    if head and not head.endswith("\n"):
        head += "\n"
    updated = head + "\n" + block + ("\n" if insert_at < len(lines) else "") + "".join(
        lines[insert_at:]
    )
    path.write_text(updated, encoding="utf-8")
    try:
        settings = load_settings(path)
        acc = next(a for a in settings.accounts if a.handle == handle)
        after = len(acc.sources)
        if after != before + 1:
            raise ConfigError("accounts.sources", after, f"{before + 1} sources after adding one")
    except Exception:
        path.write_text(original, encoding="utf-8")
        raise
    return after
