"""Group near-duplicate signals (the same story on four feeds, #coldbrew and 'cold brew')
so that one trend becomes one opportunity, not four."""

from __future__ import annotations

import math
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
    # every signal whose term is k links to every signal under key k (its own included):
    # one chain per distinct term gives the same components in linear time
    for key in dict.fromkeys(term_key(s) for s in signals):
        members = by_key.get(key, [])
        for j in members[1:]:
            union(members[0], j)
    # Prefix filtering (exact): order tokens rarest-first; two sets with Jaccard >= t must
    # share a token among the first |x| - ceil(t·|x|) + 1 of either. Common words ("ideas")
    # then never make the comparison quadratic.
    by_prefix: dict[str, list[int]] = defaultdict(list)
    prefixes: list[list[str]] = []
    for i in range(n):
        ordered = sorted(toks[i], key=lambda t: (len(by_token[t]), t))
        size = len(ordered)
        keep = size - math.ceil(threshold * size) + 1 if threshold > 0 else size
        prefixes.append(ordered[: max(keep, 0)])
        for t in prefixes[i]:
            by_prefix[t].append(i)
    for i in range(n):
        candidates = {j for t in prefixes[i] for j in by_prefix[t] if j > i}
        for j in sorted(candidates):
            if find(i) != find(j) and jaccard(toks[i], toks[j]) >= threshold:
                union(i, j)
    groups: dict[int, list[TrendSignal]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(signals[i])
    return list(groups.values())
