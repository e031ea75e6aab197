from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contentloop.domain import (
    TRANSITIONS,
    IllegalTransition,
    PostState,
    SimulatedClock,
    check_transition,
)


def test_happy_path_is_allowed():
    path = ["planned", "drafted", "in_review", "approved", "rendered", "scheduled",
            "publishing", "published"]
    for a, b in zip(path, path[1:], strict=False):
        check_transition("p", a, b)


def test_retry_loop_and_dead_letter():
    check_transition("p", "publishing", "retry_wait")
    check_transition("p", "retry_wait", "publishing")
    check_transition("p", "publishing", "failed")


@pytest.mark.parametrize("src,dst", [("planned", "published"), ("published", "publishing"),
                                     ("in_review", "scheduled"), ("rejected", "approved")])
def test_illegal_transitions_raise_typed_error(src, dst):
    with pytest.raises(IllegalTransition) as exc:
        check_transition("post-9", src, dst)
    assert exc.value.post_id == "post-9" and exc.value.current == src and exc.value.target == dst


def test_published_is_final():
    assert TRANSITIONS[PostState.PUBLISHED] == frozenset()


def test_simulated_clock_only_moves_forward():
    c = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    c.sleep(90)
    assert c.now() == datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        c.set(datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        c.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        SimulatedClock(datetime(2026, 1, 1))
