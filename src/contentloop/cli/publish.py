"""`contentloop publish ...`: publishing status, failures and retries."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .common import ConfigOpt, console, fail, settings_or_exit

publish_app = typer.Typer(help="Publishing: status, failures and retries.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(publish_app, name="publish")


@publish_app.command("status")
def publish_status(
    config: ConfigOpt = None,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every post's publishing state, with the reason of any failure or retry."""
    from ..orchestrator.status import publish_status as status

    settings = settings_or_exit(config)
    rows = status(settings, account=account)
    if as_json:
        console.print_json(json.dumps(rows))
        return
    from rich.table import Table

    table = Table("post", "scheduled (UTC)", "state", "media", "attempts", "late", "reason")
    for r in rows:
        late = "" if r["lateness_s"] is None else f"{r['lateness_s']:.1f} s"
        table.add_row(r["post"], r["scheduled_at"], r["state"], r["media_id"] or "",
                      str(r["attempts"]), late, r["reason"])
    console.print(table)


def _options(worker: str, concurrency: int, grace_minutes: float, retry_base_s: float,
             client_timeout_s: float, client_backoff_s: float, chaos_crash_p: float,
             chaos_seed: int | None) -> object:
    from datetime import timedelta

    from ..orchestrator.publish_worker import WorkerOptions

    wrapper = None
    if chaos_crash_p > 0:
        from ..orchestrator.drill import ChaosJournal

        def wrapper(store: object) -> object:
            return ChaosJournal(store, chaos_crash_p, chaos_seed)

    return WorkerOptions(
        worker=worker, concurrency=concurrency, grace=timedelta(minutes=grace_minutes),
        retry_base=timedelta(seconds=retry_base_s), client_timeout_s=client_timeout_s,
        client_backoff_s=client_backoff_s, journal_wrapper=wrapper,
    )


@publish_app.command("run")
def publish_run(
    config: ConfigOpt = None,
    until_idle: Annotated[bool, typer.Option(
        "--until-idle", help="Exit once nothing is due now (later posts stay queued).")] = False,
    poll_s: Annotated[float, typer.Option(help="Seconds between queue polls.")] = 1.0,
    worker: Annotated[str, typer.Option(help="This worker's name in the audit log.")] = "publisher",
    concurrency: Annotated[int, typer.Option(min=1, help="Accounts published in parallel.")] = 4,
    grace_minutes: Annotated[float, typer.Option(
        help="After downtime, publish missed posts up to this late; skip older ones.")] = 360,
    retry_base_s: Annotated[float, typer.Option(help="Base of the retry backoff.")] = 30,
    client_timeout_s: Annotated[float, typer.Option(help="HTTP timeout per call.")] = 30,
    client_backoff_s: Annotated[float, typer.Option(help="Base of in-call retries.")] = 1.0,
    chaos_crash_p: Annotated[float, typer.Option(
        hidden=True, help="Drill only: chance to SIGKILL itself at each journal point.")] = 0.0,
    chaos_seed: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Publish due posts as they fall due: recover first, then exactly once each."""
    from ..domain import ContentloopError
    from ..orchestrator.publish_worker import WorkerOptions, run_worker

    settings = settings_or_exit(config)
    opts = _options(worker, concurrency, grace_minutes, retry_base_s, client_timeout_s,
                    client_backoff_s, chaos_crash_p, chaos_seed)
    assert isinstance(opts, WorkerOptions)
    try:
        counts = run_worker(settings, opts, until_idle=until_idle, poll_s=poll_s)
    except ContentloopError as exc:
        fail(str(exc))
    console.print(" ".join(f"{k}={v}" for k, v in counts.items()))


@publish_app.command("now")
def publish_now_cmd(
    post_id: Annotated[str, typer.Argument(help="The post to publish immediately.")],
    config: ConfigOpt = None,
) -> None:
    """Publish one post now, whatever its slot."""
    from ..domain import ContentloopError
    from ..orchestrator.publish_worker import publish_now

    settings = settings_or_exit(config)
    try:
        post = publish_now(settings, post_id)
    except ContentloopError as exc:
        fail(str(exc))
    console.print(f"{post.id}: {post.state.value} {post.media_id or ''} {post.last_error}".strip())


@publish_app.command("retry")
def publish_retry(
    post_id: Annotated[str, typer.Argument(help="A failed or waiting post.")],
    config: ConfigOpt = None,
) -> None:
    """Put a dead-lettered (or waiting) post back in the queue at its slot."""
    from ..domain import ContentloopError
    from ..orchestrator.publish_worker import retry_post

    settings = settings_or_exit(config)
    try:
        post = retry_post(settings, post_id)
    except ContentloopError as exc:
        fail(str(exc))
    console.print(f"{post.id}: {post.state.value}, due {post.scheduled_at.isoformat()}")


@publish_app.command("dead-letters")
def publish_dead_letters(
    config: ConfigOpt = None,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Posts that failed for good, with the reason and how to fix it."""
    from ..orchestrator.publish_worker import list_dead_letters

    rows = list_dead_letters(settings_or_exit(config), account)
    if as_json:
        console.print_json(json.dumps(rows))
        return
    if not rows:
        console.print("no dead letters")
    for r in rows:
        console.print(f"[bold]{r['post']}[/] ({r['account']}, {r['scheduled_at']}, "
                      f"{r['attempts']} attempts): {r['reason']}", highlight=False)


@publish_app.command("reconcile")
def publish_reconcile(
    config: ConfigOpt = None,
    repair: Annotated[bool, typer.Option(
        "--repair", help="Mark live posts as published (otherwise only report).")] = False,
) -> None:
    """Diff the store against the accounts' real media: live-but-failed, published-but-absent."""
    from ..domain import ContentloopError
    from ..orchestrator.publish_worker import reconcile_settings

    try:
        found = reconcile_settings(settings_or_exit(config), repair=repair)
    except ContentloopError as exc:
        fail(str(exc))
    if not found:
        console.print("store and account agree")
    for d in found:
        mark = " (repaired)" if d.repaired else ""
        console.print(f"{d.post_id}: {d.kind}: {d.detail}{mark}", highlight=False)


@publish_app.command("tokens")
def publish_tokens(
    config: ConfigOpt = None,
    refresh: Annotated[bool, typer.Option(help="Refresh tokens that expire soon, now.")] = False,
    ahead_days: Annotated[float, typer.Option(help="Refresh window in days.")] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Stored access tokens: when each expires and whether it is due for refresh (the
    tokens themselves are never shown)."""
    from dataclasses import asdict
    from datetime import timedelta

    from ..domain import ContentloopError
    from ..orchestrator.publish_worker import token_states

    settings = settings_or_exit(config)
    try:
        rows = token_states(settings, refresh=refresh, ahead=timedelta(days=ahead_days))
    except ContentloopError as exc:
        fail(str(exc))
    if as_json:
        console.print_json(json.dumps([asdict(r) for r in rows]))
        return
    if not rows:
        console.print("no tokens in the vault")
    for r in rows:
        left = "unknown expiry" if r.valid_days is None else f"{r.valid_days:g} days left"
        note = " refreshed" if r.refreshed else (" due for refresh" if r.due else "")
        err = f" (refresh failed: {r.error})" if r.error else ""
        console.print(f"{r.handle}: {left}{note}{err}", highlight=False)


@publish_app.command("keygen")
def publish_keygen() -> None:
    """Print a new secret key for encrypting tokens at rest (set CONTENTLOOP_SECRET_KEY).

    To rotate: put the new key first, keep the old ones after it, comma-separated.
    """
    from ..publish.tokens import generate_key

    typer.echo(generate_key())
