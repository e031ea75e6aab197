"""Word-shingle similarity of captions (pure): the generator keeps new captions away from
recent ones, and the policy guard flags near-duplicates, with the same measure."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9']+")


def body_text(caption: str) -> str:
    """The caption without its hashtags, so shared tag blocks do not count as copying."""
    return " ".join(tok for tok in caption.split() if not tok.startswith("#"))


def shingles(text: str, k: int = 3) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(body_text(text).lower())
    if len(words) < k:
        return frozenset({tuple(words)}) if words else frozenset()
    return frozenset(tuple(words[i : i + k]) for i in range(len(words) - k + 1))


def jaccard(a: str, b: str, k: int = 3) -> float:
    sa, sb = shingles(a, k), shingles(b, k)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def max_similarity(text: str, others: Iterable[str], k: int = 3) -> float:
    return max((jaccard(text, o, k) for o in others), default=0.0)
