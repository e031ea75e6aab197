"""Text helpers for rules: what a variant says, hashtags, mentions, shingle similarity.

Kept separate from `creative` on purpose: stages do not import each other's internals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from contentloop.domain import Variant

HASHTAG_RE = re.compile(r"(?<![\w&])#(\w+)", re.UNICODE)
MENTION_RE = re.compile(r"(?<![\w.@])@([A-Za-z0-9._]{1,30})")


def all_text(v: Variant) -> str:
    """Everything the audience could read or hear, in one string."""
    parts = [v.hook, v.caption, *v.slides, *v.hashtags]
    for b in v.beats:
        parts += [b.on_screen, b.voice_over]
    return "\n".join(p for p in parts if p)


def hashtags_of(v: Variant) -> list[str]:
    """Tags in the caption plus the variant's tag list, normalised and deduplicated."""
    tags = [f"#{t.lower()}" for t in HASHTAG_RE.findall(v.caption)]
    tags += [t.lower() if t.startswith("#") else f"#{t.lower()}" for t in v.hashtags]
    return list(dict.fromkeys(tags))


def word_re(phrase: str) -> re.Pattern[str]:
    """Case-insensitive, whole-word match; inner spaces match any whitespace."""
    body = r"\s+".join(re.escape(p) for p in phrase.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def find_phrases(text: str, phrases: Iterable[str]) -> list[str]:
    return [p for p in phrases if p.strip() and word_re(p).search(text)]


