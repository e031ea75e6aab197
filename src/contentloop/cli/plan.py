"""`contentloop plan show | approve | edit`: review next week's plan and decide on it as a
whole (thin wrappers over contentloop.optimize.plans)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from .common import ConfigOpt, console, fail, settings_or_exit

AccountOpt = Annotated[str | None, typer.Option(
    "--account", "-a", help="Account handle (default: the only configured account).")]
WeekOpt = Annotated[str | None, typer.Option(
    help="ISO week of the account's local time, e.g. 2026-W11 (default: next week).")]
ByOpt = Annotated[str | None, typer.Option(
    "--by", help="Who decides (recorded in the plan and the audit log; default: cli:$USER).")]
NoteOpt = Annotated[str, typer.Option(help="Why (kept in the plan and the audit log).")]


def _actor(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def _session(config: Any, account: str | None) -> Iterator[tuple[Any, Any, Any]]:
    """(store, account, clock) for the configured database; clean errors for bad input."""
    from ..domain import SystemClock
    from ..store import Store

    settings = settings_or_exit(config)
    accounts = settings.domain_accounts()
    if account is None and len(accounts) == 1:
        acc = accounts[0]
    else:
        found = [a for a in accounts if a.handle == account]
        if not found:
            names = ", ".join(a.handle for a in accounts)
            fail(f"account {account!r} is not configured (configured: {names}); "
                 "pass --account", code=2)
        acc = found[0]
    clock = SystemClock()
    store = Store(settings.resolved_database_url, clock)
    try:
        store.ensure_account(acc)
        yield store, acc, clock
    finally:
        store.close()


def _print_view(view: dict[str, Any]) -> None:
    from rich.table import Table

    who = (f" by {view['decided_by']} at {view['decided_at']}" if view.get("decided_by")
           else "")
    saved = "" if view["stored"] else " (not saved yet: no refit has proposed it)"
    console.print(f"[bold]@{view['account']}[/] plan for {view['week']} (from "
                  f"{view['week_start']}): [bold]{view['status']}[/]{who}{saved}")
    if view.get("note"):
        console.print(f"note: {view['note']}")
    for dim, rows in view["dimensions"].items():
        table = Table(title=dim, title_justify="left")
        for col in ("level", "share", "proposed", f"{view['previous_week']}"):
            table.add_column(col, justify="left" if col == "level" else "right")
        for r in rows:
            if dim == "slot_hour" and not r["share"] and not r["proposed"]:
                continue

            def pct(v: float | None) -> str:
                return "—" if v is None else f"{v:.0%}"

            label = r["label"] + (" (off)" if r["off"] else "") + (" *" if r["edited"] else "")
            table.add_row(label, pct(r["share"]), pct(r["proposed"]), pct(r["previous_week"]))
        console.print(table)


def register(app: typer.Typer) -> None:
    plan_app = typer.Typer(help="Next week's plan: show it, approve it or edit it as a whole.",
                           no_args_is_help=True)
    app.add_typer(plan_app, name="plan")

    @plan_app.command("show")
    def show(account: AccountOpt = None, week: WeekOpt = None,
             as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
             config: ConfigOpt = None) -> None:
        """Show a week's plan: status, who decided, and each share against the proposal."""
        from ..optimize.plans import PlanInvalid, plan_view, resolve_week

        with _session(config, account) as (store, acc, clock):
            try:
                view = plan_view(store, acc, resolve_week(acc, week, clock.now()), clock.now())
            except PlanInvalid as exc:
                fail(str(exc), code=2)
        if as_json:
            console.print_json(json.dumps(view))
        else:
            _print_view(view)

    @plan_app.command("approve")
    def approve(account: AccountOpt = None, week: WeekOpt = None, by: ByOpt = None,
                note: NoteOpt = "", config: ConfigOpt = None) -> None:
        """Approve the week's plan as it stands; the loop follows it that week."""
        from ..optimize.plans import PlanInvalid, approve_plan, resolve_week

        with _session(config, account) as (store, acc, clock):
            try:
                plan = approve_plan(store, acc, resolve_week(acc, week, clock.now()),
                                    actor=_actor(by), note=note)
            except PlanInvalid as exc:
                fail(str(exc), code=2)
        console.print(f"@{plan.account} {plan.week}: {plan.status.value} by {plan.decided_by}")

    @plan_app.command("edit")
    def edit(file: Annotated[Path, typer.Option("--file", "-f", help="JSON: {dimension: "
                                                "{level: share}}; dimensions left out keep "
                                                "their shares.")],
             account: AccountOpt = None, week: WeekOpt = None, by: ByOpt = None,
             note: NoteOpt = "", config: ConfigOpt = None) -> None:
        """Replace shares (each dimension sums to 1; 0 = do not use) and mark it edited."""
        from ..optimize.plans import PlanInvalid, edit_plan, resolve_week

        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror}", code=2)
        except json.JSONDecodeError as exc:
            fail(f"{file} is not valid JSON: {exc}", code=2)
        if week is None and isinstance(data, dict) and isinstance(data.get("week"), str):
            week = data["week"]
        with _session(config, account) as (store, acc, clock):
            try:
                plan = edit_plan(store, acc, resolve_week(acc, week, clock.now()), data,
                                 actor=_actor(by), note=note)
            except PlanInvalid as exc:
                fail(f"{file}: {exc}", code=2)
        console.print(f"@{plan.account} {plan.week}: {plan.status.value} by {plan.decided_by}")
