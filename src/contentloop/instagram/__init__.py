"""Instagram Graph API client: publishing, status, quota, insights, discovery, tokens."""

from .client import ContainerStatus, GraphClient, PublishQuota, unsupported_metrics
from .errors import (
    ContainerFailed,
    ContainerTimeout,
    ErrorClass,
    GraphAPIError,
    GraphNetworkError,
    PublishOutcomeUnknown,
    Usage,
    classify,
    explain,
    parse_status_subcode,
    parse_usage,
    regain_access_minutes,
)
from .wait import IMAGE_DEADLINE_S, POLL_STEPS, VIDEO_DEADLINE_S, wait_until_finished

__all__ = [
    "IMAGE_DEADLINE_S", "POLL_STEPS", "VIDEO_DEADLINE_S", "ContainerFailed", "ContainerStatus",
    "ContainerTimeout", "ErrorClass", "GraphAPIError", "GraphClient", "GraphNetworkError",
    "PublishOutcomeUnknown", "PublishQuota", "Usage", "classify", "explain",
    "parse_status_subcode", "parse_usage", "regain_access_minutes", "unsupported_metrics",
    "wait_until_finished",
]
