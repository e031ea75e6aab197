"""`contentloop demo`: the whole loop on a simulated clock against the in-process simulator."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..config import Settings
from ..domain import Account, ContentloopError, Pillar, PostState, SimulatedClock
from ..logs import configure, register_secret
from .wiring import LoopParts, build_loop

#: Demo weeks start on a fixed Monday so the same seed gives the same week.
DEMO_START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)

@dataclass(frozen=True)
class _Sandbox:
    """A varied sandbox account for multi-account demos (own voice, colours, calls to action)."""

    handle: str
    niche: str
    timezone: str
    pillars: tuple[str, ...]
    hashtags: tuple[str, ...]
    audience: str
    ctas: tuple[str, ...]
    colors: tuple[str, str, str]


_EXTRA_ACCOUNTS = [
    _Sandbox("sandbox_fitness", "home workouts for busy parents", "America/New_York",
             ("strength", "mobility", "nutrition"), ("#homeworkout", "#fitover40", "#mobility"),
             "parents who have 20 minutes and no gym",
             ("Save this for tomorrow's workout.", "Follow for 20-minute sessions that work."),
             ("#10243a", "#ff6b4a", "#f4f7fb")),
    _Sandbox("sandbox_kitchen", "weeknight home cooking", "Asia/Tokyo",
             ("recipes", "meal prep", "technique"),
             ("#weeknightdinner", "#mealprep", "#homecooking"),
             "home cooks who want dinner on the table in 30 minutes",
             ("Save this for your next grocery run.", "Follow for one weeknight dinner a day."),
             ("#3b2416", "#e8a33d", "#fff8ee")),
    _Sandbox("sandbox_plants", "indoor plants for beginners", "Australia/Sydney",
             ("care", "propagation", "styling"), ("#houseplants", "#plantcare", "#urbanjungle"),
             "new plant parents who keep killing their pothos",
             ("Save this before your next watering day.", "Follow for one plant fix a day."),
             ("#1d3b2a", "#9fd36b", "#f3f8ef")),
]


@dataclass(frozen=True)
class DemoOptions:
    days: int = 7
    accounts: int = 1
    seed: int = 42
    out: Path = Path("demo-out")
    graph_url: str | None = None
    faults: str | None = None  # simulator fault SPEC, to rehearse incidents


@dataclass
class DemoResult:
    out: Path
    elapsed_s: float
    posts: int
    published: int
    failed: int
    files: dict[str, Path] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [
            f"demo finished in {self.elapsed_s:.1f} s: {self.published}/{self.posts} posts "
            f"published, {self.failed} failed",
        ]
        lines += [f"  {name:14} {path}" for name, path in self.files.items()]
        return "\n".join(lines)


def demo_accounts(settings: Settings, n: int) -> list[Account]:
    """The configured accounts, topped up with varied sandbox accounts up to `n`."""
    base = settings.domain_accounts()
    accounts = list(base[:n])
    i = 0
    while len(accounts) < n:
        sb = _EXTRA_ACCOUNTS[i % len(_EXTRA_ACCOUNTS)]
        suffix = f"_{i // len(_EXTRA_ACCOUNTS) + 2}" if i >= len(_EXTRA_ACCOUNTS) else ""
        brand = replace(
            base[0].brand,
            audience=sb.audience,
            pillars=tuple(Pillar(p, 1.0, (p,)) for p in sb.pillars),
            hashtags_niche=sb.hashtags,
            hashtags_branded=(f"#{sb.handle.split('_')[1]}loop",),
            hashtags_broad=(),
            banned_words=(),
            ctas=sb.ctas,
            colors=sb.colors,
            do_examples=(),
            dont_examples=(),
        )
        accounts.append(
            replace(base[0], handle=sb.handle + suffix, niche=sb.niche, timezone=sb.timezone,
                    brand=brand, ig_user_id="",
                    hashtags_to_watch=tuple(t.lstrip("#") for t in sb.hashtags))
        )
        i += 1
    return accounts


def run_demo(
    settings: Settings, options: DemoOptions, console: Console | None = None
) -> DemoResult:
    console = console or Console()
    started = time.perf_counter()
    out = options.out.resolve()
    if out.exists() and (out / "contentloop.db").exists():
        (out / "contentloop.db").unlink()
        for extra in ("contentloop.db-wal", "contentloop.db-shm"):
            (out / extra).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    configure(settings.log_level, log_file=out / "contentloop.log")
    clock = SimulatedClock(DEMO_START)
    accounts = demo_accounts(settings, options.accounts)
    token = None
    if options.graph_url:
        token = os.environ.get("CONTENTLOOP_IG_ACCESS_TOKEN")
        if not token:
            raise ContentloopError(
                "--graph-url needs CONTENTLOOP_IG_ACCESS_TOKEN in the environment"
            )
        register_secret(token)
    parts = build_loop(
        accounts=accounts,
        clock=clock,
        database_url=f"sqlite:///{out / 'contentloop.db'}",
        media_dir=out / "media",
        seed=options.seed,
        graph_url=options.graph_url,
        access_token=token,
        api_version=settings.instagram.api_version,
        source_specs={a.handle: [s.model_dump() for s in a.sources] for a in settings.accounts},
        policies={a.handle: a.policy.to_settings() for a in settings.accounts},
        kpi_rules={a.handle: [r.to_rule() for r in a.kpi_rules] for a in settings.accounts},
        creative_engines={a.handle: a.creative.engine for a in settings.accounts},
        llm=settings.llm,
        faults=options.faults,
        cipher=_demo_cipher(out),
    )
    try:
        _run(parts, options, clock, console)
        files = _write_outputs(parts, out)
    finally:
        parts.close()
    posts = parts.store.posts()
    return DemoResult(
        out=out,
        elapsed_s=time.perf_counter() - started,
        posts=len(posts),
        published=sum(p.state is PostState.PUBLISHED for p in posts),
        failed=sum(p.state is PostState.FAILED for p in posts),
        files=files,
    )


def _run(parts: LoopParts, options: DemoOptions, clock: SimulatedClock, console: Console) -> None:
    loop = parts.loop
    start = clock.now()
    end = start + timedelta(days=options.days)
    settle = end + timedelta(days=1)  # let the last posts collect their first day of insights
    parts.ingest()
    loop.plan(days=options.days)
    last_daily = start
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[day]}"),
        TextColumn("published {task.fields[published]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal and os.environ.get("CONTENTLOOP_PROGRESS") != "1",
    ) as progress:
        total = (settle - start).total_seconds()
        task = progress.add_task("simulating", total=total, day="day 1", published=0)
        while clock.now() < settle:
            now = clock.now()
            if now - last_daily >= timedelta(days=1):
                parts.ingest()
                loop.sync_accounts()
                for acc in loop.accounts:
                    parts.learner.refit(acc)
                last_daily = now
            loop.generate()
            loop.review()
            loop.render()
            loop.publish_due()
            loop.sync_insights()
            wake = loop.next_wakeup(clock.now())
            step_min = clock.now() + timedelta(minutes=1)
            nxt = min(
                max(wake or settle, step_min),
                last_daily + timedelta(days=1),
                settle,
            )
            if nxt > clock.now():
                clock.set(nxt)
            elapsed = (clock.now() - start).total_seconds()
            progress.update(
                task,
                completed=min(elapsed, total),
                day=f"day {min(options.days + 1, int(elapsed // 86400) + 1)}",
                published=loop.counts.published,
            )
    for acc in loop.accounts:
        parts.learner.refit(acc)


def _write_outputs(parts: LoopParts, out: Path) -> dict[str, Path]:
    store = parts.store
    slots: list[dict[str, Any]] = []
    for post in store.posts():
        variants = store.variants(post.id)
        slots.append(
            {
                "post_id": post.id,
                "account": post.account,
                "local_date": post.local_date,
                "scheduled_at": post.scheduled_at.isoformat().replace("+00:00", "Z"),
                "state": post.state.value,
                "format": post.format.value if post.format else None,
                "media_id": post.media_id,
                "published_at": post.published_at.isoformat() if post.published_at else None,
                "assets": [Path(a.path).name for a in store.assets(post.id)],
                "variants": [
                    {
                        "id": v.id,
                        "format": v.format.value,
                        "hook": v.hook,
                        "hook_style": v.hook_style,
                        "pillar": v.pillar,
                        "caption": v.caption,
                        "hashtags": v.hashtags,
                        "trend": v.trend,
                        "score": round(v.score, 4),
                        "slides": v.slides,
                        "beats": [
                            {"start_s": b.start_s, "end_s": b.end_s, "on_screen": b.on_screen,
                             "voice_over": b.voice_over, "role": b.role}
                            for b in v.beats
                        ],
                        "visual_prompt": v.visual_prompt,
                        "verdicts": [x.to_dict() for x in v.verdicts],
                        "chosen": v.chosen,
                    }
                    for v in variants
                ],
            }
        )
    files = {
        "calendar": out / "calendar.json",
        "published": out / "published.json",
    }
    files["calendar"].write_text(json.dumps({"slots": slots}, indent=2, ensure_ascii=False))
    files["published"].write_text(
        json.dumps(parts.published_records(), indent=2, ensure_ascii=False)
    )
    report_json, report_html = parts.write_report(out)
    files["report"] = report_json
    files["report_html"] = report_html
    files["media"] = out / "media"
    files["database"] = out / "contentloop.db"
    files["log"] = out / "contentloop.log"
    return files


def _demo_cipher(out: Path) -> Any:
    """The configured secret key, else a demo key file (0600) beside the demo's database."""
    from ..publish.tokens import KEY_ENV, KEY_FILE_ENV, TokenCipher, generate_key

    if os.environ.get(KEY_ENV) or os.environ.get(KEY_FILE_ENV):
        return TokenCipher.from_env()
    key_file = out / "secret.key"
    if not key_file.exists():
        key_file.write_text(generate_key() + "\n")
        key_file.chmod(0o600)
    return TokenCipher.from_env(env={}, key_file=key_file)
