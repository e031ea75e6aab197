"""Group near-duplicate signals (the same story on four feeds, #coldbrew and 'cold brew')
so that one trend becomes one opportunity, not four."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from contentloop.domain.models import TrendSignal

from .text import content_tokens, extract_terms, joined, normalize_tag


def title_tokens(signal: TrendSignal) -> frozenset[str]:
    """Content words of the title plus the signal's own term (joined, for hashtags)."""
    toks = set(content_tokens(signal.title))
    term = normalize_tag(signal.term)
    if term:
        toks.add(joined(term))
    return frozenset(toks)


def link_keys(signal: TrendSignal) -> frozenset[str]:
    """Phrases under which another signal's term can find this one: title bigrams and the
    signal's own term, joined (so the hashtag 'coldbrew' finds 'Cold brew sales ...')."""
    keys = {joined(t) for t in extract_terms(signal.title) if " " in t}
    term = term_key(signal)
    if term:
        keys.add(term)
    return frozenset(keys)


def term_key(signal: TrendSignal) -> str:
    return joined(normalize_tag(signal.term))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def cluster_signals(
    signals: Sequence[TrendSignal], threshold: float = 0.5
) -> list[list[TrendSignal]]:
    """Single-linkage clusters: two signals link if their title tokens' Jaccard similarity is
    at least `threshold`, or one's term (e.g. 'cold brew', '#coldbrew') is a phrase of the
    other's title. Incidental shared bigrams ('recipe ideas') do not link on their own.

    Deterministic: clusters and members keep input order.
    """
    n = len(signals)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    toks = [title_tokens(s) for s in signals]
    keys = [link_keys(s) for s in signals]
    by_key: dict[str, list[int]] = defaultdict(list)
    by_token: dict[str, list[int]] = defaultdict(list)
    for i in range(n):
        for k in keys[i]:
            by_key[k].append(i)
        for t in toks[i]:
            by_token[t].append(i)
    for i, signal in enumerate(signals):
        for j in by_key.get(term_key(signal), ()):
            union(i, j)
    for i in range(n):
        candidates = {j for t in toks[i] for j in by_token[t] if j > i}
        for j in candidates:
            if find(i) != find(j) and jaccard(toks[i], toks[j]) >= threshold:
                union(i, j)
    groups: dict[int, list[TrendSignal]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(signals[i])
    return list(groups.values())
