"""Posting-time model: online_followers prior, own-results update, window fallback."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from contentloop.domain import PostingWindow
from contentloop.optimize import hour_prior, rank_local_hours, score_hours, to_local_hours

WINDOWS = (PostingWindow("08:00", "10:00"), PostingWindow("18:00", "21:00"))


def evening_curve() -> dict[int, float]:
    """Followers online: low at night, peak at 20h."""
    return {h: 100.0 + 400.0 * math.exp(-((h - 20) ** 2) / 8.0) for h in range(24)}


def test_prior_ranks_by_online_followers() -> None:
    curve = evening_curve()
    ranked = rank_local_hours(curve, [])
    assert ranked[0] == 20
    expected = sorted(range(24), key=lambda h: (-curve[h], h))
    assert ranked == expected


def test_fallback_to_posting_windows_when_online_followers_empty() -> None:
    prior, source = hour_prior({}, WINDOWS)
    assert source == "posting_windows"
    inside = {8, 9, 18, 19, 20}
    ranked = rank_local_hours({}, [], WINDOWS)
    assert set(ranked[:5]) == inside
    assert all(prior[h] > prior[h2] for h in inside for h2 in set(range(24)) - inside)
    # All-zero curves (small accounts) count as empty too.
    assert hour_prior({h: 0 for h in range(24)}, WINDOWS)[1] == "posting_windows"


def test_own_results_override_the_prior() -> None:
    curve = evening_curve()
    # Morning posts consistently do 3x better than evening posts for this account.
    results = [(7, 900.0)] * 12 + [(20, 300.0)] * 12
    scores = {s.hour: s for s in score_hours(curve, results)}
    assert scores[7].score > scores[20].score
    assert rank_local_hours(curve, results)[0] == 7
    assert scores[7].posts == 12
    # With only one morning post the evening prior still wins.
    few = [(7, 900.0)] + [(20, 300.0)] * 3
    assert rank_local_hours(curve, few)[0] in {18, 19, 20, 21, 22}
    # Evidence spreads to neighbouring hours: 6 and 8 rise above their prior too.
    assert scores[6].score > scores[6].prior * 0.5 and scores[8].score > scores[8].prior * 0.5


def test_prior_strength_weighs_the_prior() -> None:
    curve = evening_curve()
    results = [(7, 900.0)] * 3 + [(20, 300.0)] * 3
    assert rank_local_hours(curve, results, prior_strength=0.5)[0] == 7
    assert rank_local_hours(curve, results, prior_strength=50.0)[0] == 20


def test_to_local_hours_shifts_with_dst() -> None:
    utc_curve = {h: float(h) for h in range(24)}
    winter = to_local_hours(utc_curve, "Europe/Berlin", datetime(2026, 1, 10, tzinfo=UTC))
    summer = to_local_hours(utc_curve, "Europe/Berlin", datetime(2026, 7, 10, tzinfo=UTC))
    assert winter[13] == 12.0  # 12 UTC is 13 CET
    assert summer[14] == 12.0  # 12 UTC is 14 CEST
    assert sum(winter.values()) == pytest.approx(sum(utc_curve.values()))


def test_window_across_midnight() -> None:
    prior, _ = hour_prior({}, (PostingWindow("23:00", "01:00"),))
    assert prior[23] == 0.0 and prior[0] == 0.0 and prior[1] < 0.0
