"""`contentloop generate` and `contentloop variants ...`: draft, inspect and review variants."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from .common import ConfigOpt, console, fail, settings_or_exit

variants_app = typer.Typer(help="Creative variants: show, edit, reject.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
    app.add_typer(variants_app, name="variants")


def _open(config: Path | None) -> tuple[Any, Any]:
    from ..domain import SystemClock
    from ..store import Store

    settings = settings_or_exit(config)
    return settings, Store(settings.resolved_database_url, SystemClock())


def run_generate(settings: Any, store: Any, handle: str, days: int, seed: int) -> list[Any]:
    """Plan the next `days` and draft variants for every planned slot (planned → drafted)."""
    from ..creative.service import build_generator
    from ..orchestrator.loop import Loop

    cfg = next((a for a in settings.accounts if a.handle == handle), None)
    if cfg is None:
        known = ", ".join(a.handle for a in settings.accounts)
        fail(f"no account {handle!r} in the config; known: {known}", code=2)
    account = cfg.to_domain()
    store.ensure_account(account)
    gen = build_generator(seed=seed, store=store, engines={handle: cfg.creative.engine},
                          llm=settings.llm, learn={handle: cfg.creative.learn_from_edits})
    loop = Loop(store=store, clock=store.clock, accounts=[account], generator=gen,
                guard_for=None, approve=None, renderer=None,  # type: ignore[arg-type]
                publisher_for=None, insights_for=None, media_url=None)  # type: ignore[arg-type]
    try:
        loop.plan(days=days)
        loop.generate()
    finally:
        gen.close()
    from ..domain import PostState

    return store.posts(handle, states=[PostState.DRAFTED])


def generate(
    account: Annotated[str, typer.Option("--account", "-a", help="Account handle.")],
    days: Annotated[int, typer.Option(min=1, max=60, help="Days of calendar to draft.")] = 7,
    seed: Annotated[int, typer.Option(help="Seed of the template engine.")] = 42,
    config: ConfigOpt = None,
) -> None:
    """Plan the next days for one account and draft its variants."""
    from ..domain import ContentloopError

    settings, store = _open(config)
    try:
        posts = run_generate(settings, store, account, days, seed)
        for post in posts:
            vs = store.variants(post.id)
            styles = ", ".join(f"{v.format.value}/{v.hook_style}" for v in vs)
            console.print(f"{post.id}  {post.local_date}  {len(vs)} variants: {styles}",
                          highlight=False)
        console.print(f"{len(posts)} slots drafted for {account}")
    except ContentloopError as exc:
        fail(str(exc))
    finally:
        store.close()


def variant_dict(v: Any) -> dict[str, Any]:
    d = asdict(v)
    d["format"] = v.format.value
    d["verdicts"] = [x.to_dict() for x in v.verdicts]
    return d


@variants_app.command("show")
def variants_show(
    slot_id: Annotated[str, typer.Argument(help="The slot (post) id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Every variant of a slot, ranked by score, with the engine and LLM usage behind it."""
    from ..store import creative_repo

    _, store = _open(config)
    try:
        variants = sorted(store.variants(slot_id), key=lambda v: (-v.score, v.id))
        if not variants:
            fail(f"no variants for slot {slot_id!r}; run `contentloop generate` first")
        usage = creative_repo.usage_rows(store, slot_id)
    finally:
        store.close()
    if as_json:
        print(json.dumps({"slot": slot_id, "variants": [variant_dict(v) for v in variants],
                          "usage": usage}, indent=2, ensure_ascii=False))
        return
    for rank, v in enumerate(variants, start=1):
        console.rule(f"#{rank} {v.id}  {v.format.value} · {v.hook_style} · score {v.score:.3f}"
                     f" · {v.generator}{' · chosen' if v.chosen else ''}")
        console.print(v.caption, highlight=False, markup=False)
        for b in v.beats:
            console.print(f"  [{b.start_s:4.1f}-{b.end_s:4.1f}s] {b.role:7} {b.on_screen}",
                          highlight=False, markup=False)
        for i, s in enumerate(v.slides, start=1):
            console.print(f"  slide {i}: {s.splitlines()[0]}", highlight=False, markup=False)
    for u in usage:
        console.print(f"usage {u['variant_id']}: {u['outcome']} {u['prompt_tokens']}+"
                      f"{u['completion_tokens']} tokens ${u['cost_usd']:.6f} {u['reason']}",
                      highlight=False, markup=False)


@variants_app.command("edit")
def variants_edit(
    variant_id: Annotated[str, typer.Argument(help="The variant id.")],
    caption_file: Annotated[Path, typer.Option("--caption-file", help="The edited caption.")],
    actor: Annotated[str, typer.Option(help="Who edited it.")] = "cli",
    config: ConfigOpt = None,
) -> None:
    """Replace a variant's caption; the edit is stored and teaches the engine what people keep."""
    from ..creative.service import record_review

    _, store = _open(config)
    try:
        v = store.get_variant(variant_id)
        record_review(store, v, "edit", new_caption=caption_file.read_text().strip(), actor=actor)
    except KeyError:
        fail(f"no variant {variant_id!r}")
    finally:
        store.close()
    console.print(f"edited {variant_id}")


@variants_app.command("reject")
def variants_reject(
    variant_id: Annotated[str, typer.Argument(help="The variant id.")],
    actor: Annotated[str, typer.Option(help="Who rejected it.")] = "cli",
    config: ConfigOpt = None,
) -> None:
    """Record that a person rejected this variant (its hook style and format weigh less)."""
    from ..creative.service import record_review

    _, store = _open(config)
    try:
        record_review(store, store.get_variant(variant_id), "reject", actor=actor)
    except KeyError:
        fail(f"no variant {variant_id!r}")
    finally:
        store.close()
    console.print(f"rejected {variant_id}")
