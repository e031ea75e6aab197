"""`contentloop policy ...`: check a variant against the account's rules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from .common import ConfigOpt, console, fail, settings_or_exit

policy_app = typer.Typer(help="Policy guard: check a variant against the rules.",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")


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
