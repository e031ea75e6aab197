"""Shared CLI pieces: consoles, the --config option, and turning errors into exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from ..config import Settings, load_settings
from ..domain import ConfigError

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


