"""Policy rules. Each has an id, a severity (its worst outcome) and a `check`.

A rule returns one `Verdict` per problem it finds, with a reason a person can act on;
an empty list means the variant passes that rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from contentloop.domain import Account, ConfigError, Format, Severity, Variant, Verdict

from ..domain.similarity import jaccard
from .text import MENTION_RE, all_text, find_phrases, hashtags_of

CAPTION_MAX = 2200
HASHTAG_MAX = 30
MENTION_MAX = 20
CAROUSEL_MIN, CAROUSEL_MAX = 2, 10
REEL_MIN_S, REEL_MAX_S = 3.0, 15 * 60.0
HOOK_MAX = 125
DUPLICATE_THRESHOLD = 0.6


@runtime_checkable
class Rule(Protocol):
    id: str
    severity: Severity

    def check(self, variant: Variant, account: Account) -> list[Verdict]: ...


def _v(rule: Rule, reason: str, severity: Severity | None = None) -> Verdict:
    return Verdict(rule.id, severity or rule.severity, reason)


# ------------------------------------------------------------- platform limits
@dataclass(slots=True)
class CaptionLengthRule:
    id: str = "caption_length"
    severity: Severity = Severity.BLOCK
    limit: int = CAPTION_MAX

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        n = len(variant.caption)
        if n <= self.limit:
            return []
        return [_v(self, f"caption is {n} characters; Instagram allows {self.limit}. "
                         f"Cut {n - self.limit}.")]


@dataclass(slots=True)
class HashtagLimitRule:
    """Block above the platform's 30; warn above the brand's own cap (default 5)."""

    id: str = "hashtag_limit"
    severity: Severity = Severity.BLOCK
    limit: int = HASHTAG_MAX

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        n = len(hashtags_of(variant))
        if n > self.limit:
            return [_v(self, f"{n} hashtags; Instagram allows at most {self.limit}.")]
        cap = account.brand.hashtag_cap
        if n > cap:
            return [_v(self, f"{n} hashtags; the brand's cap is {cap}. Keep the {cap} most "
                             "specific.", Severity.WARN)]
        return []


@dataclass(slots=True)
class MentionLimitRule:
    id: str = "mention_limit"
    severity: Severity = Severity.BLOCK
    limit: int = MENTION_MAX

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        n = len(set(m.lower() for m in MENTION_RE.findall(variant.caption)))
        if n <= self.limit:
            return []
        return [_v(self, f"{n} @mentions; Instagram allows at most {self.limit}.")]


@dataclass(slots=True)
class CarouselSlidesRule:
    id: str = "carousel_slides"
    severity: Severity = Severity.BLOCK
    low: int = CAROUSEL_MIN
    high: int = CAROUSEL_MAX

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        if variant.format is not Format.CAROUSEL:
            return []
        n = len(variant.slides)
        if self.low <= n <= self.high:
            return []
        return [_v(self, f"carousel has {n} slides; the publishing API accepts "
                         f"{self.low}-{self.high}.")]


@dataclass(slots=True)
class ReelDurationRule:
    id: str = "reel_duration"
    severity: Severity = Severity.BLOCK
    low_s: float = REEL_MIN_S
    high_s: float = REEL_MAX_S

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        if variant.format is not Format.REEL:
            return []
        if not variant.beats:
            return [_v(self, "reel has no timed script (beats); its length cannot be checked "
                             "before render.", Severity.WARN)]
        total = max(b.end_s for b in variant.beats) - min(b.start_s for b in variant.beats)
        if self.low_s <= total <= self.high_s:
            return []
        return [_v(self, f"reel script runs {total:.1f} s; reels must be "
                         f"{self.low_s:g} s to {self.high_s / 60:g} min.")]


def platform_rules() -> list[Rule]:
    """Hard limits of the Instagram publishing API."""
    return [CaptionLengthRule(), HashtagLimitRule(), MentionLimitRule(), CarouselSlidesRule(),
            ReelDurationRule()]


# ------------------------------------------------------------------- brand
@dataclass(slots=True)
class BannedWordsRule:
    id: str = "banned_words"
    severity: Severity = Severity.BLOCK

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        hits = find_phrases(all_text(variant), account.brand.banned_words)
        return [_v(self, f"uses the brand's banned word {w!r}; rephrase without it.")
                for w in hits]


@dataclass(slots=True)
class BannedTopicsRule:
    id: str = "banned_topics"
    severity: Severity = Severity.BLOCK

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        text = all_text(variant) + "\n" + (variant.trend or "")
        hits = find_phrases(text, account.brand.banned_topics)
        return [_v(self, f"touches the banned topic {t!r}; this brand does not post about it.")
                for t in hits]


# -------------------------------------------------------------- disclosure
_DISCLOSURE = re.compile(
    r"(?<!\w)#(ad|ads|advert|advertisement|sponsored|paidpartnership)(?!\w)"
    r"|(?im:^\s*ad\s*[:–-])|\bpaid[\s-]partnership\b|\badvertisement\b|\bsponsored\s+by\b",
    re.IGNORECASE,
)
_AFFILIATE = re.compile(
    r"\bamzn\.to/|\bamazon\.[a-z.]+/\S*[?&]tag=|[?&](ref|aff|affid|affiliate|tag)=\S"
    r"|\baffiliate\s+link\b|\bshareasale\.com|\bawin1\.com|\bclick\.linksynergy\.com",
    re.IGNORECASE,
)


@dataclass(slots=True)
class DisclosureRule:
    """Paid or affiliate content must say so, up front (FTC, ASA/CMA)."""

    id: str = "disclosure"
    severity: Severity = Severity.BLOCK

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        caption = variant.caption
        affiliate = bool(_AFFILIATE.search(caption)) or any(
            link.strip() and link.strip() in caption for link in account.brand.affiliate_links
        )
        if not (variant.sponsored or affiliate):
            return []
        why = "sponsored" if variant.sponsored else "contains an affiliate link"
        found = _DISCLOSURE.search(caption)
        if not found:
            return [_v(self, f"variant is {why} but has no disclosure; start the caption with "
                             "'#ad' or 'Paid partnership with <brand>'.")]
        if found.start() > 125:
            return [_v(self, "disclosure sits below the fold; move '#ad' into the first line.",
                       Severity.WARN)]
        return []


# ------------------------------------------------------------------ claims
SENSITIVE_TRIGGERS: tuple[str, ...] = (
    "guaranteed", "guarantee", "cure", "cures", "cured", "heal", "heals", "treat anxiety",
    "get rich", "risk-free", "risk free", "can't lose", "passive income", "double your money",
    "financial freedom", "guaranteed returns", "burn fat", "fat burning", "detox",
    "boost immunity", "clinically proven", "doctor recommended", "doctor-recommended",
    "scientifically proven", "lose weight fast", "miracle",
)
DISCLAIMERS: tuple[str, ...] = (
    "not medical advice", "not financial advice", "not personal financial advice",
    "for education only", "for educational purposes", "talk to a doctor", "consult a doctor",
    "consult your doctor", "investments can go down", "results vary", "results may vary",
    "capital at risk",
)


@dataclass(slots=True)
class SensitiveClaimsRule:
    """Health and money claims go to a human unless a disclaimer qualifies them."""

    id: str = "sensitive_claims"
    severity: Severity = Severity.WARN
    triggers: tuple[str, ...] = SENSITIVE_TRIGGERS
    disclaimers: tuple[str, ...] = DISCLAIMERS

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        text = all_text(variant)
        hits = find_phrases(text, self.triggers)
        if not hits or find_phrases(text, self.disclaimers):
            return []
        return [_v(self, f"sensitive claim ({', '.join(sorted(set(hits)))}) needs human review "
                         "or a disclaimer such as 'Not medical/financial advice'.")]


# ------------------------------------------------------------ personal data
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w/])\+?\(?\d[\d\s().-]{7,}\d(?![\w/])")


@dataclass(slots=True)
class PersonalDataRule:
    id: str = "personal_data"
    severity: Severity = Severity.BLOCK

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        text = all_text(variant)
        out: list[Verdict] = []
        if _EMAIL.search(text):
            out.append(_v(self, "contains an email address; remove it (personal data)."))
        for m in _PHONE.finditer(text):
            digits = sum(c.isdigit() for c in m.group())
            if 9 <= digits <= 15:
                out.append(_v(self, "contains what looks like a phone number; remove it "
                                    "(personal data)."))
                break
        return out


# --------------------------------------------------------------- profanity
PROFANITY: tuple[str, ...] = (
    "fuck", "fucks", "fucked", "fucking", "fucker", "motherfucker", "shit", "shits", "shitty",
    "bullshit", "bitch", "bitches", "bastard", "asshole", "arsehole", "cunt", "dickhead",
    "wanker", "twat", "piss off", "goddamn",
)


@dataclass(slots=True)
class ProfanityRule:
    id: str = "profanity"
    severity: Severity = Severity.BLOCK
    words: tuple[str, ...] = PROFANITY

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        hits = find_phrases(all_text(variant), self.words)
        if not hits:
            return []
        return [_v(self, f"contains profanity ({len(hits)} word(s)); keep the copy clean.")]


# ---------------------------------------------------------- quality checks
@dataclass(slots=True)
class NearDuplicateRule:
    id: str = "near_duplicate"
    severity: Severity = Severity.WARN
    recent_captions: Sequence[str] = ()
    threshold: float = DUPLICATE_THRESHOLD

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        best = max((jaccard(variant.caption, c) for c in self.recent_captions), default=0.0)
        if best <= self.threshold:
            return []
        return [_v(self, f"caption is {best:.0%} similar to a recent caption; "
                         "vary the hook and body.")]


@dataclass(slots=True)
class HookLengthRule:
    id: str = "hook_length"
    severity: Severity = Severity.WARN
    limit: int = HOOK_MAX

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        hook = variant.hook or variant.caption.split("\n", 1)[0]
        if len(hook) <= self.limit:
            return []
        return [_v(self, f"hook is {len(hook)} characters; the feed shows about {self.limit} "
                         "before 'more'.")]


# ------------------------------------------------------------- user regex
@dataclass(slots=True)
class RegexRule:
    """A rule from config: block or warn when `pattern` matches anything the post says."""

    id: str
    pattern: str
    severity: Severity
    reason: str
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            self._compiled = re.compile(self.pattern, re.IGNORECASE)
        except re.error as e:
            raise ConfigError(f"policy.rules[{self.id}].pattern", self.pattern,
                              f"a valid regular expression ({e})") from e

    def check(self, variant: Variant, account: Account) -> list[Verdict]:
        if self._compiled.search(all_text(variant)):
            return [_v(self, self.reason)]
        return []

    @classmethod
    def from_config(cls, item: Mapping[str, object]) -> RegexRule:
        """Build from {"id", "pattern", "severity": "block"|"warn", "reason"}."""
        missing = [k for k in ("id", "pattern") if not item.get(k)]
        if missing:
            raise ConfigError(f"policy.rules.{missing[0]}", item.get(missing[0]),
                              "a non-empty string")
        rid = str(item["id"])
        raw_sev = str(item.get("severity", "warn")).lower()
        try:
            severity = Severity(raw_sev)
        except ValueError as e:
            raise ConfigError(f"policy.rules[{rid}].severity", raw_sev, "'block' or 'warn'") from e
        reason = str(item.get("reason") or f"matches the custom rule {rid!r}")
        return cls(rid, str(item["pattern"]), severity, reason)


def regex_rules(items: Iterable[Mapping[str, object] | RegexRule]) -> list[Rule]:
    return [i if isinstance(i, RegexRule) else RegexRule.from_config(i) for i in items]


def default_rules(recent_captions: Sequence[str] = ()) -> list[Rule]:
    return [
        *platform_rules(), BannedWordsRule(), BannedTopicsRule(), DisclosureRule(),
        SensitiveClaimsRule(), PersonalDataRule(), ProfanityRule(),
        NearDuplicateRule(recent_captions=tuple(recent_captions)), HookLengthRule(),
    ]


__all__ = [
    "Rule", "CaptionLengthRule", "HashtagLimitRule", "MentionLimitRule", "CarouselSlidesRule",
    "ReelDurationRule", "BannedWordsRule", "BannedTopicsRule", "DisclosureRule",
    "SensitiveClaimsRule", "PersonalDataRule", "ProfanityRule", "NearDuplicateRule",
    "HookLengthRule", "RegexRule", "platform_rules", "default_rules", "regex_rules",
]
