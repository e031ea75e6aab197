"""creative stage."""
