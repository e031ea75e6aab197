"""Small text helpers shared by the template engine: slots, banned words, emoji."""

from __future__ import annotations

import re
from collections.abc import Iterable

_STOP_TAIL = {"for", "of", "to", "and", "the", "a", "an", "with", "in", "on", "at", "your", "my"}


def cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def clean_topic(raw: str) -> str:
    topic = re.sub(r"\s+", " ", raw).strip().strip(".!?:;,-")
    # Headline-style topics ("Air Fryer Salmon") read oddly mid-sentence; keep acronyms.
    words = topic.split()
    if len(words) > 1 and all(w[:1].isupper() for w in words):
        words = [w if w.isupper() else w.lower() for w in words]
    return " ".join(words)


def short_topic(topic: str, max_words: int = 3) -> str:
    """A screen-sized form of the topic: at most `max_words`, no dangling 'for'/'of'."""
    words = topic.split()[:max_words]
    while len(words) > 1 and words[-1].lower() in _STOP_TAIL:
        words.pop()
    return " ".join(words)


def truncate_words(text: str, max_words: int) -> str:
    words = text.split()
    return text if len(words) <= max_words else " ".join(words[:max_words]) + "…"


def word_count(text: str) -> int:
    return len(re.findall(r"[\w'’-]+", text))


def _word_re(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word.strip())}(?!\w)", re.IGNORECASE)


def contains_any(text: str, words: Iterable[str]) -> bool:
    return any(w.strip() and _word_re(w).search(text) for w in words)


def scrub(text: str, words: Iterable[str]) -> str:
    """Last resort: drop banned words and tidy the spacing they leave behind."""
    for w in words:
        if w.strip():
            text = _word_re(w).sub("", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return re.sub(r" +([.,!?:;])", r"\1", text).strip()
