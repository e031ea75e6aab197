"""`contentloop report`, `contentloop revenue import`, `contentloop insights sync`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .common import ConfigOpt, console, fail, settings_or_exit


def register(app: typer.Typer) -> None:
    revenue_app = typer.Typer(help="Affiliate and sponsored revenue.", no_args_is_help=True)
    app.add_typer(revenue_app, name="revenue")
    insights_app = typer.Typer(help="Instagram insights.", no_args_is_help=True)
    app.add_typer(insights_app, name="insights")

    @insights_app.command("sync")
    def insights_sync(
        account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
        config: ConfigOpt = None,
    ) -> None:
        """Fetch due media snapshots and complete account days now (idempotent)."""
        from ..analytics.sync import sync_all
        from ..domain import ContentloopError, SystemClock
        from ..instagram.client import GraphClient
        from ..logs import register_secret
        from ..store import Store

        settings = settings_or_exit(config)
        if not settings.instagram.graph_url:
            fail("insights sync needs [instagram] graph_url (the built-in simulator only lives "
                 "inside `contentloop demo` / `run`)", code=2)
        accounts = [a for a in settings.domain_accounts() if account in (None, a.handle)]
        if not accounts:
            fail(f"account {account!r} is not configured", code=2)
        clock = SystemClock()
        store = Store(settings.resolved_database_url, clock)
        clients: dict[str, GraphClient] = {}
        try:
            for acc in accounts:
                token = settings.access_token_for(acc.handle)
                if token is None:
                    fail(f"no access token for {acc.handle!r}: set CONTENTLOOP_IG_ACCESS_TOKEN",
                         code=2)
                register_secret(token.get_secret_value())
                clients[acc.handle] = GraphClient(settings.instagram.graph_url,
                                                  token.get_secret_value(),
                                                  settings.instagram.api_version, clock=clock)
                store.ensure_account(acc)
                if not store.ig_user_id(acc.handle):
                    me = clients[acc.handle].me(fields=("user_id", "username"))
                    store.set_ig_user_id(acc.handle, acc.ig_user_id or str(
                        me.get("user_id") or me.get("id")))
            summary = sync_all(store, accounts, clients.__getitem__, clock.now())
        except ContentloopError as exc:
            fail(str(exc))
        finally:
            for c in clients.values():
                c.close()
            store.close()
        console.print_json(json.dumps(summary.as_dict()))

    @app.command("report")
    def report(
        account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
        week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W05 "
                                                 "(default: last complete week).")] = None,
        fmt: Annotated[str, typer.Option("--format", help="html | json | md")] = "html",
        out: Annotated[Path, typer.Option(help="Output directory.")] = Path("."),
        config: ConfigOpt = None,
    ) -> None:
        """Write the weekly optimization report (self-contained HTML, JSON or Markdown)."""
        from ..domain import SystemClock
        from ..orchestrator.learning import write_weekly_report

        if fmt not in ("html", "json", "md"):
            fail(f"--format must be html, json or md, not {fmt!r}", code=2)
        settings = settings_or_exit(config)
        try:
            path = write_weekly_report(settings, SystemClock(), out, fmt=fmt,
                                       account=account, week=week)
        except (ValueError, KeyError) as exc:
            fail(str(exc), code=2)
        console.print(f"wrote {path}")

    @revenue_app.command("import")
    def revenue_import(
        csv_file: Annotated[Path, typer.Argument(help="CSV: date, amount[, currency, source, "
                                                 "post_id, link_code, ref, note]")],
        account: Annotated[str, typer.Option(help="Account handle.")],
        config: ConfigOpt = None,
    ) -> None:
        """Import revenue rows; importing the same file twice adds nothing."""
        from ..domain import SystemClock
        from ..store import Store
        from ..store.analytics_repo import RevenueImportError, import_revenue_csv

        settings = settings_or_exit(config)
        store = Store(settings.resolved_database_url, SystemClock())
        try:
            result = import_revenue_csv(store, account, csv_file.read_text(encoding="utf-8"))
        except (OSError, RevenueImportError) as exc:
            fail(str(exc), code=2)
        console.print(json.dumps({"added": result.added, "duplicates": result.duplicates,
                                  "errors": result.errors}))
