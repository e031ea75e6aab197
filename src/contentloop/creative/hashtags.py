"""Hashtag selection: few, specific, on-brand tags (Instagram now caps posts at 5)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence

from contentloop.domain import BrandProfile

from .relevance import is_relevant
from .templates import GENERIC_HASHTAGS

PLATFORM_HASHTAG_MAX = 30
_NON_TAG = re.compile(r"[^\w]+", re.UNICODE)


def normalize_tag(raw: str) -> str:
    """'#Sheet Pan-Dinners' -> '#sheetpandinners'; '' when nothing usable is left."""
    body = _NON_TAG.sub("", raw.strip().lstrip("#").lower())
    return f"#{body}" if body else ""


def _is_banned(tag: str, banned: Iterable[str]) -> bool:
    body = tag.lstrip("#")
    for word in banned:
        w = _NON_TAG.sub("", word.lower())
        if w and w in body:
            return True
    return False


def pick_hashtags(
    brand: BrandProfile,
    opportunity_tags: Sequence[str],
    rng: random.Random,
    *,
    extra_banned: Iterable[str] = (),
    relevant_to: Iterable[str] | None = None,
) -> list[str]:
    """Branded first, then the trend's own tags, then niche, then broad; rotated by `rng`."""
    cap = max(0, min(brand.hashtag_cap, PLATFORM_HASHTAG_MAX))
    if cap == 0:
        return []
    banned = tuple(brand.banned_words) + tuple(brand.banned_topics) + tuple(extra_banned)
    if relevant_to is not None:  # the trend's tags must be about this post or account
        vocab = frozenset(relevant_to)
        opportunity_tags = [t for t in opportunity_tags if is_relevant(t, vocab)]
    niche = list(brand.hashtags_niche)
    broad = list(brand.hashtags_broad)
    rng.shuffle(niche)
    rng.shuffle(broad)
    # A preferred order (1 branded, 2 specific, 2 niche, 1 broad), then whatever is left.
    ordered = (
        list(brand.hashtags_branded[:1]) + list(opportunity_tags[:2]) + niche[:2] + broad[:1]
        + list(brand.hashtags_branded[1:]) + list(opportunity_tags[2:]) + niche[2:] + broad[1:]
    )
    out: list[str] = []
    for raw in ordered:
        tag = normalize_tag(raw)
        if not tag or tag in out or tag[1:] in GENERIC_HASHTAGS or _is_banned(tag, banned):
            continue
        out.append(tag)
        if len(out) >= cap:
            break
    return out
