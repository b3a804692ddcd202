"""The calendar's pure parts: the window each view shows, paging, day labels, filters
from a query string, and the folding of grouped rows into slots."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bantin.records import calendar as cal

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("view", "anchor", "start", "end"),
    [
        # December 2026 starts on a Tuesday and ends on a Thursday: Monday-first weeks.
        ("month", date(2026, 12, 3), date(2026, 11, 30), date(2027, 1, 4)),
        # February 2027 starts on a Monday and ends on a Sunday: exactly four weeks.
        ("month", date(2027, 2, 14), date(2027, 2, 1), date(2027, 3, 1)),
        ("week", date(2026, 12, 3), date(2026, 11, 30), date(2026, 12, 7)),
        ("week", date(2026, 12, 6), date(2026, 11, 30), date(2026, 12, 7)),
        ("agenda", date(2026, 12, 3), date(2026, 12, 3), date(2026, 12, 4)),
    ],
)
def test_window_of_each_view(view: str, anchor: date, start: date, end: date) -> None:
    assert cal.window(view, anchor) == (start, end)


@pytest.mark.parametrize(
    ("view", "anchor", "direction", "expected"),
    [
        ("month", date(2026, 12, 31), 1, date(2027, 1, 1)),
        ("month", date(2027, 1, 15), -1, date(2026, 12, 1)),
        ("month", date(2026, 3, 31), -1, date(2026, 2, 1)),
        ("week", date(2026, 12, 3), 1, date(2026, 12, 10)),
        ("agenda", date(2026, 12, 31), 1, date(2027, 1, 1)),
        ("agenda", date(2026, 12, 3), -1, date(2026, 12, 2)),
    ],
)
def test_previous_and_next(view: str, anchor: date, direction: int, expected: date) -> None:
    assert cal.step(view, anchor, direction) == expected


def test_month_grid_rows_have_seven_days() -> None:
    grid = cal.weeks(*cal.window("month", date(2026, 12, 1)))
    assert len(grid) == 5 and all(len(w) == 7 for w in grid)
    assert grid[0][0].weekday() == 0


@pytest.mark.parametrize(
    ("d", "lang", "text"),
    [
        (date(2026, 12, 3), "vi", "Thứ Năm, 03/12/2026"),
        (date(2026, 12, 6), "vi", "Chủ Nhật, 06/12/2026"),
        (date(2026, 12, 3), "en", "Thursday, 03/12/2026"),
    ],
)
def test_day_label_as_officials_write_it(d: date, lang: str, text: str) -> None:
    assert cal.day_label(d, lang) == text


def test_local_midnights_become_utc_bounds() -> None:
    start, end = cal.utc_bounds(date(2026, 12, 3), date(2026, 12, 4), VN)
    assert start == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-12-03", date(2026, 12, 3)), ("2026-02-30", date(2000, 1, 1)), ("x", date(2000, 1, 1))],
)
def test_parse_day_falls_back_on_nonsense(text: str, expected: date) -> None:
    assert cal.parse_day(text, date(2000, 1, 1)) == expected


def test_filters_ignore_unknown_states_and_blanks() -> None:
    f = cal.CalFilters.from_args({"state": "<script>", "channel": " loa-xa ", "unit": ""})
    assert f == cal.CalFilters(channel="loa-xa")
    assert f.query() == {"channel": "loa-xa"}
    assert cal.CalFilters.from_args({"state": "failed"}).state == "failed"


DUE = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)


def test_rows_of_one_slot_fold_into_counts_and_the_most_urgent_state() -> None:
    rows = [
        ("loa-cds", "Bản tin", "loa-xa", DUE, "published", 120, 120, 7),
        ("loa-cds", "Bản tin", "loa-xa", DUE, "failed", 4, 4, 9),
        ("cds", "Bài", "fanpage", DUE, "planned", 1, 0, 3),
    ]
    slots = cal.fold(rows)
    assert len(slots) == 2
    radio = next(s for s in slots if s.campaign_id == "loa-cds")
    assert (radio.total, radio.units, radio.state, radio.only_id) == (124, 124, "failed", None)
    single = next(s for s in slots if s.campaign_id == "cds")
    assert single.only_id == 3 and single.state == "planned"


def test_slot_uids_are_stable_and_distinct() -> None:
    a = cal.Slot("loa-cds", "x", "loa-xa", DUE)
    b = cal.Slot("loa-cds", "y", "loa-xa", DUE, {"published": 3})
    assert a.uid() == b.uid() == "loa-cds.loa-xa.20261202T223000Z@bantin"
    assert a.uid(".unit-29641") != a.uid()


def test_slots_group_by_local_day() -> None:
    evening = cal.Slot("a", "a", "c", datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    late = cal.Slot("a", "a", "c", datetime(2026, 12, 3, 17, 30, tzinfo=UTC))  # 00:30 on 4/12
    days = cal.by_day([evening, late], VN)
    assert sorted(days) == [date(2026, 12, 3), date(2026, 12, 4)]


def test_found_says_when_the_limit_cut_it() -> None:
    found = cal.Found([cal.Slot("a", "a", "c", DUE)])
    assert not found.cut and len(found) == 1
