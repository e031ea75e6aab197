"""Pure domain: entities, the post state machine, typed errors and the Clock. No I/O."""

from .clock import Clock, SimulatedClock, SystemClock, utc
from .errors import ConfigError, ContentloopError, IllegalTransition, NotFound
from .models import (
    Account,
    ApprovalMode,
    Asset,
    Beat,
    BrandProfile,
    Decision,
    Format,
    MetricSnapshot,
    Opportunity,
    Pillar,
    Post,
    PostingWindow,
    PublishAttempt,
    Severity,
    TrendSignal,
    Variant,
    Verdict,
)
from .states import FINAL_STATES, TRANSITIONS, PostState, Transition, check_transition

__all__ = [
    "Account", "ApprovalMode", "Asset", "Beat", "BrandProfile", "Clock", "ConfigError",
    "ContentloopError", "Decision", "FINAL_STATES", "Format", "IllegalTransition",
    "MetricSnapshot", "NotFound", "Opportunity", "Pillar", "Post", "PostState",
    "PostingWindow", "PublishAttempt", "Severity", "SimulatedClock", "SystemClock",
    "TRANSITIONS", "Transition", "TrendSignal", "Variant", "Verdict", "check_transition", "utc",
]
