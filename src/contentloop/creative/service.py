"""Creative services: the per-account engine router, review recording, and building engines.

The loop sees one `Generator`; behind it each account uses the engine its config names
(`[accounts.creative] engine`), with review-learned preferences merged in and LLM usage
written to the store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from contentloop.domain import Account, ConfigError, Opportunity, Post, Variant
from contentloop.store import Store, creative_repo

from .engine import TemplateGenerator
from .generator import Generator, Preferences
from .learning import kept_ratio, merge_preferences, review_preferences
from .llm_engine import GenerationJob
from .usage import UsageRecord

LEARN_WINDOW = timedelta(days=180)


class CreativeRouter:
    """`Generator` that dispatches by account and learns from that account's reviews."""

    name = "router"

    def __init__(
        self,
        store: Store | None,
        default: Generator,
        engines: Mapping[str, Generator] | None = None,
        *,
        learn: Mapping[str, bool] | None = None,
    ) -> None:
        self.store = store
        self.default = default
        self.engines = dict(engines or {})
        self.learn = dict(learn or {})

    def engine_for(self, handle: str) -> Generator:
        return self.engines.get(handle, self.default)

    def preferences_for(
        self, account: Account, optimizer: Preferences | None
    ) -> Preferences | None:
        if self.store is None or not self.learn.get(account.handle, True):
            return optimizer
        since = self.store.clock.now() - LEARN_WINDOW
        events = creative_repo.review_events(self.store, account.handle, since=since)
        return merge_preferences(optimizer, review_preferences(events))

    def generate(
        self,
        account: Account,
        post: Post,
        opportunities: Sequence[Opportunity],
        n: int,
        *,
        recent_captions: Sequence[str] = (),
        preferences: Preferences | None = None,
    ) -> list[Variant]:
        return self.engine_for(account.handle).generate(
            account, post, opportunities, n, recent_captions=recent_captions,
            preferences=self.preferences_for(account, preferences),
        )

    def generate_batch(self, jobs: Sequence[GenerationJob]) -> list[list[Variant]]:
        """Many posts at once: an engine that batches (the LLM) keeps its calls in flight."""
        out: list[list[Variant] | None] = [None] * len(jobs)
        by_engine: dict[int, tuple[Generator, list[int]]] = {}
        for i, job in enumerate(jobs):
            eng = self.engine_for(job.account.handle)
            by_engine.setdefault(id(eng), (eng, []))[1].append(i)
        for eng, idx in by_engine.values():
            mine = [
                replace(jobs[i], preferences=self.preferences_for(jobs[i].account,
                                                                  jobs[i].preferences))
                for i in idx
            ]
            batch = getattr(eng, "generate_batch", None)
            if callable(batch):
                results = batch(mine)
            else:
                results = [
                    eng.generate(j.account, j.post, j.opportunities, j.n,
                                 recent_captions=j.recent_captions, preferences=j.preferences)
                    for j in mine
                ]
            for i, variants in zip(idx, results, strict=True):
                out[i] = variants
        return [v or [] for v in out]

    def close(self) -> None:
        for eng in {id(e): e for e in [self.default, *self.engines.values()]}.values():
            closer = getattr(eng, "close", None)
            if callable(closer):
                closer()


def store_usage_sink(store: Store) -> Any:
    def sink(rec: UsageRecord) -> None:
        creative_repo.record_usage(store, **asdict(rec))
    return sink


def build_generator(
    *,
    seed: int,
    store: Store | None,
    engines: Mapping[str, str] | None = None,
    llm: Any = None,
    learn: Mapping[str, bool] | None = None,
) -> CreativeRouter:
    """Engines by account handle ("template" | "llm"); `llm` is a `config.LLMConfig`."""
    template = TemplateGenerator(seed)
    chosen: dict[str, Generator] = {}
    llm_engine: Generator | None = None
    for handle, name in (engines or {}).items():
        if name == "template":
            continue
        if name != "llm":
            raise ConfigError(f"accounts[{handle}].creative.engine", name, '"template" or "llm"')
        if llm_engine is None:
            llm_engine = _llm_engine(llm, template, store)
        chosen[handle] = llm_engine
    return CreativeRouter(store, template, chosen, learn=learn)


def _llm_engine(llm: Any, template: TemplateGenerator, store: Store | None) -> Generator:
    from .llm_engine import LLMGenerator, LLMOptions

    if llm is None or not getattr(llm, "base_url", "") or not getattr(llm, "model", ""):
        raise ConfigError("llm.base_url", getattr(llm, "base_url", ""),
                          "an OpenAI-compatible endpoint URL and [llm] model for accounts "
                          "whose creative.engine is \"llm\"")
    key = os.environ.get(llm.key_env, "") or "sk-no-key"
    options = LLMOptions(
        base_url=llm.base_url, model=llm.model, api_key=key, timeout_s=llm.timeout_s,
        concurrency=llm.concurrency, temperature=llm.temperature, max_tokens=llm.max_tokens,
        price_input_per_mtok=llm.price_input_per_mtok,
        price_output_per_mtok=llm.price_output_per_mtok, prompts_dir=llm.prompts_dir,
    )
    return LLMGenerator(options, fallback=template,
                        usage_sink=store_usage_sink(store) if store is not None else None)


def record_review(
    store: Store, variant: Variant, kind: str, *, new_caption: str | None = None,
    actor: str = "",
) -> Variant:
    """Store a review action (keep | edit | reject); an edit also updates the variant's caption."""
    after = new_caption if new_caption is not None else variant.caption
    ratio = {"keep": 1.0, "reject": 0.0}.get(kind) if kind != "edit" else None
    if ratio is None:
        ratio = kept_ratio(variant.caption, after)
    blocks = [b for b in variant.caption.split("\n\n") if b.strip()]
    cta = blocks[-2] if len(blocks) >= 2 and variant.hashtags else (blocks[-1] if blocks else "")
    creative_repo.record_review(
        store, account=variant.account, post_id=variant.post_id, variant_id=variant.id,
        kind=kind, hook_style=variant.hook_style, format=variant.format.value, cta=cta,
        before=variant.caption, after=after, kept_ratio=ratio, actor=actor,
    )
    if kind == "edit" and new_caption is not None and new_caption != variant.caption:
        variant.caption = new_caption
        store.save_variants([variant])
    return variant


__all__ = ["CreativeRouter", "build_generator", "record_review", "store_usage_sink"]
