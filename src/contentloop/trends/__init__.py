"""trends stage: sources → signals → scored, explained opportunities.

Sources (`FeedSource`, `InstagramHashtagSource`) implement `TrendSource`; `ingest` runs them
with failure isolation; `score_opportunities` (pure) ranks clusters of signals for an account.
"""

from .hashtags import HashtagBudget, HashtagClient, InMemoryHashtagBudget, InstagramHashtagSource
from .ingest import IngestReport, ingest
from .rss import FeedSource
from .scoring import ScoringConfig, score_opportunities, term_counts
from .source import SourceError, TrendSource
from .urlguard import UnsafeURL, check_url

__all__ = [
    "FeedSource",
    "HashtagBudget",
    "HashtagClient",
    "InMemoryHashtagBudget",
    "IngestReport",
    "InstagramHashtagSource",
    "ScoringConfig",
    "SourceError",
    "TrendSource",
    "UnsafeURL",
    "check_url",
    "ingest",
    "score_opportunities",
    "term_counts",
]
