"""`TemplateGenerator`: the embedded, model-free, seeded creative engine.

It fills the hook grammar in `templates` with the account's pillar, the trend's topic,
tags and evidence, then shapes a caption, a reel script, carousel slides or story frames.
Same (seed, post.id, inputs) → same variants. Variants of one post never share a hook
style; captions too close to recent ones (word-shingle Jaccard > threshold) are redone.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from contentloop.domain import Account, Format, Opportunity, Pillar, Post, Variant

from .disclosure import apply_disclosure
from .generator import NEUTRAL_SCORE, GenerationError, Preferences
from .hashtags import pick_hashtags
from .relevance import is_relevant, topic_vocabulary, vocabulary
from .scripts import (
    Cue,
    Point,
    carousel_slides,
    reel_cues,
    story_frames,
    time_beats,
)
from .similarity import max_similarity
from .templates import (
    BODY_LEADS,
    BRIDGES,
    DEFAULT_CTAS,
    DEFAULT_EMOJI,
    EMOJI_BY_NICHE,
    EVIDENCE_BRIDGES,
    HOOKS,
    NICHE_POINTS,
    PAYOFFS,
    POINTS,
    PROMISES,
    REHOOKS,
    VISUALS,
    HookFormula,
    HookTemplate,
    PointTemplate,
)
from .textutil import (
    cap_first,
    clean_topic,
    contains_any,
    scrub,
    short_topic,
    truncate_words,
)
from .untrusted import clean_untrusted, has_link_or_contact, looks_like_injection

HOOK_LINE_MAX = 125
CARD_MAX_WORDS = 8
DEFAULT_DUPLICATE_THRESHOLD = 0.6


def derive_seed(seed: int, post_id: str) -> int:
    """A stable per-post seed (Python's hash() is salted per process, so not that)."""
    digest = hashlib.sha256(f"{seed}:{post_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _weight(prefs: Preferences, dim: str, key: str) -> float:
    table = prefs.get(dim)
    if not table:
        return 1.0
    return max(0.05, float(table.get(key, NEUTRAL_SCORE)))


def _weighted_order(
    items: Sequence[str], weights: Sequence[float], rng: random.Random
) -> list[int]:
    """Indices in a weighted random order (Efraimidis-Spirakis keys)."""
    keys = [rng.random() ** (1.0 / w) for w in weights]
    return sorted(range(len(items)), key=lambda i: (-keys[i], i))


@dataclass(slots=True)
class _Context:
    topic: str
    short: str
    audience: str
    niche: str
    pillar: str
    keywords: list[str]
    evidence: list[tuple[str, str]]
    tags: list[str]
    opportunity: Opportunity | None
    emoji: tuple[str, ...] = field(default=DEFAULT_EMOJI)
    vocabulary: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """What one variant must be (chosen before any copy is written): shared by both engines."""

    index: int
    format: Format
    hook_style: str
    opportunity: Opportunity | None


class TemplateGenerator:
    """Deterministic template/grammar engine implementing `Generator`."""

    name = "template"

    def __init__(
        self, seed: int = 0, *, duplicate_threshold: float = DEFAULT_DUPLICATE_THRESHOLD
    ) -> None:
        self.seed = seed
        self.duplicate_threshold = duplicate_threshold

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
        if n <= 0:
            return []
        if n > len(HOOKS):
            raise GenerationError(
                f"asked for {n} variants of post {post.id}, but only {len(HOOKS)} hook styles "
                f"exist and variants of one post never share a style; ask for <= {len(HOOKS)}"
            )
        prefs: Preferences = preferences or {}
        rng = random.Random(derive_seed(self.seed, post.id))
        banned = tuple(account.brand.banned_words) + tuple(account.brand.banned_topics)
        picks = self._rank(account, opportunities, prefs, banned)[:n]
        formats = self._format_order(account, prefs, rng)

        used: set[str] = set()
        negative_used = False
        seen = list(recent_captions)
        out: list[Variant] = []
        for i in range(n):
            fmt = formats[i % len(formats)]
            opp = picks[i % len(picks)] if picks else None
            ctx = self._context(account, opp, prefs, rng, banned)
            best: tuple[float, Variant] | None = None
            for formula in self._style_order(fmt, used, negative_used, prefs, rng):
                for template in self._templates(formula, ctx, rng):
                    v = self._build(account, post, i, fmt, formula, template, ctx, rng)
                    sim = max_similarity(v.caption, seen)
                    if contains_any(_all_text(v), banned):
                        sim += 1.0  # usable only as a scrubbed last resort
                    if best is None or sim < best[0]:
                        best = (sim, v)
                    if sim <= self.duplicate_threshold:
                        break
                if best is not None and best[0] <= self.duplicate_threshold:
                    break
            assert best is not None  # at least one style always remains (n <= len(HOOKS))
            variant = best[1]
            if contains_any(_all_text(variant), banned):
                _scrub_variant(variant, banned)
            variant.score = self._score(variant, prefs)
            used.add(variant.hook_style)
            negative_used = negative_used or _formula(variant.hook_style).negative
            seen.append(variant.caption)
            out.append(variant)
        return out

    def plan(
        self,
        account: Account,
        post: Post,
        opportunities: Sequence[Opportunity],
        n: int,
        *,
        preferences: Preferences | None = None,
    ) -> list[VariantSpec]:
        """Formats, hook styles and trends for `n` variants: distinct styles, spread formats."""
        if n > len(HOOKS):
            raise GenerationError(
                f"asked for {n} variants of post {post.id}, but only {len(HOOKS)} hook styles "
                f"exist and variants of one post never share a style; ask for <= {len(HOOKS)}"
            )
        prefs: Preferences = preferences or {}
        rng = random.Random(derive_seed(self.seed, f"{post.id}:plan"))
        banned = tuple(account.brand.banned_words) + tuple(account.brand.banned_topics)
        picks = self._rank(account, opportunities, prefs, banned)[:n]
        formats = self._format_order(account, prefs, rng)
        used: set[str] = set()
        negative_used = False
        specs: list[VariantSpec] = []
        for i in range(max(0, n)):
            fmt = formats[i % len(formats)]
            formula = self._style_order(fmt, used, negative_used, prefs, rng)[0]
            used.add(formula.style)
            negative_used = negative_used or formula.negative
            opp = picks[i % len(picks)] if picks else None
            specs.append(VariantSpec(i, fmt, formula.style, opp))
        return specs

    def generate_spec(
        self,
        account: Account,
        post: Post,
        spec: VariantSpec,
        *,
        recent_captions: Sequence[str] = (),
        preferences: Preferences | None = None,
    ) -> Variant:
        """One variant for a fixed spec (the LLM engine's fallback), least like recent ones."""
        prefs: Preferences = preferences or {}
        rng = random.Random(derive_seed(self.seed, f"{post.id}:{spec.index}"))
        banned = tuple(account.brand.banned_words) + tuple(account.brand.banned_topics)
        ctx = self._context(account, spec.opportunity, prefs, rng, banned)
        formula = _formula(spec.hook_style)
        best: tuple[float, Variant] | None = None
        templates = self._templates(formula, ctx, rng) or list(formula.templates[-1:])
        for template in templates:
            v = self._build(account, post, spec.index, spec.format, formula, template, ctx, rng)
            sim = max_similarity(v.caption, recent_captions)
            if best is None or sim < best[0]:
                best = (sim, v)
            if sim <= self.duplicate_threshold:
                break
        assert best is not None
        variant = best[1]
        if contains_any(_all_text(variant), banned):
            _scrub_variant(variant, banned)
        variant.score = self._score(variant, prefs)
        return variant

    # --------------------------------------------------------------- choosing
    def _rank(
        self,
        account: Account,
        opportunities: Sequence[Opportunity],
        prefs: Preferences,
        banned: tuple[str, ...],
    ) -> list[Opportunity]:
        vocab = vocabulary(account)
        usable = [
            o for o in opportunities
            if o.topic.strip() and not contains_any(o.topic, banned)
            and not any(contains_any(t, banned) for t in o.tags)
            and not looks_like_injection(o.topic) and not has_link_or_contact(o.topic)
            and (o.pillar or not vocab or is_relevant(o.topic, vocab))  # off-niche drift
        ]
        return sorted(
            usable,
            key=lambda o: (-(o.score * o.freshness * _weight(prefs, "pillar", o.pillar)), o.id),
        )

    def _format_order(
        self, account: Account, prefs: Preferences, rng: random.Random
    ) -> list[Format]:
        fmts = list(dict.fromkeys(account.formats)) or [Format.IMAGE]
        order = _weighted_order(
            [f.value for f in fmts], [_weight(prefs, "format", f.value) for f in fmts], rng
        )
        return [fmts[i] for i in order]

    def _style_order(
        self,
        fmt: Format,
        used: set[str],
        negative_used: bool,
        prefs: Preferences,
        rng: random.Random,
    ) -> list[HookFormula]:
        free = [h for h in HOOKS if h.style not in used]
        order = _weighted_order(
            [h.style for h in free], [_weight(prefs, "hook_style", h.style) for h in free], rng
        )
        ranked = [free[i] for i in order]
        # Formulas that fit the format first; at most one negative frame per post.
        return sorted(ranked, key=lambda h: (fmt not in h.formats, negative_used and h.negative))

    def _templates(
        self, formula: HookFormula, ctx: _Context, rng: random.Random
    ) -> list[HookTemplate]:
        ok = [t for t in formula.templates if t.needs_evidence <= len(ctx.evidence)]
        rng.shuffle(ok)
        return ok

    def _pillar(self, account: Account, prefs: Preferences, rng: random.Random) -> Pillar:
        pillars = account.brand.pillars or (Pillar("tips"),)
        weights = [max(0.01, p.weight) * _weight(prefs, "pillar", p.name) for p in pillars]
        return pillars[_weighted_order([p.name for p in pillars], weights, rng)[0]]

    def _context(
        self,
        account: Account,
        opp: Opportunity | None,
        prefs: Preferences,
        rng: random.Random,
        banned: tuple[str, ...],
    ) -> _Context:
        brand = account.brand
        pillar_obj: Pillar | None = None
        if opp is not None and opp.pillar:
            pillar_obj = next((p for p in brand.pillars if p.name == opp.pillar), None)
        if pillar_obj is None and (opp is None or not opp.pillar):
            pillar_obj = self._pillar(account, prefs, rng)
        pillar = opp.pillar if opp is not None and opp.pillar else (pillar_obj or Pillar("")).name
        pillar_kws = [k for k in (pillar_obj.keywords if pillar_obj else ()) if k.strip()]
        niche = account.niche if account.niche and account.niche != "general" else ""
        if opp is not None:
            topic = clean_topic(opp.topic)
            keywords = []  # tags and pillar keywords drift off the trend's own topic
            evidence = _evidence(opp, banned)
        else:
            evidence = []
            keywords = [k.lower() for k in pillar_kws]
            clean_kws = [k for k in keywords if not contains_any(k, banned)]
            if clean_kws:
                topic = clean_topic(rng.choice(clean_kws))
            else:
                topic = clean_topic(" ".join(x for x in (niche, pillar) if x) or "weekly planning")
        keywords = [k for k in dict.fromkeys(keywords) if not contains_any(k, banned)]
        keywords = [k for k in keywords if k.lower() != topic.lower()] + [topic]
        return _Context(
            topic=topic,
            short=short_topic(topic),
            audience=brand.audience,
            niche=niche or "everyday",
            pillar=pillar,
            keywords=keywords,
            evidence=evidence,
            tags=list(opp.tags) if opp is not None else [],
            opportunity=opp,
            emoji=_emoji_for(f"{account.niche} {pillar} {topic}"),
            vocabulary=vocabulary(account) | topic_vocabulary(topic),
        )

    def _points(self, ctx: _Context, k: int, rng: random.Random) -> list[Point]:
        """k distinct points: the niche pack first (more concrete), then general craft."""
        niche_pool = list(_niche_points(f"{ctx.niche} {ctx.pillar} {ctx.topic}"))
        general = list(POINTS)
        rng.shuffle(niche_pool)
        rng.shuffle(general)
        pool = niche_pool[: max(0, k - 1)] + general  # keep one general point for variety
        pool = pool[:1] + sorted(pool[1:k], key=lambda _: rng.random()) + pool[k:]
        kws = list(ctx.keywords)
        rng.shuffle(kws)
        points: list[Point] = []
        for j, tpl in enumerate(pool[:k]):
            kw = kws[j % len(kws)]
            points.append(Point(tpl.label.format(kw=kw), tpl.line.format(kw=kw)))
        return points

    # --------------------------------------------------------------- building
    def _build(
        self,
        account: Account,
        post: Post,
        i: int,
        fmt: Format,
        formula: HookFormula,
        template: HookTemplate,
        ctx: _Context,
        rng: random.Random,
    ) -> Variant:
        brand = account.brand
        k = {
            Format.REEL: rng.randint(2, 3),
            Format.STORY: 2,
            Format.IMAGE: rng.randint(3, 4),
            Format.CAROUSEL: rng.randint(3, 6),
        }[fmt]
        points = self._points(ctx, k, rng)
        k = len(points)
        slots = _slots(ctx, k)
        hook = template.line.format(**slots)
        if len(hook) > HOOK_LINE_MAX:
            hook = template.line.format(**(slots | {"topic": ctx.short, "Topic": slots["Short"]}))
        hook = hook[:HOOK_LINE_MAX]
        card = truncate_words(template.card.format(**slots), CARD_MAX_WORDS)
        if ctx.evidence and rng.random() < 0.6:
            title, source = rng.choice(ctx.evidence)
            bridge = rng.choice(EVIDENCE_BRIDGES).format(title=title, source=source)
        else:
            bridge = rng.choice(BRIDGES[formula.body]).format(**slots, pick=rng.randint(1, k))
        lead = rng.choice(BODY_LEADS[formula.body])
        ctas = [c for c in brand.ctas if c.strip() and not contains_any(c, brand.banned_words)]
        cta = rng.choice(ctas or list(DEFAULT_CTAS))
        emoji = _emoji_marks(brand.emoji, ctx.emoji, rng)

        numbered = formula.body in ("list", "steps")
        lines = [hook + emoji[0], ""]
        if fmt is Format.CAROUSEL:
            labels = [p.label for p in points]
            inside = ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else labels[0]
            lines += [bridge + emoji[1], "", f"Inside: {inside}.",
                      f"The quick version: {points[0].line}"]
        else:
            body_points = points[:2] if fmt in (Format.REEL, Format.STORY) else points
            lines += [bridge + emoji[1], ""]
            if lead:
                lines.append(lead)
            lines += [
                f"{j}. {p.line}" if numbered else f"– {p.line}"
                for j, p in enumerate(body_points, start=1)
            ]
        lines += ["", cta + emoji[2]]
        hashtags = pick_hashtags(brand, ctx.tags, rng, relevant_to=ctx.vocabulary)
        caption = "\n".join(lines)
        if hashtags:
            caption += "\n\n" + " ".join(hashtags)

        beats, slides = [], []
        if fmt is Format.REEL:
            promise_card, promise_vo = PROMISES[formula.body]
            payoff_card, payoff_vo = rng.choice(PAYOFFS)
            beats = time_beats(reel_cues(
                card, card,
                Cue(promise_card.format(**slots), promise_vo.format(**slots), "body"),
                points, rng.choice(REHOOKS),
                Cue(payoff_card.format(**slots), payoff_vo.format(**slots), "payoff"),
                cta,
            ))
        elif fmt is Format.CAROUSEL:
            extras = 2 + (1 if k <= 5 else 0)
            setup = None
            if extras + k < 10 and ctx.evidence:
                title, source = ctx.evidence[0]
                setup = f"Why now\n{source}: “{title}”"
            elif extras + k < 10 and rng.random() < 0.5:
                setup = f"Why it matters\n{bridge}"
            slides = carousel_slides(card, f"{k} points · swipe →", setup, points,
                                     recap=k <= 5, closing=cta)
        elif fmt is Format.STORY:
            slides = story_frames(card, points[0], cta, rng.choice((2, 3)))

        opp = ctx.opportunity
        variant = Variant(
            id=f"{post.id}-v{i + 1}",
            post_id=post.id,
            account=account.handle,
            format=fmt,
            hook=hook,
            hook_style=formula.style,
            caption=caption,
            hashtags=hashtags,
            pillar=ctx.pillar,
            trend=opp.topic if opp is not None else None,
            opportunity_id=opp.id if opp is not None else None,
            beats=beats,
            slides=slides,
            visual_prompt=_visual_prompt(fmt, ctx, card, brand.colors),
            score=NEUTRAL_SCORE,
            generator=self.name,
        )
        return apply_disclosure(variant, brand)

    def _score(self, v: Variant, prefs: Preferences) -> float:
        if not prefs:
            return NEUTRAL_SCORE
        keys = {"format": v.format.value, "hook_style": v.hook_style, "pillar": v.pillar}
        vals = [
            float(prefs[dim].get(key, NEUTRAL_SCORE))
            for dim, key in keys.items() if prefs.get(dim)
        ]
        if not vals:
            return NEUTRAL_SCORE
        return round(min(1.0, max(0.0, sum(vals) / len(vals))), 4)


# ------------------------------------------------------------------- helpers
def _formula(style: str) -> HookFormula:
    return next(h for h in HOOKS if h.style == style)


def _slots(ctx: _Context, k: int) -> dict[str, str | int]:
    source = ctx.evidence[0][1] if ctx.evidence else ""
    return {
        "topic": ctx.topic, "Topic": cap_first(ctx.topic),
        "short": ctx.short, "Short": cap_first(ctx.short),
        "audience": ctx.audience, "pillar": ctx.pillar, "niche": ctx.niche,
        "n": k, "count": len(ctx.evidence), "source": source,
    }


def _evidence(opp: Opportunity, banned: tuple[str, ...]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in opp.evidence:
        if str(item.get("kind", "signal")) == "score":
            continue  # the scorer's own numbers, not something anyone published
        title = clean_untrusted(str(item.get("title") or "").strip(), 200)
        source = _source_name(str(item.get("source") or item.get("site") or "").strip())
        if (not title or contains_any(title, banned) or "@" in title or title.startswith("#")
                or len(title.split()) < 3 or looks_like_injection(title)
                or has_link_or_contact(title)):
            continue
        title = re.sub(r"\s+", " ", title)
        if len(title) > 90:
            title = title[:89].rsplit(" ", 1)[0] + "…"
        pair = (title, source or "one of this week's sources")
        if pair not in out:
            out.append(pair)
    return out


def _source_name(raw: str) -> str:
    """Feed ids like 'coffee_rss' are ours, not a publication's name: don't quote them."""
    if not raw or re.fullmatch(r"[a-z0-9_.-]+", raw) and ("_" in raw or raw.islower()):
        return ""
    return raw


def _niche_points(text: str) -> tuple[PointTemplate, ...]:
    low = text.lower()
    for stems, points in NICHE_POINTS:
        if any(re.search(rf"\b{s}", low) for s in stems):
            return points
    return ()


def _emoji_for(text: str) -> tuple[str, ...]:
    low = text.lower()
    for stems, marks in EMOJI_BY_NICHE:
        if any(re.search(rf"\b{s}", low) for s in stems):
            return marks
    return DEFAULT_EMOJI


def _emoji_marks(policy: str, marks: tuple[str, ...], rng: random.Random) -> tuple[str, str, str]:
    """Suffixes for (hook line, bridge line, CTA line): none → none, light → CTA only."""
    if policy == "none":
        return ("", "", "")
    picked = list(marks)
    rng.shuffle(picked)
    if policy == "rich":
        return (f" {picked[0]}", f" {picked[1 % len(picked)]}", f" {picked[2 % len(picked)]}")
    return ("", "", f" {picked[0]}")


def _visual_prompt(fmt: Format, ctx: _Context, card: str, colors: Sequence[str]) -> str:
    palette = ", ".join(colors) if colors else "brand colours"
    return (
        f"{VISUALS[fmt]}. Subject: {ctx.topic} in a real {ctx.niche} setting, "
        f"photographed for {ctx.audience}. Natural light, uncluttered background, "
        f"clear space for the headline \"{card}\". Palette: {palette}. "
        "No logos, no watermarks, no other text."
    )


def _all_text(v: Variant) -> str:
    parts = [v.hook, v.caption, v.visual_prompt, *v.slides, *v.hashtags]
    for b in v.beats:
        parts += [b.on_screen, b.voice_over]
    return "\n".join(parts)


def _scrub_variant(v: Variant, banned: Sequence[str]) -> None:
    v.hook = scrub(v.hook, banned)
    v.caption = "\n".join(scrub(line, banned) for line in v.caption.split("\n"))
    v.visual_prompt = scrub(v.visual_prompt, banned)
    v.slides = [scrub(s, banned) for s in v.slides]
    v.beats = [
        type(b)(b.start_s, b.end_s, scrub(b.on_screen, banned), scrub(b.voice_over, banned), b.role)
        for b in v.beats
    ]


__all__ = ["TemplateGenerator", "VariantSpec", "derive_seed"]
