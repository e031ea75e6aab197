"""optimize stage: Thompson-sampling bandit, posting-time model, KPI-threshold rules."""

from .bandit import (
    DIMENSIONS,
    BanditConfig,
    Observation,
    ThompsonBandit,
    paused_levels,
    winner,
)
from .rules import ThresholdRule, evaluate_rules
from .timing import HourScore, hour_prior, rank_local_hours, score_hours, to_local_hours

__all__ = [
    "BanditConfig",
    "DIMENSIONS",
    "HourScore",
    "Observation",
    "ThompsonBandit",
    "ThresholdRule",
    "evaluate_rules",
    "paused_levels",
    "hour_prior",
    "rank_local_hours",
    "score_hours",
    "to_local_hours",
    "winner",
]
