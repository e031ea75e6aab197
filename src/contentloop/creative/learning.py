"""Learning from review: what people keep, edit or reject shifts the engine's choices.

Each review action scores the variant's hook style and format: keep = 1, reject = 0, edit =
the share of the caption that survived. A Beta(1, 1) mean per key becomes a sampling weight
(`Preferences`) the engines already honour: always-kept styles up to 4x neutral odds,
always-rejected ones down to a quarter.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Protocol

from .generator import NEUTRAL_SCORE, Preferences
from .similarity import body_text


class _Event(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def hook_style(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def kept_ratio(self) -> float: ...


SHARPNESS = 4.0


def kept_ratio(before: str, after: str) -> float:
    """How much of the original caption (hashtags aside) survived the edit, 0..1."""
    a, b = body_text(before).split(), body_text(after).split()
    if not a:
        return 1.0
    return round(difflib.SequenceMatcher(None, a, b, autojunk=False).ratio(), 4)


def review_preferences(events: Iterable[_Event]) -> dict[str, dict[str, float]]:
    sums: dict[str, dict[str, list[float]]] = {"hook_style": {}, "format": {}}
    for e in events:
        value = 1.0 if e.kind == "keep" else 0.0 if e.kind == "reject" else e.kept_ratio
        for dim, key in (("hook_style", e.hook_style), ("format", e.format)):
            if key:
                sums[dim].setdefault(key, []).append(value)
    return {
        dim: {k: _weight((1.0 + sum(v)) / (2.0 + len(v))) for k, v in table.items()}
        for dim, table in sums.items() if table
    }


def _weight(mean: float) -> float:
    """Beta mean → sampling weight around the neutral 0.5: 1.0 → 2.0, 0.0 → 0.125."""
    return round(NEUTRAL_SCORE * SHARPNESS ** (2 * (mean - NEUTRAL_SCORE)), 4)


def merge_preferences(
    optimizer: Preferences | None, reviews: Mapping[str, Mapping[str, float]]
) -> Preferences | None:
    """Average the optimizer's belief with the reviewers' where both speak; else either."""
    if not reviews:
        return optimizer
    out: dict[str, dict[str, float]] = {d: dict(t) for d, t in (optimizer or {}).items()}
    for dim, table in reviews.items():
        base = out.setdefault(dim, {})
        for key, value in table.items():
            base[key] = round((base[key] + value) / 2, 4) if key in base else value
    return out


__all__ = ["NEUTRAL_SCORE", "kept_ratio", "merge_preferences", "review_preferences"]
