"""creative stage: the `Generator` protocol and the embedded template engine."""

from .engine import TemplateGenerator, derive_seed
from .generator import NEUTRAL_SCORE, GenerationError, Generator, Preferences
from .similarity import jaccard, max_similarity
from .templates import HOOK_STYLES

__all__ = [
    "HOOK_STYLES", "NEUTRAL_SCORE", "GenerationError", "Generator", "Preferences",
    "TemplateGenerator", "derive_seed", "jaccard", "max_similarity",
]
