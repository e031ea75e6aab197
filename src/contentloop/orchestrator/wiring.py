"""Compose the real stage components into a Loop (embedded defaults or a given Graph URL)."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..analytics.report import render_html
from ..creative.service import build_generator
from ..domain import Account, Clock, ContentloopError, Opportunity
from ..instagram.client import GraphClient
from ..logs import register_secret
from ..policy import Guard, approve_decision
from ..publish.hosting import MediaHosting
from ..publish.media import make_media_host
from ..publish.publisher import Publisher
from ..render import AssetStore, Renderer
from ..store import Store
from ..store.trends_repo import StoreHashtagBudget, record_outcomes
from ..trends.account_signals import own_results
from ..trends.ingest import ingest
from ..trends.registry import SourceContext, build_sources
from ..trends.scoring import score_opportunities
from ..trends.service import term_history
from .learning import Learner
from .loop import Loop


@dataclass
class LoopParts:
    """A wired loop plus what owns resources (servers, the store) and the per-account pieces."""

    loop: Loop
    store: Store
    clock: Clock
    learner: Learner
    clients: dict[str, GraphClient]
    sources: dict[str, list[Any]]
    media_host: MediaHosting
    sim_world: Any = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def ingest(self) -> dict[str, list[tuple[str, str]]]:
        """Pull every account's sources, store signals, and score fresh opportunities."""
        now = self.clock.now()
        failures: dict[str, list[tuple[str, str]]] = {}
        for acc in self.loop.accounts:
            report = ingest(self.sources.get(acc.handle, []), now)
            failures[acc.handle] = [(str(s), str(r)) for s, r in report.failures]
            self.store.add_signals(acc.handle, report.signals)
            record_outcomes(self.store, acc.handle, report.outcomes, now)
            signals = self.store.signals(acc.handle, since=now - timedelta(days=7))
            history = term_history(signals, now)
            own = _own_results(self.loop, acc)
            opportunities: list[Opportunity] = score_opportunities(
                acc, signals, history, now, top_k=10, own_results=own
            )
            self.store.save_opportunities(opportunities)
        return failures

    def published_records(self) -> list[dict[str, Any]]:
        """What the Graph endpoint itself says was published (not our own store's view)."""
        if self.sim_world is not None:
            return list(self.sim_world.published_records())
        records: list[dict[str, Any]] = []
        for handle, client in self.clients.items():
            ig_user_id = self.store.ig_user_id(handle)
            fields = ("id", "caption", "media_type", "media_product_type", "timestamp")
            for media in client.iter_media(ig_user_id, fields=fields, max_pages=20):
                records.append({
                    "ig_user_id": ig_user_id,
                    "media_id": media.get("id"),
                    "container_id": None,  # the API does not link media back to containers
                    "media_type": media.get("media_type"),
                    "caption": media.get("caption", ""),
                    "timestamp": media.get("timestamp"),
                })
        return records

    def write_report(self, out: Path) -> tuple[Path, Path]:
        """The report of the 7 days before the last one (analytics.service: charts, why, radar,
        plan), with the week before for deltas."""
        import json

        from ..analytics.service import weekly_report

        now = self.clock.now()
        ledgers = {acc.handle: self.learner.ledger(acc) for acc in self.loop.accounts}
        # 8 days back: a demo settles one day after its last post.
        report = weekly_report(self.store, self.loop.accounts, now - timedelta(days=8), now,
                               weights=self.learner.weights, ledgers=ledgers)
        self.store.save_report(report.get("week_start", now.date().isoformat()), report)
        path_json = out / "report.json"
        path_json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        path_html = render_html(report, out)
        return path_json, path_html

    def close(self) -> None:
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):  # closing must not hide the real error
                closer()
        self._closers.clear()


def _own_results(loop: Loop, account: Account) -> dict[str, float]:
    from ..analytics.kpis import business_value

    since = loop.clock.now() - timedelta(days=28)
    return own_results(loop.results(account, since=since), business_value)


def sample_feeds(niche: str) -> list[Path]:
    """The shipped sample feeds whose niche words appear in the account's niche (else all)."""
    words = set(niche.lower().replace("-", " ").split())
    feeds = _sample_feeds()
    matching = [p for name, p in feeds.items() if _SAMPLE_TOPICS.get(name, set()) & words]
    return matching or list(feeds.values())


_SAMPLE_TOPICS = {
    "coffee": {"coffee", "espresso", "barista", "cafe"},
    "home_cooking": {"cooking", "recipes", "kitchen", "meal", "food"},
    "fitness": {"fitness", "workout", "workouts", "training", "gym", "running"},
}


def _sample_feeds() -> dict[str, Path]:
    from ..trends.fixtures import FEEDS, fixture_path

    return {name: fixture_path(name) for name in FEEDS}


def build_loop(
    *,
    accounts: Sequence[Account],
    clock: Clock,
    database_url: str,
    media_dir: Path,
    seed: int = 42,
    graph_url: str | None = None,
    access_token: str | None = None,
    api_version: str = "v25.0",
    worker: str = "loop",
    access_tokens: dict[str, str] | None = None,
    source_specs: dict[str, list[dict[str, Any]]] | None = None,
    policies: dict[str, Any] | None = None,  # handle -> policy.PolicySettings
    creative_engines: dict[str, str] | None = None,  # handle -> "template" | "llm"
    llm: Any = None,  # config.LLMConfig
    faults: str | None = None,  # simulator fault SPEC (see sim/faultspec.py)
    cipher: Any = None,  # publish.tokens.TokenCipher: keep tokens encrypted in the store
    kpi_rules: dict[str, list[Any]] | None = None,  # handle -> optimize.rules.ThresholdRule
    media: Any = None,  # config.MediaConfig: local server (default) or S3-compatible bucket
    secret_key: str | None = None,  # signs media URLs stably across restarts
) -> LoopParts:
    """Wire every stage. With no `graph_url`, start the built-in simulator on loopback."""
    closers: list[Callable[[], None]] = []
    store = Store(database_url, clock)
    closers.append(store.close)
    media_dir.mkdir(parents=True, exist_ok=True)
    host = make_media_host(media, media_dir, secret_key).start()
    closers.append(host.stop)

    world = None
    tokens: dict[str, str] = {}
    if graph_url is None:
        from ..sim import SimConfig, SimWorld, serve_in_thread

        world = SimWorld(clock, SimConfig(seed=seed))
        if faults:
            from ..sim.faultspec import apply_fault_spec

            apply_fault_spec(world, faults)
        base_url, stop = serve_in_thread(world)
        closers.append(stop)
        for acc in accounts:
            ig_user_id, token = world.create_account(acc.handle, timezone=acc.timezone)
            register_secret(token)
            tokens[acc.handle] = token
            store.ensure_account(acc)
            store.set_ig_user_id(acc.handle, ig_user_id)
    else:
        per_account = access_tokens or {}  # scale-out: one token per account
        if not access_token and not all(a.handle in per_account for a in accounts):
            raise ContentloopError("a Graph URL needs an access token")
        base_url = graph_url
        for acc in accounts:
            tokens[acc.handle] = per_account.get(acc.handle) or access_token or ""
            store.ensure_account(acc)

    vault = None
    if cipher is not None:  # tokens live encrypted in the store; clients read them back
        from ..publish.tokens import TokenVault

        vault = TokenVault(store, cipher, clock)
        for handle, token in tokens.items():
            expires = clock.now() + timedelta(days=60) if world is not None else None
            vault.put(handle, token, expires)
            tokens[handle] = vault.get(handle).token.get_secret_value()

    clients: dict[str, GraphClient] = {}
    # One transport for all accounts: one pool and one TLS context (50 ms each) per process.
    import httpx2

    shared = httpx2.HTTPTransport() if len(accounts) > 1 else None
    for acc in accounts:
        client = GraphClient(base_url, tokens[acc.handle], api_version, clock=clock,
                             transport=shared)
        clients[acc.handle] = client
        closers.append(client.close)
        if not store.ig_user_id(acc.handle):
            me = client.me(fields=("user_id", "username"))
            store.set_ig_user_id(acc.handle, str(me.get("user_id") or me.get("id")))

    rng = random.Random(seed)
    publishers = {
        h: Publisher(c, clock, store, rng=random.Random(rng.random())) for h, c in clients.items()
    }
    renderer = Renderer(AssetStore(media_dir), clock)  # music: each brand's `music`
    generator = build_generator(seed=seed, store=store, engines=creative_engines, llm=llm)
    closers.append(generator.close)
    budget = StoreHashtagBudget(store)  # persisted: never exceeded across restarts
    sources: dict[str, list[Any]] = {}
    for acc in accounts:
        specs = list((source_specs or {}).get(acc.handle, []))
        if not acc.feeds and not any(s.get("kind") != "instagram_hashtags" for s in specs):
            specs = [{"kind": "rss", "url": str(p)} for p in sample_feeds(acc.niche)] + specs
        ctx = SourceContext(clients[acc.handle], store.ig_user_id(acc.handle), budget)
        sources[acc.handle] = list(build_sources(acc, specs, ctx))

    loop = Loop(
        store=store,
        clock=clock,
        accounts=list(accounts),
        generator=generator,
        guard_for=lambda acc, recent: Guard.default(
            acc, recent_captions=recent, settings=(policies or {}).get(acc.handle)),
        approve=approve_decision,
        renderer=renderer,
        publisher_for=publishers.__getitem__,
        insights_for=clients.__getitem__,
        media_url=host.url_for,
        worker=worker,
    )
    loop.preflight = _preflight(store, clients, host, vault, closers)

    def online_followers(acc: Account) -> dict[int, float]:
        now = clock.now()
        return clients[acc.handle].online_followers(
            store.ig_user_id(acc.handle), now - timedelta(days=7), now
        )

    learner = Learner(
        store=store,
        clock=clock,
        results_for=lambda acc, since: loop.results(acc, since=since),
        online_followers_for=online_followers,
        seed=seed,
        rules=kpi_rules or {},
    )
    loop.optimizer = learner
    from ..policy.approvals import Approvals

    loop.on_decision = Approvals(store, accounts, policies=policies).record_auto  # audit log
    return LoopParts(
        loop=loop,
        store=store,
        clock=clock,
        learner=learner,
        clients=clients,
        sources=sources,
        media_host=host,
        sim_world=world,
        _closers=closers,
    )


def _preflight(
    store: Store,
    clients: dict[str, GraphClient],
    host: MediaHosting,
    vault: Any,
    closers: list[Callable[[], None]],
) -> Any:
    """Checks run on every rendered post before it is scheduled (URL, token, quota)."""
    import httpx2

    from ..domain import PostState
    from ..publish.preflight import Preflight

    http = httpx2.Client(timeout=10.0)
    closers.append(http.close)
    quota: dict[str, int] = {}

    def quota_total(handle: str) -> int:
        if handle not in quota:  # read live, never hard-coded
            try:
                quota[handle] = clients[handle].publishing_limit(store.ig_user_id(handle)).total
            except ContentloopError:
                quota[handle] = 0  # unknown: the publisher still handles code 9 at publish time
        return quota[handle]

    def token_expiry(handle: str) -> datetime | None:
        return vault.get(handle).expires_at if vault is not None else None

    def planned_slots(handle: str) -> list[datetime]:
        waiting = [PostState.SCHEDULED, PostState.RETRY_WAIT, PostState.PUBLISHING]
        return [p.scheduled_at for p in store.posts(handle, states=waiting)]

    return Preflight(http, host.url_for, token_expiry, quota_total, planned_slots)
