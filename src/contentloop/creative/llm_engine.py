"""`LLMGenerator`: creative copy from any OpenAI-compatible chat endpoint (`openai` SDK).

Our code decides each variant's format, hook style and trend (`TemplateGenerator.plan`), the
model writes the copy as JSON validated by pydantic, and our code assembles caption, beats and
slides, CTA and hashtags. Invalid or unsafe output gets one repair attempt; then the template
engine writes that variant and the reason is recorded with the tokens spent.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from openai import OpenAI

from contentloop.domain import Account, Format, Opportunity, Post, Variant

from .disclosure import apply_disclosure
from .engine import TemplateGenerator, VariantSpec, _emoji_marks, _slots, derive_seed
from .generator import Preferences
from .hashtags import pick_hashtags
from .llm_schema import Draft, draft_schema, parse_draft
from .prompting import PromptLibrary
from .scripts import Cue, Point, carousel_slides, reel_cues, story_frames, time_beats
from .similarity import max_similarity
from .templates import HOOKS_BY_STYLE, PROMISES, REHOOKS
from .textutil import contains_any, truncate_words, word_count
from .untrusted import fence, output_findings
from .usage import UsageRecord, cost_usd

POINTS_RANGE: dict[Format, tuple[int, int]] = {
    Format.REEL: (2, 4), Format.STORY: (2, 3), Format.IMAGE: (2, 5), Format.CAROUSEL: (3, 8),
}
HOOK_HINTS: dict[str, str] = {
    "question": "a question naming the reader's exact situation",
    "contrarian": "push back on common advice, then promise the better order",
    "listicle": "a numbered promise whose number equals the points you give",
    "how_to": "how to get an outcome under a concrete constraint",
    "story": "a tiny scene with a time and place, then the fix",
    "number_stat": "lead with a count that is true of this post (points or sources)",
    "myth_fact": "state a common myth, then the fact",
    "before_after": "before state to after state, with the method to come",
    "mistake": "one specific costly mistake, and the fix (not scolding)",
    "pov": "POV: the moment the reader has it handled",
    "stop_doing": "stop one common action if you want a specific outcome",
    "cheat_sheet": "the whole topic boiled down to the points, to screenshot",
    "permission": "you don't need the big version to start",
    "callout": "call out a situation the audience is in (never a sensitive trait)",
}
SYSTEM_ACTOR = "llm"


@dataclass(frozen=True, slots=True)
class LLMOptions:
    """Endpoint and limits; `api_key` is held only here and never logged or recorded."""

    base_url: str
    model: str
    api_key: str = field(default="sk-no-key", repr=False)
    timeout_s: float = 30.0
    concurrency: int = 4
    temperature: float = 0.7
    max_tokens: int = 1500
    price_input_per_mtok: float = 0.0
    price_output_per_mtok: float = 0.0
    prompts_dir: str = ""


@dataclass(frozen=True, slots=True)
class GenerationJob:
    account: Account
    post: Post
    opportunities: Sequence[Opportunity]
    n: int
    recent_captions: Sequence[str] = ()
    preferences: Preferences | None = None


@dataclass(slots=True)
class _Call:
    content: str
    prompt_tokens: int
    completion_tokens: int


class _Failure(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


UsageSink = Callable[[UsageRecord], None]


class LLMGenerator:
    """LLM engine implementing `Generator`, with the template engine as its safety net."""

    name = "llm"

    def __init__(
        self,
        options: LLMOptions,
        *,
        fallback: TemplateGenerator | None = None,
        usage_sink: UsageSink | None = None,
    ) -> None:
        self.options = options
        self.fallback = fallback or TemplateGenerator(0)
        self.usage_sink = usage_sink
        self.prompts = PromptLibrary(options.prompts_dir or None)
        self.client = OpenAI(
            base_url=options.base_url, api_key=options.api_key or "sk-no-key",
            timeout=options.timeout_s, max_retries=0,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=options.concurrency, thread_name_prefix="llm-generate"
        )
        self._schema = draft_schema()
        self._schema_text = json.dumps(self._schema, separators=(",", ":"))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()

    # ------------------------------------------------------------------ public
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
        job = GenerationJob(account, post, opportunities, n, recent_captions, preferences)
        return self.generate_batch([job])[0]

    def generate_batch(self, jobs: Sequence[GenerationJob]) -> list[list[Variant]]:
        """Every variant of every job in flight at once, at most `concurrency` calls."""
        planned = [
            (job, self.fallback.plan(job.account, job.post, job.opportunities, job.n,
                                     preferences=job.preferences))
            for job in jobs
        ]
        futures = [
            [self._pool.submit(self._one, job, spec) for spec in specs] for job, specs in planned
        ]
        out: list[list[Variant]] = []
        for (job, specs), futs in zip(planned, futures, strict=True):
            variants: list[Variant] = []
            for spec, fut in zip(specs, futs, strict=True):
                variant, usage = fut.result()
                siblings = [v.caption for v in variants]
                limit = self.fallback.duplicate_threshold
                if variant.generator == self.name and max_similarity(
                        variant.caption, siblings) > limit:
                    variant = self._template(job, spec, [*job.recent_captions, *siblings])
                    usage = _replace_outcome(usage, "fallback",
                                             "near-duplicate of a sibling variant")
                variants.append(variant)
                if self.usage_sink is not None:
                    self.usage_sink(usage)
            out.append(variants)
        return out

    # --------------------------------------------------------------- one variant
    def _one(self, job: GenerationJob, spec: VariantSpec) -> tuple[Variant, UsageRecord]:
        acc, post = job.account, job.post
        vid = f"{post.id}-v{spec.index + 1}"
        started = time.perf_counter()
        tokens = [0, 0]
        outcome = "ok"
        reason = ""
        variant: Variant | None = None
        try:
            messages, untrusted = self._messages(job, spec)
            call = self._call(messages, tokens)
            try:
                variant = self._accept(job, spec, call.content, untrusted)
            except _Failure as first:
                messages += [
                    {"role": "assistant", "content": call.content[:6000]},
                    {"role": "user", "content": self.prompts.render("repair.j2",
                                                                    problems=first.reason)},
                ]
                call = self._call(messages, tokens)
                try:
                    variant = self._accept(job, spec, call.content, untrusted)
                    outcome, reason = "repaired", first.reason
                except _Failure as second:
                    raise _Failure(f"invalid after one repair: {second.reason} "
                                   f"(first: {first.reason})") from None
        except _Failure as exc:
            outcome, reason = "fallback", exc.reason
        if variant is None:
            variant = self._template(job, spec, job.recent_captions)
        usage = UsageRecord(
            account=acc.handle, post_id=post.id, variant_id=vid, engine=self.name,
            model=self.options.model, outcome=outcome, reason=reason[:2000],
            prompt_tokens=tokens[0], completion_tokens=tokens[1],
            cost_usd=cost_usd(tokens[0], tokens[1], self.options.price_input_per_mtok,
                              self.options.price_output_per_mtok),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return variant, usage

    def _template(self, job: GenerationJob, spec: VariantSpec, recent: Sequence[str]) -> Variant:
        v = self.fallback.generate_spec(job.account, job.post, spec, recent_captions=recent,
                                        preferences=job.preferences)
        return v

    def _call(self, messages: list[dict[str, str]], tokens: list[int]) -> _Call:
        try:
            resp = self.client.chat.completions.create(  # type: ignore[call-overload]
                model=self.options.model,
                messages=messages,
                temperature=self.options.temperature,
                max_tokens=self.options.max_tokens,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "variant_copy", "strict": True,
                                    "schema": self._schema},
                },
            )
        except Exception as exc:  # any transport/API failure → the template engine takes over
            raise _Failure(self._describe(exc)) from None
        usage = getattr(resp, "usage", None)
        if usage is not None:
            tokens[0] += int(getattr(usage, "prompt_tokens", 0) or 0)
            tokens[1] += int(getattr(usage, "completion_tokens", 0) or 0)
        choices = getattr(resp, "choices", None) or []
        content = choices[0].message.content if choices and choices[0].message else None
        if not content:
            raise _Failure("the endpoint returned no message content")
        return _Call(content, tokens[0], tokens[1])

    def _describe(self, exc: Exception) -> str:
        name = type(exc).__name__
        status = getattr(exc, "status_code", None)
        msg = str(exc).replace(self.options.api_key, "***") if self.options.api_key else str(exc)
        if "Timeout" in name:
            return f"timeout: no reply within {self.options.timeout_s:g} s"
        head = f"HTTP {status}" if status else name
        return f"endpoint error: {head}: {msg[:200]}"

    # --------------------------------------------------------------- prompts
    def _messages(
        self, job: GenerationJob, spec: VariantSpec
    ) -> tuple[list[dict[str, str]], list[str]]:
        acc, brand = job.account, job.account.brand
        ctx = self._ctx(job, spec)
        lo, hi = POINTS_RANGE[spec.format]
        formula = HOOKS_BY_STYLE[spec.hook_style]
        example = formula.templates[-1].line.format(**_slots(ctx, hi))
        items: list[dict[str, str]] = []
        untrusted: list[str] = []
        opp = spec.opportunity
        if opp is not None:
            for ev in opp.evidence:
                if str(ev.get("kind", "signal")) == "score":
                    continue
                item = {k: str(ev.get(k, "")) for k in ("title", "summary", "source")}
                items.append(item)
                untrusted += [v for v in item.values() if v]
        nonce = hashlib.sha256(f"{job.post.id}:{spec.index}".encode()).hexdigest()[:12]
        system = self.prompts.render(
            "system.j2", handle=acc.handle, niche=acc.niche, voice=", ".join(brand.voice),
            audience=brand.audience, language=brand.language,
            do_examples=list(brand.do_examples), dont_examples=list(brand.dont_examples),
            banned=", ".join([*brand.banned_words, *brand.banned_topics]), emoji=brand.emoji,
        )
        user = self.prompts.render(
            "variant.j2", handle=acc.handle, format=spec.format.value, topic=ctx.topic,
            pillar=ctx.pillar, hook_style=spec.hook_style, hook_hint=HOOK_HINTS.get(
                spec.hook_style, spec.hook_style.replace("_", " ")),
            hook_example=example, points_min=lo, points_max=hi, ctas=self._ctas(acc),
            trend_data=fence(items, nonce), schema=self._schema_text,
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}], \
            untrusted

    def _ctx(self, job: GenerationJob, spec: VariantSpec) -> Any:
        rng = random.Random(derive_seed(self.fallback.seed, f"{job.post.id}:{spec.index}"))
        banned = tuple(job.account.brand.banned_words) + tuple(job.account.brand.banned_topics)
        return self.fallback._context(job.account, spec.opportunity, job.preferences or {}, rng,
                                      banned)

    @staticmethod
    def _ctas(account: Account) -> list[str]:
        brand = account.brand
        ctas = [c for c in brand.ctas if c.strip() and not contains_any(c, brand.banned_words)]
        return ctas or ["Save this for later."]

    # --------------------------------------------------------------- checking and assembly
    def _accept(
        self, job: GenerationJob, spec: VariantSpec, content: str, untrusted: list[str]
    ) -> Variant:
        try:
            draft = parse_draft(content)
        except ValueError as exc:
            raise _Failure(str(exc)) from None
        problems = self._problems(job, spec, draft, untrusted)
        if problems:
            raise _Failure("; ".join(problems))
        variant = self._assemble(job, spec, draft)
        sim = max_similarity(variant.caption, job.recent_captions)
        if sim > self.fallback.duplicate_threshold:
            raise _Failure(f"too close to a recent caption (similarity {sim:.2f})")
        return variant

    def _problems(
        self, job: GenerationJob, spec: VariantSpec, d: Draft, untrusted: list[str]
    ) -> list[str]:
        brand = job.account.brand
        text = "\n".join([d.hook, d.card, d.bridge, d.payoff, d.visual_prompt,
                          *(p.label for p in d.points), *(p.line for p in d.points)])
        problems: list[str] = []
        banned = [*brand.banned_words, *brand.banned_topics]
        hits = [w for w in banned if contains_any(text, [w])]
        if hits:
            problems.append(f"uses banned words or topics: {', '.join(hits)}")
        if "#" in text:
            problems.append("contains hashtags (the system adds them)")
        problems += output_findings(
            text, allowed_links=[brand.link_in_bio, *brand.affiliate_links], untrusted=untrusted
        )
        lo, hi = POINTS_RANGE[spec.format]
        if not lo <= len(d.points) <= hi:
            problems.append(f"{len(d.points)} points; a {spec.format.value} needs {lo} to {hi}")
        if d.cta_index >= len(self._ctas(job.account)):
            problems.append(f"cta_index {d.cta_index} is not one of the listed calls to action")
        if word_count(d.card) > 8:
            problems.append("card has more than 8 words")
        return problems

    def _assemble(self, job: GenerationJob, spec: VariantSpec, d: Draft) -> Variant:
        acc, post, brand = job.account, job.post, job.account.brand
        ctx = self._ctx(job, spec)
        rng = random.Random(derive_seed(self.fallback.seed, f"{post.id}:{spec.index}:llm"))
        formula = HOOKS_BY_STYLE[spec.hook_style]
        points = [Point(truncate_words(p.label, 6), p.line.strip()) for p in d.points]
        cta = self._ctas(acc)[d.cta_index]
        emoji = _emoji_marks(brand.emoji, ctx.emoji, rng)
        numbered = formula.body in ("list", "steps")
        lines = [d.hook.strip() + emoji[0], "", d.bridge.strip() + emoji[1], ""]
        if spec.format is Format.CAROUSEL:
            labels = [p.label for p in points]
            lines += [f"Inside: {', '.join(labels[:-1])} and {labels[-1]}.",
                      f"The quick version: {points[0].line}"]
        else:
            body = points[:2] if spec.format in (Format.REEL, Format.STORY) else points
            lines += [f"{j}. {p.line}" if numbered else f"– {p.line}"
                      for j, p in enumerate(body, start=1)]
        lines += ["", d.payoff.strip(), "", cta + emoji[2]]
        hashtags = pick_hashtags(brand, ctx.tags, rng, relevant_to=ctx.vocabulary)
        caption = "\n".join(lines) + ("\n\n" + " ".join(hashtags) if hashtags else "")
        beats, slides = [], []
        card = truncate_words(d.card.strip(), 8)
        if spec.format is Format.REEL:
            promise_card, promise_vo = PROMISES[formula.body]
            slots = _slots(ctx, len(points))
            beats = time_beats(reel_cues(
                card, d.hook.strip(), Cue(promise_card.format(**slots),
                                          promise_vo.format(**slots), "body"),
                points[:4], rng.choice(REHOOKS),
                Cue(truncate_words(d.payoff, 6), d.payoff.strip(), "payoff"), cta,
            ))
        elif spec.format is Format.CAROUSEL:
            k = len(points)
            slides = carousel_slides(card, f"{k} points · swipe →", f"Why it matters\n{d.bridge}",
                                     points, recap=k <= 5, closing=cta)
        elif spec.format is Format.STORY:
            slides = story_frames(card, points[0], cta, 3)
        opp = spec.opportunity
        variant = Variant(
            id=f"{post.id}-v{spec.index + 1}", post_id=post.id, account=acc.handle,
            format=spec.format, hook=d.hook.strip(), hook_style=spec.hook_style,
            caption=caption, hashtags=hashtags, pillar=ctx.pillar,
            trend=opp.topic if opp is not None else None,
            opportunity_id=opp.id if opp is not None else None,
            beats=beats, slides=slides, visual_prompt=d.visual_prompt.strip(),
            generator=self.name,
        )
        apply_disclosure(variant, brand)
        variant.score = self.fallback._score(variant, job.preferences or {})
        return variant


def _replace_outcome(u: UsageRecord, outcome: str, reason: str) -> UsageRecord:
    return UsageRecord(u.account, u.post_id, u.variant_id, u.engine, u.model, outcome, reason,
                       u.prompt_tokens, u.completion_tokens, u.cost_usd, u.latency_ms)


__all__ = ["GenerationJob", "LLMGenerator", "LLMOptions", "SYSTEM_ACTOR"]
