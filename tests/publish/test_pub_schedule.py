from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from contentloop.publish.schedule import backoff_delay, next_retry_at

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("attempt", [0, 1, 2, 5, 20, 200])
def test_full_jitter_stays_within_the_exponential_ceiling(attempt):
    rng = random.Random(attempt)
    ceiling = min(3600.0, 30.0 * 2**attempt)
    delays = [backoff_delay(attempt, rng=rng).total_seconds() for _ in range(200)]
    assert all(0.0 <= d <= ceiling for d in delays)
    assert max(delays) > ceiling * 0.5  # jitter actually spreads up to the ceiling


def test_next_retry_at_is_after_now_and_deterministic_with_seed():
    a = next_retry_at(3, NOW, rng=random.Random(7))
    b = next_retry_at(3, NOW, rng=random.Random(7))
    assert a == b and NOW <= a <= NOW + timedelta(seconds=240)
    capped = next_retry_at(30, NOW, base=timedelta(seconds=30), cap=timedelta(minutes=5),
                           rng=random.Random(1))
    assert capped <= NOW + timedelta(minutes=5)
    with pytest.raises(ValueError):
        next_retry_at(-1, NOW)
