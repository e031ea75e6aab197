"""The simulator's records: accounts, tokens, containers, media, comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .audience import PostFeatures

TS_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"


def ts(dt: datetime) -> str:
    return dt.strftime(TS_FORMAT)


@dataclass
class SimAccount:
    ig_user_id: str
    username: str
    followers_base: int
    timezone: str = "UTC"
    name: str = ""
    biography: str = ""
    website: str = ""
    app_scoped_id: str = ""
    synthetic: bool = False  # a discovered competitor, not an account we hold tokens for
    publish_log: list[datetime] = field(default_factory=list)
    container_log: list[datetime] = field(default_factory=list)
    hashtag_queries: dict[str, datetime] = field(default_factory=dict)
    follows_count: int = 300


@dataclass
class Token:
    value: str
    ig_user_id: str
    issued_at: datetime
    expires_at: datetime | None
    kind: str = "USER"
    scopes: tuple[str, ...] = ()
    long_lived: bool = True


@dataclass
class Container:
    id: str
    owner: str
    media_type: str  # IMAGE | VIDEO | CAROUSEL | REELS | STORIES
    created_at: datetime
    params: dict[str, Any]
    is_carousel_item: bool = False
    children: list[str] = field(default_factory=list)
    polls: int = 0
    polls_needed: int = 0
    fail_subcode: int | None = None
    fail_reason: str = ""
    published_media_id: str | None = None
    awaiting_upload: bool = False
    duration_s: float = 0.0
    media_url: str = ""

    @property
    def is_video(self) -> bool:
        return self.media_type in ("VIDEO", "REELS") or (
            self.media_type == "STORIES" and bool(self.params.get("video_url"))
        ) or (self.awaiting_upload and self.media_type != "IMAGE")


@dataclass
class Media:
    id: str
    owner: str
    container_id: str
    media_type: str  # IMAGE | VIDEO | CAROUSEL_ALBUM
    product_type: str  # FEED | REELS | STORY
    caption: str
    timestamp: datetime
    media_url: str
    shortcode: str
    features: PostFeatures | None = None
    lifetime: dict[str, float] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    parent_id: str | None = None
    thumbnail_url: str = ""
    comment_enabled: bool = True

    @property
    def permalink(self) -> str:
        if self.product_type == "STORY":
            return f"https://www.instagram.com/stories/{self.owner}/{self.id}/"
        kind = "reel" if self.product_type == "REELS" else "p"
        return f"https://www.instagram.com/{kind}/{self.shortcode}/"


@dataclass
class Comment:
    id: str
    media_id: str
    text: str
    username: str
    user_id: str
    timestamp: datetime
    parent_id: str | None = None
    hidden: bool = False
    like_count: int = 0
