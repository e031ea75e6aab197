"""`contentloop trends ...`: configure sources, ingest, list ranked opportunities, source health."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape

from .common import ConfigOpt, console, fail, settings_or_exit

trends_app = typer.Typer(help="Trend intelligence: sources, ingest, ranked opportunities.",
                         no_args_is_help=True)

KIND_HELP = ("rss | google_trends | reddit | youtube | instagram_hashtags | "
             "instagram_competitors | import")


def register(app: typer.Typer) -> None:
    app.add_typer(trends_app, name="trends")


def _store(settings: Any) -> Any:
    from ..domain import SystemClock
    from ..logs import configure
    from ..store import Store

    configure(settings.log_level)  # logs to stderr, so --json output stays parseable
    clock = SystemClock()
    return Store(settings.resolved_database_url, clock), clock


@trends_app.command("add-source")
def add_source(
    account: Annotated[str, typer.Option(help="Handle of the account (as in contentloop.toml).")],
    kind: Annotated[str, typer.Option(help=KIND_HELP)],
    url: Annotated[str, typer.Option(help="Feed/import URL or path; for APIs a base-URL "
                                     "override.")] = "",
    allow_private: Annotated[bool, typer.Option(
        "--allow-private", help="Lift the SSRF guard for this source only (e.g. a LAN feed)."
    )] = False,
    name: Annotated[str, typer.Option(help="Display name (default: derived).")] = "",
    geo: Annotated[str, typer.Option(help="google_trends: country/region, e.g. US.")] = "",
    subreddit: Annotated[list[str] | None, typer.Option(help="reddit: repeatable.")] = None,
    query: Annotated[list[str] | None, typer.Option(help="youtube search: repeatable.")] = None,
    username: Annotated[list[str] | None, typer.Option(
        help="instagram_competitors: repeatable.")] = None,
    hashtag: Annotated[list[str] | None, typer.Option(
        help="instagram_hashtags: repeatable.")] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-o", help="Any other key=value (value as a TOML literal or text), "
        "e.g. -o region=DE -o 'listings=[\"rising\"]'.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Append a source to an account in contentloop.toml (validated; file unchanged on error)."""
    from ..config import config_path
    from ..domain import ConfigError
    from ..trends.config_edit import append_source, option_value
    from ..trends.registry import check_spec

    path = config_path(config)
    if path is None or not path.exists():
        fail("no contentloop.toml found: run `contentloop init` first or pass --config", code=2)
    spec: dict[str, Any] = {"kind": kind}
    if name:
        spec["name"] = name
    if url:
        spec["url"] = url
    if allow_private:
        spec["allow_private"] = True
    if geo:
        spec["geo"] = geo
    if query:
        spec["queries"] = list(query)
        spec.setdefault("mode", "search")
    for key, values in (("subreddits", subreddit), ("usernames", username),
                        ("hashtags", hashtag)):
        if values:
            spec[key] = list(values)
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"--option expects key=value, got {item!r}", code=2)
        spec[key.strip()] = option_value(value.strip())
    problem = check_spec(spec)
    if problem:
        fail(f"source not added: {problem}", code=2)
    try:
        count = append_source(path, account, spec)
    except ConfigError as exc:
        fail(str(exc), code=2)
    console.print(f"added {kind} source to {account} in {path} ({count} configured)",
                  highlight=False)


@trends_app.command("ingest")
def ingest_cmd(
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Fetch every source, store signals, score opportunities; exit 0 when at least one
    source worked, 1 when none did."""
    from ..trends.service import ingest_configured

    settings = settings_or_exit(config)
    if account is not None and account not in {a.handle for a in settings.accounts}:
        fail(f"no account {account!r} in the config", code=2)
    store, clock = _store(settings)
    try:
        results = ingest_configured(settings, store, clock, account)
    finally:
        store.close()
    summary: list[dict[str, Any]] = [
        {
            "account": r.account,
            "stored": r.stored,
            "opportunities": len(r.opportunities),
            "sources": [
                {"source": o.source, "kind": o.kind, "ok": o.ok, "signals": o.signals,
                 "status": o.status, "reason": o.reason}
                for o in r.report.outcomes
            ],
            "skipped": [{"item": i, "reason": why} for i, why in r.report.skipped],
        }
        for r in results
    ]
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        for acc in summary:
            console.print(f"[bold]{acc['account']}[/]: {acc['stored']} new signals, "
                          f"{acc['opportunities']} opportunities")
            for s in acc["sources"]:
                mark = "[green]ok[/]" if s["ok"] else "[red]FAILED[/]"
                detail = f"{s['signals']} signals ({s['status']})" if s["ok"] else s["reason"]
                console.print(f"  {mark} {escape(s['source'])} ({s['kind']}): {escape(detail)}",
                              highlight=False)
            for sk in acc["skipped"]:
                console.print(f"  [yellow]skipped[/] {escape(sk['item'])}: {escape(sk['reason'])}",
                              highlight=False)
    if not any(r.any_source_worked for r in results):
        raise typer.Exit(1)


@trends_app.command("list")
def list_cmd(
    account: Annotated[str, typer.Option(help="Account handle.")],
    limit: Annotated[int, typer.Option(help="How many opportunities.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Ranked opportunities: title, score, evidence, explanation."""
    settings = settings_or_exit(config)
    if account not in {a.handle for a in settings.accounts}:
        fail(f"no account {account!r} in the config", code=2)
    store, _clock = _store(settings)
    try:
        opps = sorted(store.opportunities(account, limit=limit), key=lambda o: -o.score)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([
            {"id": o.id, "title": o.topic, "score": o.score, "pillar": o.pillar,
             "tags": list(o.tags), "explanation": o.explanation, "evidence": list(o.evidence)}
            for o in opps
        ], indent=2, default=str))
        return
    if not opps:
        console.print(f"no opportunities for {account} yet: run `contentloop trends ingest`")
        return
    for rank, o in enumerate(opps, start=1):
        console.print(f"{rank:>2}. [bold]{escape(o.topic)}[/]  score {o.score:.3f}"
                      + (f"  pillar {o.pillar}" if o.pillar else ""), highlight=False)
        console.print(f"    {o.explanation}", highlight=False, markup=False)
        for e in o.evidence:
            if e.get("kind") == "signal":
                console.print(f"    - {e.get('source')}: {e.get('title')}  {e.get('url') or ''}",
                              highlight=False, markup=False)


@trends_app.command("sources")
def sources_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Health of each source: last success, last error."""
    from ..trends.service import source_status

    settings = settings_or_exit(config)
    store, _clock = _store(settings)
    try:
        rows = source_status(settings, store)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    for r in rows:
        colour = {"ok": "green", "failing": "red"}.get(r["status"], "yellow")
        console.print(
            f"[{colour}]{r['status']:<7}[/] {r['account']} {escape(r['source'])} ({r['kind']})"
            f"  last ok: {r.get('last_success_at') or '-'}",
            highlight=False,
        )
        if r.get("last_error") and r["status"] == "failing":
            console.print(f"         last error: {r['last_error']}", highlight=False,
                          markup=False)
