"""`contentloop render --post ID`, `render preview --variant ID`, `render gc`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from .common import ConfigOpt, console, fail, settings_or_exit

render_app = typer.Typer(
    help="Render posts into Instagram-ready files; preview variants; delete unused assets.",
    invoke_without_command=True,
)

MediaOpt = Annotated[
    Path | None,
    typer.Option("--media-dir", help="Asset directory (default: <data_dir>/media)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def register(app: typer.Typer) -> None:
    app.add_typer(render_app, name="render")


def _parts(config: Path | None, media_dir: Path | None) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Store, Renderer, AssetStore and brand (+ music) per account from the settings."""
    from ..domain import SystemClock
    from ..logs import configure
    from ..render import AssetStore, Renderer
    from ..store import Store

    settings = settings_or_exit(config)
    configure(settings.log_level)  # logs to stderr: stdout stays clean for --json
    clock = SystemClock()
    store = Store(settings.resolved_database_url, clock)
    assets = AssetStore(media_dir or settings.data_dir / "media")
    renderer = Renderer(assets, clock)  # each brand's `music` bed comes with its profile
    brands = {a.handle: a.brand for a in settings.domain_accounts()}
    return store, renderer, assets, brands


def _print(rendered: list[Any], as_json: bool) -> None:
    rows = [{"path": str(r.path), "role": r.asset.role, "sha256": r.asset.sha256,
             "probe": r.info, "problems": r.problems} for r in rendered]
    if as_json:
        sys.stdout.write(json.dumps({"files": rows}, indent=2) + "\n")
        return
    for r in rows:
        console.print(r["path"], highlight=False, soft_wrap=True)
        facts = ", ".join(f"{k}={v}" for k, v in r["probe"].items())
        console.print(f"  {r['role']}: {facts}", highlight=False)
        verdict = "; ".join(r["problems"]) if r["problems"] else "ok (meets Instagram's specs)"
        console.print(f"  check: {verdict}", highlight=False)


def _render_and_print(
    config: Path | None,
    media_dir: Path | None,
    as_json: bool,
    render: Callable[[Any, Any, dict[str, Any]], list[Any]],
) -> None:
    """Run `render(store, renderer, brands)`, print the files; exit 1 if any fails the checks."""
    from ..domain import ContentloopError

    store, renderer, _, brands = _parts(config, media_dir)
    try:
        rendered = render(store, renderer, brands)
    except (LookupError, ContentloopError) as exc:
        fail(str(exc))
    finally:
        store.close()
    _print(rendered, as_json)
    if any(r.problems for r in rendered):
        raise typer.Exit(1)


@render_app.callback()
def render_post(
    ctx: typer.Context,
    post: Annotated[str | None, typer.Option("--post", help="Post id to (re-)render.")] = None,
    media_dir: MediaOpt = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Render a post's chosen variant, record its assets, print paths and probe results."""
    if ctx.invoked_subcommand is not None:
        return
    if not post:
        console.print(ctx.get_help())
        raise typer.Exit(2)
    from ..render.service import render_post as service

    _render_and_print(
        config, media_dir, as_json, lambda st, rd, brands: service(st, rd, post, brands)
    )


@render_app.command("preview")
def render_preview(
    variant: Annotated[str, typer.Option("--variant", help="Variant id to render.")],
    out: Annotated[Path, typer.Option(help="Where to write the files.")] = Path("preview"),
    media_dir: MediaOpt = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Render any variant to files under --out (nothing recorded on the post)."""
    from ..render.service import preview_variant

    _render_and_print(
        config, media_dir, as_json,
        lambda st, rd, brands: preview_variant(st, rd, variant, out, brands),
    )


@render_app.command("gc")
def render_gc(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List, delete nothing.")] = False,
    media_dir: MediaOpt = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Delete rendered files that no post refers to any more."""
    from ..render.service import gc_assets

    store, _, assets, _ = _parts(config, media_dir)
    try:
        result = gc_assets(store, assets, dry_run=dry_run)
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps({"removed": [str(p) for p in result.removed],
                                     "kept": result.kept, "freed_bytes": result.freed_bytes,
                                     "dry_run": dry_run}) + "\n")
        return
    verb = "would remove" if dry_run else "removed"
    console.print(f"{verb} {len(result.removed)} files ({result.freed_bytes / 1e6:.1f} MB); "
                  f"{result.kept} referenced assets kept", highlight=False)
