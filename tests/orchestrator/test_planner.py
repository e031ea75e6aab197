from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from contentloop.domain import Account, PostingWindow
from contentloop.orchestrator.planner import local_to_utc, plan_calendar


def test_seven_days_in_account_zone():
    acc = Account(handle="a", timezone="America/New_York", posts_per_day=2)
    posts = plan_calendar(acc, date(2026, 3, 2), 7)
    assert len(posts) == 14
    assert sorted({p.local_date for p in posts}) == [f"2026-03-0{d}" for d in range(2, 9)]
    tz = ZoneInfo("America/New_York")
    for p in posts:
        assert p.scheduled_at.tzinfo == UTC
        local = p.scheduled_at.astimezone(tz)
        assert local.date().isoformat() == p.local_date
        hm = local.strftime("%H:%M")
        assert any(w.start <= hm < w.end for w in acc.posting_windows), hm
    assert len({p.id for p in posts}) == 14


def test_dst_spring_forward_keeps_local_time():
    # Europe/Berlin jumps 02:00 -> 03:00 on 2026-03-29.
    acc = Account(handle="b", timezone="Europe/Berlin",
                  posting_windows=(PostingWindow("09:00", "09:05"),))
    posts = plan_calendar(acc, date(2026, 3, 28), 2)
    assert [p.scheduled_at.hour for p in posts] == [8, 7]  # 09:00 CET then 09:00 CEST
    skipped = local_to_utc(date(2026, 3, 29), 2 * 60 + 30, ZoneInfo("Europe/Berlin"))
    assert skipped == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST, after the gap


def test_hour_weights_move_the_slot():
    acc = Account(handle="c", timezone="UTC",
                  posting_windows=(PostingWindow("08:00", "12:00"),))
    p1 = plan_calendar(acc, date(2026, 3, 2), 1, hour_weights={8: 1.0, 11: 5.0})[0]
    p2 = plan_calendar(acc, date(2026, 3, 2), 1, hour_weights={8: 5.0, 11: 1.0})[0]
    assert (p1.scheduled_at.hour, p2.scheduled_at.hour) == (11, 8)
