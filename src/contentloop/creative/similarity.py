"""Caption similarity lives in the domain, shared with the policy guard."""

from contentloop.domain.similarity import body_text, jaccard, max_similarity, shingles

__all__ = ["body_text", "jaccard", "max_similarity", "shingles"]
