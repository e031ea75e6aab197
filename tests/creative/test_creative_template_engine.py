"""Behaviour of the embedded template generator (no model, seeded)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from contentloop.creative import (
    HOOK_STYLES,
    NEUTRAL_SCORE,
    GenerationError,
    Generator,
    TemplateGenerator,
    jaccard,
)
from contentloop.domain import Account, BrandProfile, Format, Opportunity, Pillar, Post

ALL_FORMATS = (Format.REEL, Format.CAROUSEL, Format.IMAGE, Format.STORY)
EMOJI_RE = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


def make_account(**brand_kw: object) -> Account:
    base: dict[str, object] = dict(
        audience="busy parents who cook on weeknights",
        pillars=(Pillar("recipes", 2.0, ("sheet pan dinners", "batch cooking")),
                 Pillar("kitchen tips", 1.0, ("knife skills",))),
        ctas=("Save this for your next grocery shop.", "Send this to whoever cooks on Sundays."),
        hashtags_branded=("FernwoodKitchen",),
        hashtags_niche=("WeeknightCooking", "BudgetMeals", "MealPrep"),
        hashtags_broad=("HomeCooking", "reels"),
    )
    base.update(brand_kw)
    return Account("fernwood", niche="home cooking", brand=BrandProfile(**base),  # type: ignore[arg-type]
                   formats=ALL_FORMATS)


def make_post(pid: str = "p1", day: int = 6) -> Post:
    return Post(pid, "fernwood", f"2025-01-{day:02d}", datetime(2025, 1, day, 9, tzinfo=UTC))


OPP = Opportunity(
    "o1", "fernwood", "air fryer salmon", 0.9, "rising fast",
    evidence=({"title": "Why air fryer salmon is everywhere this winter", "source": "Serious Eats"},
              {"title": "12-minute salmon, tested", "source": "NYT Cooking"}),
    tags=("AirFryer", "salmon"), pillar="recipes",
)


def all_text(v) -> str:  # noqa: ANN001
    parts = [v.hook, v.caption, v.visual_prompt, *v.slides, *v.hashtags]
    for b in v.beats:
        parts += [b.on_screen, b.voice_over]
    return "\n".join(parts)


def test_implements_generator_protocol() -> None:
    assert isinstance(TemplateGenerator(1), Generator)


def test_same_seed_same_output_and_different_seed_differs() -> None:
    acc = make_account()
    a = TemplateGenerator(7).generate(acc, make_post(), [OPP], 3)
    b = TemplateGenerator(7).generate(acc, make_post(), [OPP], 3)
    assert a == b
    others = [TemplateGenerator(s).generate(acc, make_post(), [OPP], 3) for s in (8, 9, 10)]
    assert any([v.caption for v in o] != [v.caption for v in a] for o in others)


def test_variant_ids_and_trend_fields() -> None:
    vs = TemplateGenerator(1).generate(make_account(), make_post("post-42"), [OPP], 3)
    assert [v.id for v in vs] == ["post-42-v1", "post-42-v2", "post-42-v3"]
    for v in vs:
        assert v.post_id == "post-42" and v.account == "fernwood"
        assert v.trend == "air fryer salmon" and v.opportunity_id == "o1"
        assert v.pillar == "recipes" and v.generator == "template"
        assert v.visual_prompt


def test_variants_of_a_post_never_share_hook_style_and_spread_formats() -> None:
    gen = TemplateGenerator(3)
    for day in range(1, 11):
        vs = gen.generate(make_account(), make_post(f"p{day}", day), [OPP], 4)
        assert len({v.hook_style for v in vs}) == 4
        assert len({v.format for v in vs}) == 4  # 4 formats allowed, 4 variants


def test_at_least_ten_hook_styles_each_renders() -> None:
    assert len(HOOK_STYLES) >= 10
    for opps in ([OPP], []):
        vs = TemplateGenerator(5).generate(make_account(), make_post(), opps, len(HOOK_STYLES))
        assert {v.hook_style for v in vs} == set(HOOK_STYLES)
        for v in vs:
            assert v.hook and len(v.hook) <= 125
            assert "{" not in all_text(v) and "}" not in all_text(v)
            assert v.caption.startswith(v.hook)


def test_too_many_variants_is_a_clear_error() -> None:
    with pytest.raises(GenerationError, match="hook styles"):
        TemplateGenerator(1).generate(make_account(), make_post(), [OPP], len(HOOK_STYLES) + 1)
    assert TemplateGenerator(1).generate(make_account(), make_post(), [OPP], 0) == []


def test_hashtags_capped_lowercased_deduped_and_banned_filtered() -> None:
    acc = make_account(
        hashtag_cap=3, banned_words=("diet",),
        hashtags_branded=("FernwoodKitchen", "fernwoodkitchen"),
        hashtags_niche=("DietTips", "Weeknight Cooking", "#MealPrep", "explore"),
    )
    opp = Opportunity("o2", "fernwood", "lentil soup", 0.8, "x", tags=("Lentils", "dietfood"))
    for day in range(1, 8):
        for v in TemplateGenerator(day).generate(acc, make_post(f"d{day}", day), [opp], 3):
            assert 0 < len(v.hashtags) <= 3
            assert len(set(v.hashtags)) == len(v.hashtags)
            for tag in v.hashtags:
                assert tag.startswith("#") and tag == tag.lower() and " " not in tag
                assert "diet" not in tag and tag != "#explore"
            assert v.caption.rstrip().endswith(" ".join(v.hashtags))


def test_default_cap_is_five_and_opportunity_tags_used() -> None:
    acc = make_account(hashtags_niche=tuple(f"niche{i}" for i in range(10)))
    v = TemplateGenerator(2).generate(acc, make_post(), [OPP], 1)[0]
    assert len(v.hashtags) == 5
    assert "#airfryer" in v.hashtags and "#fernwoodkitchen" in v.hashtags


def test_cta_ends_caption_body_before_hashtags() -> None:
    acc = make_account(emoji="none")
    for day in range(1, 6):
        for v in TemplateGenerator(4).generate(acc, make_post(f"c{day}", day), [OPP], 4):
            blocks = v.caption.split("\n\n")
            assert blocks[-1] == " ".join(v.hashtags)
            assert blocks[-2] in acc.brand.ctas
            assert len([ln for ln in v.caption.split("\n\n")[1:-2] if ln.strip()]) >= 1


def test_caption_body_has_two_to_four_value_lines() -> None:
    acc = make_account(emoji="none")
    for v in TemplateGenerator(11).generate(acc, make_post(), [OPP], 4):
        body = v.caption.split("\n\n")[1:-2]
        lines = [ln for block in body for ln in block.split("\n") if ln.strip()]
        assert 2 <= len(lines) <= 6  # bridge/lead + 2-4 points


def _reels(acc: Account, count: int = 12):  # noqa: ANN202
    gen = TemplateGenerator(21)
    out = []
    for day in range(1, count + 1):
        out += [v for v in gen.generate(acc, make_post(f"r{day}", day % 28 + 1), [OPP], 4)
                if v.format is Format.REEL]
    return out


def test_reel_beats_timing() -> None:
    reels = _reels(make_account())
    assert reels
    for v in reels:
        beats = v.beats
        assert beats[0].role == "hook" and beats[0].start_s == 0.0 and beats[0].end_s <= 3.0
        assert beats[-1].role == "cta" and beats[-2].role == "payoff"
        for prev, cur in zip(beats, beats[1:], strict=False):
            assert cur.start_s == pytest.approx(prev.end_s) and cur.end_s > cur.start_s
        assert 15.0 <= beats[-1].end_s <= 45.0
        for b in beats:
            assert b.on_screen and b.voice_over
            words = len(b.voice_over.split())
            assert words / (b.end_s - b.start_s) <= 3.0  # ~150-180 wpm ceiling


def test_carousel_has_5_to_10_slides_and_story_1_to_3_frames() -> None:
    gen = TemplateGenerator(8)
    seen = Counter()
    for day in range(1, 21):
        for v in gen.generate(make_account(), make_post(f"k{day}", day), [OPP], 4):
            seen[v.format] += 1
            if v.format is Format.CAROUSEL:
                assert 5 <= len(v.slides) <= 10
                assert v.slides[-1] in make_account().brand.ctas
            elif v.format is Format.STORY:
                assert 1 <= len(v.slides) <= 3
            elif v.format is Format.IMAGE:
                assert not v.beats
    assert seen[Format.CAROUSEL] and seen[Format.STORY]


def test_near_duplicates_of_recent_captions_are_suppressed() -> None:
    gen = TemplateGenerator(5)
    acc, post = make_account(), make_post()
    first = gen.generate(acc, post, [OPP], 3)
    recent = [v.caption for v in first]
    again = gen.generate(acc, post, [OPP], 3, recent_captions=recent)
    assert [v.caption for v in again] != recent  # without suppression they'd be identical
    for v in again:
        assert max(jaccard(v.caption, r) for r in recent) <= 0.6


def test_seven_days_three_variants_without_duplicates() -> None:
    gen, acc = TemplateGenerator(99), make_account()
    recent: list[str] = []
    hooks: list[str] = []
    for day in range(1, 8):
        vs = gen.generate(acc, make_post(f"w{day}", day), [OPP], 3, recent_captions=recent[-60:])
        assert len(vs) == 3
        recent += [v.caption for v in vs]
        hooks += [v.hook for v in vs]
    assert len(set(recent)) == 21
    for i, a in enumerate(recent):
        for b in recent[i + 1:]:
            assert jaccard(a, b) <= 0.6


def test_no_opportunities_falls_back_to_evergreen_pillar_topics() -> None:
    acc = make_account()
    vs = TemplateGenerator(3).generate(acc, make_post(), [], 3)
    keywords = {"sheet pan dinners", "batch cooking", "knife skills"}
    for v in vs:
        assert v.trend is None and v.opportunity_id is None
        assert v.pillar in {"recipes", "kitchen tips"}
        assert any(k in v.caption.lower() for k in keywords)


def test_banned_words_and_topics_never_emitted() -> None:
    acc = make_account(banned_words=("routine", "sorted", "salmon"), banned_topics=("crypto",))
    crypto = Opportunity("o9", "fernwood", "crypto dinners", 0.99, "x")
    for day in range(1, 6):
        vs = TemplateGenerator(day).generate(acc, make_post(f"b{day}", day), [crypto, OPP], 4)
        for v in vs:
            text = all_text(v).lower()
            for word in ("routine", "sorted", "salmon", "crypto"):
                assert not re.search(rf"\b{word}\b", text), (word, text)
            assert v.opportunity_id != "o9"


def test_emoji_policy() -> None:
    none = TemplateGenerator(1).generate(make_account(emoji="none"), make_post(), [OPP], 4)
    assert all(not EMOJI_RE.search(all_text(v)) for v in none)
    light = TemplateGenerator(1).generate(make_account(emoji="light"), make_post(), [OPP], 4)
    assert all(len(EMOJI_RE.findall(v.caption)) == 1 for v in light)
    rich = TemplateGenerator(1).generate(make_account(emoji="rich"), make_post(), [OPP], 4)
    for v in rich:
        assert 2 <= len(EMOJI_RE.findall(v.caption)) <= 3
        assert all(len(EMOJI_RE.findall(line)) <= 1 for line in v.caption.split("\n"))


def test_preferences_set_score_and_bias_choices() -> None:
    acc = make_account()
    neutral = TemplateGenerator(1).generate(acc, make_post(), [OPP], 3)
    assert all(v.score == NEUTRAL_SCORE for v in neutral)
    prefs = {"format": {"reel": 0.95, "carousel": 0.05, "image": 0.05, "story": 0.05},
             "hook_style": {"listicle": 0.9}}
    firsts = Counter()
    for day in range(1, 41):
        vs = TemplateGenerator(2).generate(acc, make_post(f"q{day}", day % 28 + 1), [OPP], 2,
                                           preferences=prefs)
        firsts[vs[0].format] += 1
        for v in vs:
            expected = (prefs["format"][v.format.value]
                        + prefs["hook_style"].get(v.hook_style, NEUTRAL_SCORE)) / 2
            assert v.score == pytest.approx(expected, abs=1e-3)
    assert firsts[Format.REEL] > 20  # 0.95 vs 0.05 weights: reel should lead most posts
