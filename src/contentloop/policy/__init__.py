"""policy stage: rules with ids and severities, the guard, and the approval decision."""

from .guard import AWAITING_HUMAN, Guard, approve_decision
from .jsoncheck import PolicyInputError, check_json
from .rules import (
    BannedTopicsRule,
    BannedWordsRule,
    CaptionLengthRule,
    CarouselSlidesRule,
    DisclosureRule,
    HashtagLimitRule,
    HookLengthRule,
    MentionLimitRule,
    NearDuplicateRule,
    PersonalDataRule,
    ProfanityRule,
    ReelDurationRule,
    RegexRule,
    Rule,
    SensitiveClaimsRule,
    default_rules,
    platform_rules,
    regex_rules,
)
from .rules_extra import (
    DEFAULT_TRADEMARKS,
    ReadabilityRule,
    SongLyricsRule,
    TrademarkRule,
    readability,
)
from .settings import PolicySettings

__all__ = [
    "AWAITING_HUMAN", "BannedTopicsRule", "BannedWordsRule", "CaptionLengthRule",
    "CarouselSlidesRule", "DisclosureRule", "Guard", "HashtagLimitRule", "HookLengthRule",
    "MentionLimitRule", "NearDuplicateRule", "PersonalDataRule", "PolicyInputError",
    "ProfanityRule", "ReelDurationRule", "RegexRule", "Rule", "SensitiveClaimsRule",
    "approve_decision", "check_json", "default_rules", "platform_rules", "regex_rules",
    "DEFAULT_TRADEMARKS", "PolicySettings", "ReadabilityRule", "SongLyricsRule", "TrademarkRule",
    "readability",
]
