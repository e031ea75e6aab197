"""`contentloop drill`: the chaos drill (kill the publish worker, prove exactly-once)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import console, fail


def register(app: typer.Typer) -> None:
    app.command("drill")(drill)


def drill(
    posts: Annotated[int, typer.Option(min=1, help="Posts due during the drill.")] = 100,
    kills: Annotated[int, typer.Option(min=0, help="SIGKILLs of the worker, at least.")] = 50,
    accounts: Annotated[int, typer.Option(min=1, help="Simulated accounts.")] = 3,
    faults: Annotated[str | None, typer.Option(
        help="Simulator faults (grammar: contentloop.sim.faultspec); 'none' for none.")] = None,
    out: Annotated[Path, typer.Option(help="Where published.json and posts.json go.")] = Path(
        "drill-out"),
    seed: Annotated[int, typer.Option(help="Seed of kill times and captions.")] = 7,
    lead_minutes: Annotated[int, typer.Option(
        min=0, help="Make containers this early (phase one); 0: at the slot.")] = 1,
) -> None:
    """Start the simulator and a real worker, SIGKILL it repeatedly, check every post."""
    from ..orchestrator.drill import DEFAULT_FAULTS, DrillOptions, run_drill
    from ..sim import FaultSpecError, parse_fault_spec

    spec = None if faults == "none" else (faults or DEFAULT_FAULTS)
    try:
        parse_fault_spec(spec)
    except FaultSpecError as exc:
        fail(str(exc), code=2)
    result = run_drill(DrillOptions(posts=posts, kills=kills, accounts=accounts, faults=spec,
                                    out=out, seed=seed, lead_minutes=lead_minutes),
                       log=console.print)
    console.print(result.summary(), highlight=False)
    if not result.ok:
        raise typer.Exit(1)
