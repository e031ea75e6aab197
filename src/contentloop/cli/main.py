"""The `contentloop` command: thin wrappers that parse, call a service and print."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from .. import __version__
from ..config import CONFIG_FILENAME, Settings, load_settings
from ..domain import ConfigError, ContentloopError, SystemClock

app = typer.Typer(
    help="contentloop: an Instagram account's content production as one autonomous, "
    "measurable loop.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
sim_app = typer.Typer(help="The built-in Instagram Graph API simulator.", no_args_is_help=True)
publish_app = typer.Typer(help="Publishing: status, failures and retries.", no_args_is_help=True)
policy_app = typer.Typer(help="Policy guard: check a variant against the rules.",
                         no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sim_app, name="sim")
app.add_typer(publish_app, name="publish")
app.add_typer(policy_app, name="policy")

console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Path to contentloop.toml (default: ./contentloop.toml "
                 "or $CONTENTLOOP_CONFIG; built-in sandbox defaults when none)."),
]


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def settings_or_exit(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        fail(str(exc), code=2)


def _version(value: bool) -> None:
    if value:
        console.print(f"contentloop {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Run `contentloop demo` to see the whole loop on a simulated week."""


@app.command()
def init(
    dir: Annotated[Path, typer.Option("--dir", help="Where to write contentloop.toml.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented contentloop.toml with one sandbox account and create the data dir."""
    dir.mkdir(parents=True, exist_ok=True)
    target = dir / CONFIG_FILENAME
    if target.exists() and not force:
        fail(f"{target} exists; use --force to overwrite it")
    text = resources.files("contentloop").joinpath("templates/contentloop.toml").read_text()
    target.write_text(text)
    settings = settings_or_exit(target)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"wrote {target}\ndata directory: {settings.data_dir}")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Apply pending migrations (also done automatically on first use)."""
    from ..store import Store, current_revision

    settings = settings_or_exit(config)
    store = Store(settings.resolved_database_url, SystemClock())
    console.print(f"database at revision {current_revision(store.engine)}")


@sim_app.command("serve")
def sim_serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8765,
    seed: Annotated[int, typer.Option(help="Seed of the audience model.")] = 42,
    strict_tokens: Annotated[bool, typer.Option(
        "--strict-tokens", help="Refuse unknown tokens instead of creating sandbox accounts.")] = False,
) -> None:
    """Serve the Instagram Graph API simulator (any token works unless --strict-tokens)."""
    from ..sim import serve

    console.print(f"Instagram Graph API simulator on http://{host}:{port} (seed {seed})")
    serve(host=host, port=port, seed=seed, strict_tokens=strict_tokens)


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, max=60, help="Days of calendar to run.")] = 7,
    accounts: Annotated[int, typer.Option(min=1, max=50, help="Accounts to run.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed for the generator and the audience.")] = 42,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("demo-out"),
    graph_url: Annotated[str | None, typer.Option(
        "--graph-url", help="Run against this Graph-API-compatible endpoint instead of the "
        "built-in simulator (token from CONTENTLOOP_IG_ACCESS_TOKEN).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Run the whole loop on a simulated clock, time-compressed, and write the results."""
    from ..orchestrator.demo import DemoOptions, run_demo

    settings = settings_or_exit(config)
    try:
        result = run_demo(
            settings,
            DemoOptions(days=days, accounts=accounts, seed=seed, out=out, graph_url=graph_url),
            console=console,
        )
    except ContentloopError as exc:
        fail(str(exc))
    console.print(result.summary())


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


@policy_app.command("check")
def policy_check(
    file: Annotated[Path, typer.Argument(help="A variant as JSON: caption, hashtags, format, "
                                         "optional sponsored.")],
    account: Annotated[str | None, typer.Option(help="Account whose rules apply.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print verdicts as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Evaluate a variant; exit 0 when nothing blocks, 1 when a rule blocks, 2 for bad input."""
    from ..policy import check_json

    settings = settings_or_exit(config)
    accounts = {a.handle: a for a in settings.domain_accounts()}
    acc = accounts.get(account) if account else next(iter(accounts.values()))
    if acc is None:
        fail(f"no account {account!r} in the config; known: {', '.join(accounts)}", code=2)
    try:
        data = json.loads(file.read_text())
        if not isinstance(data, dict):
            raise ValueError("the top level must be a JSON object")
        verdicts = check_json(data, acc)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        fail(f"{file}: unreadable variant: {exc}", code=2)
    rows = [v.to_dict() for v in verdicts]
    if as_json:
        sys.stdout.write(json.dumps({"verdicts": rows}, indent=2) + "\n")
    else:
        for r in rows:
            console.print(f"{r['severity']:5}  {r['rule']}: {r['reason']}", highlight=False)
        if not rows:
            console.print("no findings")
    if any(r["severity"] == "block" for r in rows):
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()
