"""The `Generator` protocol every creative engine (template, LLM) implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from contentloop.domain import Account, ContentloopError, Opportunity, Post, Variant

Preferences = Mapping[str, Mapping[str, float]]
"""Optimizer weights by dimension, e.g. {"format": {"reel": 0.7}, "hook_style": {...}}."""

NEUTRAL_SCORE = 0.5
"""Score given to a variant when no optimizer preference speaks for or against it."""


class GenerationError(ContentloopError):
    """The engine cannot produce what was asked; the message says what to change."""


@runtime_checkable
class Generator(Protocol):
    """Turns a planned post plus trend opportunities into `n` diverse creative variants."""

    def generate(
        self,
        account: Account,
        post: Post,
        opportunities: Sequence[Opportunity],
        n: int,
        *,
        recent_captions: Sequence[str] = (),
        preferences: Preferences | None = None,
    ) -> list[Variant]: ...
