"""Publishing: exactly-once publisher, retry timing and local media hosting."""

from .hosting import MediaHost
from .publisher import Publisher, PublishJob, PublishJournal, PublishOutcome, PublishResult
from .schedule import backoff_delay, next_retry_at

__all__ = [
    "MediaHost", "PublishJob", "PublishJournal", "PublishOutcome", "PublishResult", "Publisher",
    "backoff_delay", "next_retry_at",
]
