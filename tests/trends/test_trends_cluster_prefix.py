"""The prefix-filtered clustering gives exactly the brute-force single-linkage clusters."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from trends_helpers import NOW

from contentloop.domain.models import TrendSignal
from contentloop.trends.cluster import cluster_signals, jaccard, link_keys, term_key, title_tokens

WORDS = ["cold", "brew", "ideas", "espresso", "tonic", "oat", "milk", "latte", "art", "grind"]


def brute_force(signals: list[TrendSignal], threshold: float) -> list[set[int]]:
    n = len(signals)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    toks = [title_tokens(s) for s in signals]
    keys = [link_keys(s) for s in signals]
    for i in range(n):
        for j in range(n):
            if i != j and (term_key(signals[i]) in keys[j] or (
                    j > i and jaccard(toks[i], toks[j]) >= threshold)):
                parent[find(j)] = find(i)
    groups: dict[int, set[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), set()).add(i)
    return sorted(groups.values(), key=min)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5), min_size=1, max_size=12),
    st.sampled_from([0.3, 0.5, 0.8]),
)
def test_prefix_filter_matches_brute_force(titles: list[list[str]], threshold: float) -> None:
    signals = [TrendSignal(source="s", term=t[0], title=" ".join(t), observed_at=NOW)
               for t in titles]
    index = {id(s): i for i, s in enumerate(signals)}
    got = sorted(({index[id(s)] for s in c} for c in cluster_signals(signals, threshold)), key=min)
    assert got == brute_force(signals, threshold)
