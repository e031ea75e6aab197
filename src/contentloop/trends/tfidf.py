"""A small TF-IDF (sublinear tf, smoothed idf, L2-normalised) and cosine, in pure Python.

Enough to say how well a trend fits a pillar, without pulling in scikit-learn.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .text import SEGMENT, STOPWORDS, stem, tokens

Vector = dict[str, float]


def features(text: str) -> Counter[str]:
    """Stemmed content unigrams and adjacent bigrams (never across a stopword or punctuation)."""
    counts: Counter[str] = Counter()
    for segment in SEGMENT.split(text):
        prev: str | None = None
        for tok in tokens(segment):
            if tok in STOPWORDS or len(tok) < 2:
                prev = None
                continue
            word = stem(tok)
            counts[word] += 1
            if prev is not None:
                counts[f"{prev} {word}"] += 1
            prev = word
    return counts


def tfidf_vectors(docs: Sequence[str]) -> list[Vector]:
    """One L2-normalised vector per document, idf computed over `docs` themselves."""
    counted = [features(d) for d in docs]
    n = len(counted)
    df: Counter[str] = Counter()
    for c in counted:
        df.update(c.keys())
    idf = {term: math.log((1 + n) / (1 + d)) + 1.0 for term, d in df.items()}
    vectors: list[Vector] = []
    for c in counted:
        vec = {t: (1.0 + math.log(k)) * idf[t] for t, k in c.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        vectors.append({t: v / norm for t, v in vec.items()} if norm > 0 else {})
    return vectors


def cosine(a: Vector, b: Vector) -> float:
    """Cosine of two normalised sparse vectors, clipped to [0, 1]."""
    if len(a) > len(b):
        a, b = b, a
    return max(0.0, min(1.0, sum(v * b.get(t, 0.0) for t, v in a.items())))
