"""Pure domain data: no I/O. Stages exchange these; the store persists them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .states import PostState


class Format(StrEnum):
    IMAGE = "image"
    CAROUSEL = "carousel"
    REEL = "reel"
    STORY = "story"


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class ApprovalMode(StrEnum):
    MANUAL = "manual"
    AUTO = "auto"
    AUTO_DIGEST = "auto_digest"


@dataclass(frozen=True, slots=True)
class Pillar:
    name: str
    weight: float = 1.0
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BrandProfile:
    """How the brand sounds and what it never says."""

    voice: tuple[str, ...] = ("friendly", "practical", "confident")
    audience: str = "busy people who want practical ideas"
    language: str = "en"
    do_examples: tuple[str, ...] = ()
    dont_examples: tuple[str, ...] = ()
    pillars: tuple[Pillar, ...] = (Pillar("tips", 1.0),)
    banned_words: tuple[str, ...] = ()
    banned_topics: tuple[str, ...] = ()
    ctas: tuple[str, ...] = ("Save this for later.",)
    hashtags_branded: tuple[str, ...] = ()
    hashtags_niche: tuple[str, ...] = ()
    hashtags_broad: tuple[str, ...] = ()
    hashtag_cap: int = 5
    emoji: str = "light"  # none | light | rich
    link_in_bio: str = ""
    affiliate_links: tuple[str, ...] = ()
    colors: tuple[str, ...] = ("#1f2a44", "#f2c14e", "#f7f4ea")
    font: str = ""
    disclosure_label: str = "#ad"  # first words of a sponsored caption, card and voice-over
    sponsored_pillars: tuple[str, ...] = ()  # posts in these pillars are paid partnerships
    music: str = ""  # optional music bed (audio file path) ducked under reel voice-overs


@dataclass(frozen=True, slots=True)
class PostingWindow:
    """A local time-of-day window, e.g. 07:00-09:00, in the account's time zone."""

    start: str  # "HH:MM"
    end: str  # "HH:MM"


@dataclass(frozen=True, slots=True)
class Account:
    handle: str
    ig_user_id: str = ""
    niche: str = "general"
    timezone: str = "UTC"
    brand: BrandProfile = field(default_factory=BrandProfile)
    posting_windows: tuple[PostingWindow, ...] = (
        PostingWindow("08:00", "10:00"),
        PostingWindow("12:00", "14:00"),
        PostingWindow("18:00", "21:00"),
    )
    posts_per_day: int = 1
    variants_per_day: int = 3
    approval_mode: ApprovalMode = ApprovalMode.AUTO
    auto_approve_threshold: float = 0.0
    formats: tuple[Format, ...] = (Format.IMAGE, Format.CAROUSEL, Format.REEL)
    feeds: tuple[str, ...] = ()
    hashtags_to_watch: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrendSignal:
    """One raw observation from a source (a feed item, a hashtag's media, ...)."""

    source: str
    term: str
    title: str
    observed_at: datetime
    url: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    volume: float = 1.0
    engagement: float = 0.0
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A scored, explained content idea for one account."""

    id: str
    account: str
    topic: str
    score: float
    explanation: str
    evidence: tuple[dict[str, Any], ...] = ()
    tags: tuple[str, ...] = ()
    pillar: str = ""
    freshness: float = 1.0


@dataclass(frozen=True, slots=True)
class Verdict:
    rule: str
    severity: Severity
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity.value, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Beat:
    """One timed beat of a reel script."""

    start_s: float
    end_s: float
    on_screen: str
    voice_over: str
    role: str = "body"  # hook | body | payoff | cta


@dataclass(slots=True)
class Variant:
    """One creative candidate for a post."""

    id: str
    post_id: str
    account: str
    format: Format
    hook: str
    hook_style: str
    caption: str
    hashtags: list[str]
    pillar: str = ""
    trend: str | None = None
    opportunity_id: str | None = None
    beats: list[Beat] = field(default_factory=list)
    slides: list[str] = field(default_factory=list)
    visual_prompt: str = ""
    score: float = 0.0
    verdicts: list[Verdict] = field(default_factory=list)
    chosen: bool = False
    sponsored: bool = False
    generator: str = "template"

    @property
    def blocked(self) -> bool:
        return any(v.severity is Severity.BLOCK for v in self.verdicts)


@dataclass(frozen=True, slots=True)
class Asset:
    """A rendered file, content-addressed by the hash of its bytes or render inputs."""

    sha256: str
    path: str
    mime: str
    width: int = 0
    height: int = 0
    duration_s: float = 0.0
    role: str = "main"  # main | slide | cover


@dataclass(slots=True)
class Post:
    """A calendar slot and its life: the unit that is reviewed, rendered and published."""

    id: str
    account: str
    local_date: str
    scheduled_at: datetime
    state: PostState = PostState.PLANNED
    format: Format | None = None
    variant_id: str | None = None
    container_id: str | None = None
    media_id: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PublishAttempt:
    post_id: str
    at: datetime
    outcome: str  # ok | retry | failed | recovered
    error_class: str = ""
    error_code: int | None = None
    error_subcode: int | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class MetricSnapshot:
    post_id: str
    media_id: str
    at: datetime
    age_hours: float
    metrics: dict[str, float]


@dataclass(frozen=True, slots=True)
class Decision:
    """An optimizer decision with its reason and selection probabilities."""

    account: str
    kind: str  # format | pillar | hook_style | slot_hour
    choice: str
    reason: str
    probabilities: dict[str, float]
    made_at: datetime
