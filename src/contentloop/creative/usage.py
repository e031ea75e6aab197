"""Token and cost accounting for one generated variant (all calls it took, repair included)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UsageRecord:
    account: str
    post_id: str
    variant_id: str
    engine: str
    model: str
    outcome: str  # ok | repaired | fallback
    reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0


def cost_usd(prompt_tokens: int, completion_tokens: int, in_per_mtok: float, out_per_mtok: float
             ) -> float:
    return round(prompt_tokens * in_per_mtok / 1e6 + completion_tokens * out_per_mtok / 1e6, 8)


__all__ = ["UsageRecord", "cost_usd"]
