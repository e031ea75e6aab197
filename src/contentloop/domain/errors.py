"""Typed errors that carry what a person needs to act on them."""

from __future__ import annotations


class ContentloopError(Exception):
    """Base of every error contentloop raises on purpose."""


class ConfigError(ContentloopError):
    """A configuration value is wrong: names the key, the bad value and the expected form."""

    def __init__(self, key: str, value: object, expected: str) -> None:
        self.key = key
        self.value = value
        self.expected = expected
        super().__init__(f"invalid config {key}={value!r}: expected {expected}")


class IllegalTransition(ContentloopError):
    """A post was asked to move to a state its current state cannot reach."""

    def __init__(self, post_id: str, current: str, target: str, allowed: frozenset[str]) -> None:
        self.post_id = post_id
        self.current = current
        self.target = target
        self.allowed = allowed
        allowed_s = ", ".join(sorted(allowed)) or "nothing (final state)"
        super().__init__(
            f"post {post_id}: cannot go from {current!r} to {target!r}; allowed: {allowed_s}"
        )


class NotFound(ContentloopError):
    """A referenced record does not exist."""
