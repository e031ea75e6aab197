"""orchestrator stage."""
