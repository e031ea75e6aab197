"""`contentloop serve`, `contentloop users ...`, `contentloop tokens ...`: the dashboard."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from .common import ConfigOpt, console, fail, settings_or_exit

users_app = typer.Typer(help="Dashboard users (argon2-hashed passwords).", no_args_is_help=True)
tokens_app = typer.Typer(help="REST API bearer tokens.", no_args_is_help=True)
ROLES = "admin, approver or viewer"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")


def _store(config: object) -> object:
    from ..domain import SystemClock
    from ..store import Store

    settings = settings_or_exit(config)  # type: ignore[arg-type]
    return Store(settings.resolved_database_url, SystemClock())


def _role(raw: str) -> str:
    from ..store.web_repo import Role

    try:
        return Role(raw.lower()).value
    except ValueError:
        fail(f"unknown role {raw!r}; use {ROLES}", code=2)


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] =
    "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="Send session cookies over plain HTTP to non-loopback "
        "browsers (only behind a trusted network; prefer HTTPS).")] = False,
    config: ConfigOpt = None,
) -> None:
    """Serve the dashboard and the REST API (docs at /api/docs)."""
    import uvicorn

    from ..domain import SystemClock
    from ..store import Store
    from ..web import WebConfig, create_app

    settings = settings_or_exit(config)
    store = Store(settings.resolved_database_url, SystemClock())
    app = create_app(
        store, settings.domain_accounts(),
        config=WebConfig(secure_cookies=not insecure_cookies,
                         report_dir=settings.data_dir / "web-report"),
        policies={a.handle: a.policy.to_settings() for a in settings.accounts},
    )
    console.print(f"dashboard on http://{host}:{port}  (API reference: /api/docs)")
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level, proxy_headers=False)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            fail("the passwords differ", code=2)
        return first
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help=ROLES)] = "viewer",
    replace: Annotated[bool, typer.Option("--replace", help="Reset an existing user's "
                                          "password and role.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Add a dashboard user; the password is read from stdin (never from the command line)."""
    from ..domain import ContentloopError
    from ..web.admin import add_user

    role = _role(role)
    store = _store(config)
    try:
        user = add_user(store, name, role, _read_password(), replace=replace)  # type: ignore[arg-type]
    except (ContentloopError, ValueError) as exc:
        fail(str(exc), code=2)
    console.print(f"user {user.name} ({user.role.value}) saved")


@users_app.command("list")
def users_list(config: ConfigOpt = None) -> None:
    """List dashboard users and their roles."""
    from ..store.web_repo import WebRepo

    for u in WebRepo(_store(config)).users():  # type: ignore[arg-type]
        console.print(f"{u.name:24} {u.role.value}{'  (disabled)' if u.disabled else ''}",
                      highlight=False)


@tokens_app.command("create")
def tokens_create(
    role: Annotated[str, typer.Option(help=ROLES)] = "viewer",
    label: Annotated[str, typer.Option(help="Who or what uses the token (shown in the "
                                       "audit log).")] = "",
    config: ConfigOpt = None,
) -> None:
    """Create an API token and print it once (store it; it cannot be shown again)."""
    from ..web.admin import create_token

    token = create_token(_store(config), _role(role), label)  # type: ignore[arg-type]
    sys.stdout.write(token + "\n")


@tokens_app.command("list")
def tokens_list(config: ConfigOpt = None) -> None:
    """List tokens by prefix (the secret part is never stored)."""
    from ..web.admin import list_tokens

    for t in list_tokens(_store(config)):  # type: ignore[arg-type]
        used = t.last_used_at.isoformat() if t.last_used_at else "never"
        state = "revoked" if t.revoked else "active"
        console.print(f"{t.prefix}…  {t.role.value:9} {state:8} used {used}  {t.label}",
                      highlight=False)


@tokens_app.command("revoke")
def tokens_revoke(
    prefix: Annotated[str, typer.Argument(help="The token's prefix from `tokens list`.")],
    config: ConfigOpt = None,
) -> None:
    """Revoke a token by its prefix."""
    from ..web.admin import revoke_token

    n = revoke_token(_store(config), prefix)  # type: ignore[arg-type]
    if not n:
        fail(f"no token with prefix {prefix!r}")
    console.print(f"revoked {n} token(s)")
