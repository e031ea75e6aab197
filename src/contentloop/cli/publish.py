"""`contentloop publish ...`: publishing status, failures and retries."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .common import ConfigOpt, console, settings_or_exit

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

    table = Table("post", "scheduled (UTC)", "state", "media", "attempts", "reason")
    for r in rows:
        table.add_row(r["post"], r["scheduled_at"], r["state"], r["media_id"] or "",
                      str(r["attempts"]), r["reason"])
    console.print(table)
