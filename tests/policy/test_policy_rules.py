"""Each policy rule: one passing and one failing case; the guard; approval; check_json."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contentloop.creative import TemplateGenerator
from contentloop.domain import (
    Account,
    ApprovalMode,
    Beat,
    BrandProfile,
    ConfigError,
    Format,
    Opportunity,
    Pillar,
    Post,
    Severity,
    Variant,
    Verdict,
)
from contentloop.policy import (
    AWAITING_HUMAN,
    BannedTopicsRule,
    BannedWordsRule,
    CaptionLengthRule,
    CarouselSlidesRule,
    DisclosureRule,
    Guard,
    HashtagLimitRule,
    HookLengthRule,
    MentionLimitRule,
    NearDuplicateRule,
    PersonalDataRule,
    PolicyInputError,
    ProfanityRule,
    ReelDurationRule,
    RegexRule,
    SensitiveClaimsRule,
    approve_decision,
    check_json,
    platform_rules,
)

ACC = Account("fernwood", brand=BrandProfile(
    banned_words=("artisanal",), banned_topics=("politics",),
    affiliate_links=("https://shop.example/fern",), hashtag_cap=5,
))
CLEAN = ("Saturday's rye comes out at 7:40. By 8:30 it's usually gone.\n\n"
         "Pre-orders close Friday at 6 pm.\n\nSave this for Friday.")


def variant(caption: str = CLEAN, **kw: object) -> Variant:
    base: dict[str, object] = dict(
        id="v1", post_id="p1", account="fernwood", format=Format.IMAGE,
        hook=caption.split("\n", 1)[0], hook_style="story", caption=caption, hashtags=[],
    )
    base.update(kw)
    return Variant(**base)  # type: ignore[arg-type]


def ids(verdicts: list[Verdict]) -> list[tuple[str, Severity]]:
    return [(v.rule, v.severity) for v in verdicts]


def reel_beats(total: float) -> list[Beat]:
    return [Beat(0.0, min(2.0, total / 2), "hook", "hook", "hook"),
            Beat(min(2.0, total / 2), total, "cta", "cta", "cta")]


@pytest.mark.parametrize(
    ("rule", "good", "bad", "severity"),
    [
        (CaptionLengthRule(), variant(), variant("x" * 2201), Severity.BLOCK),
        (HashtagLimitRule(), variant(hashtags=["#a", "#b"]),
         variant(CLEAN + "\n\n" + " ".join(f"#t{i}" for i in range(31))), Severity.BLOCK),
        (HashtagLimitRule(), variant(hashtags=[f"#t{i}" for i in range(5)]),
         variant(hashtags=[f"#t{i}" for i in range(6)]), Severity.WARN),
        (MentionLimitRule(), variant(CLEAN + " @alice @bob"),
         variant(" ".join(f"@user{i}" for i in range(21))), Severity.BLOCK),
        (CarouselSlidesRule(), variant(format=Format.CAROUSEL, slides=["a", "b"]),
         variant(format=Format.CAROUSEL, slides=["a"] * 11), Severity.BLOCK),
        (ReelDurationRule(), variant(format=Format.REEL, beats=reel_beats(30.0)),
         variant(format=Format.REEL, beats=reel_beats(2.0)), Severity.BLOCK),
        (ReelDurationRule(), variant(format=Format.REEL, beats=reel_beats(900.0)),
         variant(format=Format.REEL, beats=reel_beats(901.0)), Severity.BLOCK),
        (BannedWordsRule(), variant(), variant(CLEAN + " Our Artisanal rye."), Severity.BLOCK),
        (BannedTopicsRule(), variant(), variant(trend="local politics"), Severity.BLOCK),
        (DisclosureRule(), variant("#ad Our partner's flour.", sponsored=True),
         variant("Our partner's flour.", sponsored=True), Severity.BLOCK),
        (DisclosureRule(), variant("Ad: the flour we use https://shop.example/fern"),
         variant("The flour we use https://shop.example/fern"), Severity.BLOCK),
        (DisclosureRule(), variant("Paid partnership with Mill Co. https://amzn.to/abc"),
         variant("Get it here https://amzn.to/abc"), Severity.BLOCK),
        (DisclosureRule(), variant("#sponsored " + CLEAN, sponsored=True),
         variant(CLEAN + "\n\n" + "x" * 120 + " #ad", sponsored=True), Severity.WARN),
        (SensitiveClaimsRule(),
         variant("Guaranteed returns? No. For education only, not financial advice."),
         variant("Guaranteed to cure your bloating."), Severity.WARN),
        (SensitiveClaimsRule(), variant("We treat every loaf with care."),
         variant("The easiest way to get rich with sourdough."), Severity.WARN),
        (PersonalDataRule(), variant("Open 7:40-14:00, loaf £5.20, since 2019."),
         variant("Questions? Mail anna.baker@example.com"), Severity.BLOCK),
        (PersonalDataRule(), variant("Call us any time, 36-hour ferment."),
         variant("Call +44 113 496 0123 to order"), Severity.BLOCK),
        (ProfanityRule(), variant("Shiitake and leek tart, Scunthorpe style."),
         variant("This rye is the shit."), Severity.BLOCK),
        (NearDuplicateRule(recent_captions=("A totally different post about cakes and tea.",)),
         variant(), variant(), Severity.WARN),
        (HookLengthRule(), variant(), variant("y " * 70), Severity.WARN),
    ],
)
def test_rule_pass_and_fail(rule, good: Variant, bad: Variant, severity: Severity) -> None:  # noqa: ANN001
    if isinstance(rule, NearDuplicateRule):
        bad_rule = NearDuplicateRule(recent_captions=(CLEAN + " Thanks!",))
        assert rule.check(good, ACC) == []
        assert ids(bad_rule.check(bad, ACC)) == [("near_duplicate", Severity.WARN)]
        return
    assert rule.check(good, ACC) == []
    verdicts = rule.check(bad, ACC)
    assert verdicts and all(v.rule == rule.id and v.severity is severity for v in verdicts)
    assert all(v.reason for v in verdicts)


def test_reel_without_beats_warns() -> None:
    assert ids(ReelDurationRule().check(variant(format=Format.REEL), ACC)) == [
        ("reel_duration", Severity.WARN)]


def test_regex_rule_from_config_pass_fail_and_errors() -> None:
    rule = RegexRule.from_config({"id": "no_discount", "pattern": r"\d+\s*% off",
                                  "severity": "block", "reason": "no discounts on grid posts"})
    assert rule.check(variant(), ACC) == []
    assert rule.check(variant("Today only: 20 % off rye"), ACC) == [
        Verdict("no_discount", Severity.BLOCK, "no discounts on grid posts")]
    with pytest.raises(ConfigError, match="pattern"):
        RegexRule.from_config({"id": "x", "pattern": "(unclosed"})
    with pytest.raises(ConfigError, match="severity"):
        RegexRule.from_config({"id": "x", "pattern": "a", "severity": "fatal"})
    with pytest.raises(ConfigError):
        RegexRule.from_config({"pattern": "a"})


def test_guard_default_runs_everything_including_custom_rules() -> None:
    guard = Guard.default(ACC, recent_captions=[CLEAN],
                          extra_regex_rules=[{"id": "no_tuesday", "pattern": "tuesday",
                                              "severity": "warn", "reason": "closed Tuesdays"}])
    assert ids(guard.review(variant("Fresh bagels every morning from 7."), ACC)) == []
    bad = variant(CLEAN + "\nTuesday special, artisanal and f***? no: fucking good. "
                          "Email me@x.io", sponsored=True)
    rules = {r for r, _ in ids(guard.review(bad, ACC))}
    assert {"near_duplicate", "no_tuesday", "banned_words", "profanity", "personal_data",
            "disclosure"} <= rules
    with pytest.raises(ValueError, match="unique"):
        Guard([HookLengthRule(), HookLengthRule()])


def _scored(vid: str, score: float, verdicts: list[Verdict]) -> Variant:
    return variant(id=vid, score=score, verdicts=verdicts)


WARN = Verdict("hook_length", Severity.WARN, "long")
BLOCK = Verdict("profanity", Severity.BLOCK, "bad")


def test_approve_decision_modes() -> None:
    vs = [_scored("a", 0.9, [BLOCK]), _scored("b", 0.8, [WARN]), _scored("c", 0.6, []),
          _scored("d", 0.4, [])]
    auto = replace(ACC, approval_mode=ApprovalMode.AUTO, auto_approve_threshold=0.5)
    chosen, reason = approve_decision(vs, auto)
    assert chosen is not None and chosen.id == "c" and "c" in reason
    high = replace(auto, auto_approve_threshold=0.7)
    chosen, reason = approve_decision(vs, high)
    assert chosen is None
    assert "a blocked by profanity" in reason and "b needs review" in reason
    assert "threshold" in reason
    digest = replace(ACC, approval_mode=ApprovalMode.AUTO_DIGEST)
    chosen, _ = approve_decision(vs, digest)
    assert chosen is not None and chosen.id == "b"
    manual = replace(ACC, approval_mode=ApprovalMode.MANUAL)
    assert approve_decision(vs, manual) == (None, AWAITING_HUMAN)
    assert approve_decision([], auto)[0] is None


def test_guard_decide_reviews_then_chooses() -> None:
    acc = replace(ACC, approval_mode=ApprovalMode.AUTO)
    vs = [variant("This rye is the shit.", id="x", score=0.9), variant(id="y", score=0.5)]
    chosen, _ = Guard.default(acc).decide(vs, acc)
    assert chosen is not None and chosen.id == "y"
    assert vs[0].blocked and not vs[1].verdicts


def test_check_json() -> None:
    assert check_json({"caption": CLEAN, "hashtags": ["#rye"], "format": "image"}, ACC) == []
    verdicts = check_json({"caption": "Our partner's flour", "hashtags": "#a #b #c #d #e #f",
                           "format": "carousel", "sponsored": True}, ACC)
    assert {("disclosure", Severity.BLOCK), ("hashtag_limit", Severity.WARN),
            ("carousel_slides", Severity.BLOCK)} <= set(ids(verdicts))
    with pytest.raises(PolicyInputError, match="caption"):
        check_json({"hashtags": []}, ACC)
    with pytest.raises(PolicyInputError, match="format"):
        check_json({"caption": "x", "format": "tiktok"}, ACC)


GEN_ACCOUNT = Account(
    "gen", niche="fitness",
    brand=BrandProfile(pillars=(Pillar("training", 1.0, ("kettlebell swings", "mobility")),),
                       hashtags_niche=tuple(f"Tag{i}" for i in range(40))),
    formats=(Format.REEL, Format.CAROUSEL, Format.IMAGE, Format.STORY),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    post_id=st.text("abcdefgh0123456789-", min_size=1, max_size=12),
    n=st.integers(1, 6),
    cap=st.integers(0, 40),
    topic=st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")),
                  min_size=1, max_size=300),
    formats=st.lists(st.sampled_from(list(Format)), min_size=1, max_size=4, unique=True),
    use_opp=st.booleans(),
)
def test_generated_variants_always_pass_platform_limits(
    seed: int, post_id: str, n: int, cap: int, topic: str, formats: list[Format], use_opp: bool,
) -> None:
    acc = replace(GEN_ACCOUNT, formats=tuple(formats),
                  brand=replace(GEN_ACCOUNT.brand, hashtag_cap=cap))
    post = Post(post_id, "gen", "2025-03-01", datetime(2025, 3, 1, tzinfo=UTC))
    opps = [Opportunity("o", "gen", topic, 0.5, "x", tags=("Strength", "Kettlebell"),
                        evidence=({"title": topic, "source": "feed"},))] if use_opp else []
    rules = platform_rules() + [HookLengthRule()]
    for v in TemplateGenerator(seed).generate(acc, post, opps, n):
        verdicts = [x for r in rules for x in r.check(v, acc)]
        assert verdicts == [], (v.format, verdicts)
