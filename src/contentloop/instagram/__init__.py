"""instagram stage."""
