"""Is a trend or tag about this account? Token and compound matching, no model.

Feed categories and co-occurring hashtags drift (#catsofinstagram on a coffee post); a tag or
topic is used only when it shares a word stem with the account's niche, pillars, keywords and
hashtag sets, or with the trend's own topic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from contentloop.domain import Account

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset({
    "a", "an", "and", "at", "for", "in", "of", "on", "the", "to", "with", "my", "your", "our",
    "home", "busy", "people", "beginner", "tip", "idea", "daily", "life", "love", "best", "new",
    "everyday", "general", "who", "want", "without", "fuss",
})


def stem(word: str) -> str:
    w = word.lower()
    for suffix in ("ing", "es", "ed", "s", "e"):
        if len(w) > 4 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def compact(text: str) -> str:
    return "".join(_WORD.findall(text.lower()))


def vocabulary(account: Account) -> frozenset[str]:
    """Stems and whole hashtag bodies that say what the account is about."""
    brand = account.brand
    parts: list[str] = [account.niche]
    for p in brand.pillars:
        parts += [p.name, *p.keywords]
    parts += [*account.hashtags_to_watch]
    words = {stem(w) for t in parts for w in _WORD.findall(t.lower())}
    tags = {compact(t) for t in (*brand.hashtags_niche, *brand.hashtags_broad,
                                 *brand.hashtags_branded, *account.hashtags_to_watch)}
    return frozenset(w for w in words | tags if w and w not in _STOP and len(w) > 1)


def is_relevant(text: str, vocab: Iterable[str]) -> bool:
    """True when `text` (a topic or tag) shares a stem or a compound with `vocab`."""
    vocab = set(vocab)
    tokens = {stem(w) for w in _WORD.findall(text.lower())} - _STOP
    if tokens & vocab:
        return True
    flat = compact(text)
    if len(flat) < 3:
        return False
    return any(len(v) >= 5 and (v in flat or (len(flat) >= 5 and flat in v)) for v in vocab)


def topic_vocabulary(topic: str) -> frozenset[str]:
    words = {stem(w) for w in _WORD.findall(topic.lower())} - _STOP
    return frozenset(words | {compact(topic)})


__all__ = ["compact", "is_relevant", "stem", "topic_vocabulary", "vocabulary"]
