from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bantin.campaigns.occurrences import occurrences
from bantin.campaigns.spec import CampaignSpec

WIDE = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def spec(**over: Any) -> CampaignSpec:
    base: dict[str, Any] = {
        "id": "x",
        "title": "t",
        "task": "1.3",
        "agency": "COMMUNES",
        "period": {"start": "2026-12-01", "end": "2026-12-31"},
        "schedule": [{"cron": "30 5 * * *"}],
        "channels": ["loa-xa"],
        "template": "t.j2",
    }
    base.update(over)
    return CampaignSpec.model_validate(base)


def test_cron_is_read_in_local_time() -> None:
    first = occurrences(spec(), *WIDE)[0]
    assert first == datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # 05:30 on 1/12 in Vĩnh Long


def test_period_end_day_is_inclusive() -> None:
    times = occurrences(spec(), *WIDE)
    assert len(times) == 31
    assert times[-1] == datetime(2026, 12, 30, 22, 30, tzinfo=UTC)


def test_rrule_weekly_on_thursday_at_seven() -> None:
    s = spec(schedule=[{"rrule": "FREQ=WEEKLY;BYDAY=TH;BYHOUR=7;BYMINUTE=0;BYSECOND=0"}])
    times = occurrences(s, *WIDE)
    assert [t.day for t in times] == [3, 10, 17, 24, 31]
    assert all(t.hour == 0 for t in times)


def test_explicit_at_without_offset_is_local() -> None:
    s = spec(schedule=[{"at": "2026-12-02T17:00"}])
    assert occurrences(s, *WIDE) == [datetime(2026, 12, 2, 10, 0, tzinfo=UTC)]


def test_blackout_range_removes_local_days() -> None:
    s = spec(blackout=["2026-12-10..2026-12-12", "2026-12-24"])
    days = {t.astimezone(s.tz).day for t in occurrences(s, *WIDE)}
    assert not days & {10, 11, 12, 24}
    assert len(days) == 27


def test_window_clips_to_now_and_horizon() -> None:
    lo = datetime(2026, 12, 10, 0, 0, tzinfo=UTC)
    hi = datetime(2026, 12, 13, 0, 0, tzinfo=UTC)
    times = occurrences(spec(), lo, hi)
    assert [t.astimezone(spec().tz).day for t in times] == [11, 12, 13]


def test_entries_are_merged_without_duplicates() -> None:
    s = spec(schedule=[{"cron": "30 5 * * *"}, {"at": "2026-12-01T05:30"}, {"cron": "0 17 * * *"}])
    assert len(occurrences(s, *WIDE)) == 62
