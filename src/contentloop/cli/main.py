"""The `contentloop` command: thin wrappers that parse, call a service and print."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from .. import __version__
from ..config import CONFIG_FILENAME
from ..domain import ContentloopError, SystemClock
from .common import ConfigOpt, console, fail, settings_or_exit

app = typer.Typer(
    help="contentloop: an Instagram account's content production as one autonomous, "
    "measurable loop.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
sim_app = typer.Typer(help="The built-in Instagram Graph API simulator.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sim_app, name="sim")

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
    dir: Annotated[
        Path, typer.Option("--dir", help="Where to write contentloop.toml.")
    ] = Path("."),
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
    console.print(f"database at revision {current_revision(store.engine)}", soft_wrap=True)


@sim_app.command("serve")
def sim_serve(
    host: Annotated[
        str, typer.Option(help="Interface to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8765,
    seed: Annotated[int, typer.Option(help="Seed of the audience model.")] = 42,
    strict_tokens: Annotated[bool, typer.Option(
        "--strict-tokens", help="Refuse unknown tokens instead of creating sandbox accounts.",
    )] = False,
    faults: Annotated[str | None, typer.Option(
        "--faults", help="Inject faults, e.g. 'media_publish:500x3,*:500@5%,latency:50-200ms' "
        "(grammar: contentloop.sim.faultspec).")] = None,
) -> None:
    """Serve the Instagram Graph API simulator (any token works unless --strict-tokens)."""
    from ..sim import FaultSpecError, parse_fault_spec, serve

    try:
        parse_fault_spec(faults)
    except FaultSpecError as exc:
        fail(str(exc), code=2)
    console.print(f"Instagram Graph API simulator on http://{host}:{port} (seed {seed})")
    serve(host=host, port=port, seed=seed, strict_tokens=strict_tokens, faults=faults)


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, max=60, help="Days of calendar to run.")] = 7,
    accounts: Annotated[int, typer.Option(min=1, max=50, help="Accounts to run.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed for the generator and the audience.")] = 42,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("demo-out"),
    graph_url: Annotated[str | None, typer.Option(
        "--graph-url", help="Run against this Graph-API-compatible endpoint instead of the "
        "built-in simulator (token from CONTENTLOOP_IG_ACCESS_TOKEN).")] = None,
    faults: Annotated[str | None, typer.Option(
        "--faults", help="Simulator fault SPEC to rehearse incidents, e.g. "
        "'media_publish:500x2,*:500@5%,media_publish:drop@10%'.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Run the whole loop on a simulated clock, time-compressed, and write the results."""
    from ..orchestrator.demo import DemoOptions, run_demo

    settings = settings_or_exit(config)
    try:
        result = run_demo(
            settings,
            DemoOptions(days=days, accounts=accounts, seed=seed, out=out, graph_url=graph_url,
                        faults=faults),
            console=console,
        )
    except ContentloopError as exc:
        fail(str(exc))
    console.print(result.summary())


def _register_groups() -> None:
    """Each `cli/<group>.py` module adds its commands through `register(app)`."""
    import importlib
    import pkgutil

    from .. import cli as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in ("main", "common"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        module.register(app)


_register_groups()


if __name__ == "__main__":  # pragma: no cover
    app()
