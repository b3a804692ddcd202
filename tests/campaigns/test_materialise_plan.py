"""The materialisation decisions as a table: no database, only values in and a plan out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bantin.campaigns.materialise_plan import (
    CHUNK,
    MAX_SLICE,
    SCHEDULE_CANCEL,
    ExistingRow,
    SlicePlan,
    cut,
    desired_keys,
    plan_slice,
    slices,
)

T1 = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)
T2 = T1 + timedelta(hours=1)
HASH = "new-hash"


def row(
    id: int,
    status: str,
    *,
    at: datetime = T1,
    unit: str | None = "29641",
    channel: str = "loa-xa",
    content_hash: str | None = None,
    reason: str | None = None,
) -> ExistingRow:
    return ExistingRow(id, channel, unit, at, status, content_hash, reason)


DESIRED = desired_keys(["loa-xa"], ["29641"], [T1])


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        pytest.param([], SlicePlan([("loa-xa", "29641", T1)], [], [], []), id="nothing-yet-is-new"),
        pytest.param([row(1, "planned")], SlicePlan([], [], [], []), id="planned-in-place-stays"),
        pytest.param(
            [row(1, "planned", at=T2)],
            SlicePlan([("loa-xa", "29641", T1)], [1], [], []),
            id="moved-time-cancels-old-adds-new",
        ),
        pytest.param(
            [row(1, "approved", unit="other")],
            SlicePlan([("loa-xa", "29641", T1)], [1], [], []),
            id="dropped-target-is-stale",
        ),
        pytest.param(
            [row(1, "cancelled", reason=SCHEDULE_CANCEL)],
            SlicePlan([], [], [1], []),
            id="schedule-cancel-back-in-schedule-revives",
        ),
        pytest.param(
            [row(1, "cancelled", reason="rejected by reviewer")],
            SlicePlan([], [], [], []),
            id="person-cancelled-stays-cancelled",
        ),
        pytest.param(
            [row(1, "cancelled", at=T2, reason=SCHEDULE_CANCEL)],
            SlicePlan([("loa-xa", "29641", T1)], [], [], []),
            id="cancelled-outside-schedule-is-not-stale-again",
        ),
        pytest.param(
            [row(1, "approved", content_hash="old-hash")],
            SlicePlan([], [], [], [1]),
            id="approved-with-old-text-rerenders",
        ),
        pytest.param(
            [row(1, "pending_approval", content_hash="old-hash")],
            SlicePlan([], [], [], [1]),
            id="pending-with-old-text-rerenders",
        ),
        pytest.param(
            [row(1, "approved", content_hash=HASH)],
            SlicePlan([], [], [], []),
            id="approved-with-current-text-stays",
        ),
        pytest.param(
            [row(1, "planned", content_hash="old-hash")],
            SlicePlan([], [], [], []),
            id="planned-is-rendered-later-anyway",
        ),
    ],
)
def test_plan_slice_decides(existing: list[ExistingRow], expected: SlicePlan) -> None:
    assert plan_slice(DESIRED, existing, HASH) == expected


def test_desired_keys_cross_channels_targets_and_times() -> None:
    keys = desired_keys(["a", "b"], [None, "u"], [T1, T2])
    assert len(keys) == 8
    assert ("b", None, T2) in keys


def test_new_rows_come_in_due_order_then_channel_then_unit() -> None:
    desired = desired_keys(["b", "a"], ["u2", None, "u1"], [T2, T1])
    new = plan_slice(desired, [], HASH).new
    assert new[0] == ("a", None, T1)
    assert [k[2] for k in new] == sorted(k[2] for k in new)
    assert new[:3] == [("a", None, T1), ("a", "u1", T1), ("a", "u2", T1)]


def test_slices_never_exceed_a_month() -> None:
    times = [T1 + timedelta(hours=6 * i) for i in range(4 * 70)]
    parts = list(slices(times, T1, T1 + timedelta(days=70), per_time=1))
    assert all(hi - lo <= MAX_SLICE for lo, hi, _ in parts)
    assert len(parts) == 3  # 31 + 31 + 8 days
    assert [t for _, _, p in parts for t in p] == times


def test_slices_split_a_day_with_more_than_a_chunk_of_rows() -> None:
    times = [T1 + timedelta(minutes=i) for i in range(10)]
    per_time = CHUNK // 3  # three times fill a chunk
    parts = list(slices(times, T1, T1 + timedelta(hours=1), per_time))
    assert [len(p) for _, _, p in parts] == [3, 3, 3, 1]
    assert parts[-1][1] == T1 + timedelta(hours=1)  # the window is covered to its end


def test_slices_cover_an_empty_window_part_too() -> None:
    parts = list(slices([], T1, T1 + timedelta(days=40), per_time=5))
    assert [(lo, hi) for lo, hi, _ in parts] == [
        (T1, T1 + MAX_SLICE),
        (T1 + MAX_SLICE, T1 + timedelta(days=40)),
    ]


def test_a_slice_with_a_chunk_of_rows_or_fewer_already_there_is_not_cut() -> None:
    due = [T1 + timedelta(minutes=i) for i in range(CHUNK)]
    assert cut(due, T1, T2) == T2


def test_a_slice_with_more_than_a_chunk_already_there_ends_at_the_first_row_past_it() -> None:
    due = [T1 + timedelta(minutes=i) for i in range(CHUNK + 1)]
    assert cut(due, T1, T2) == T1 + timedelta(minutes=CHUNK)


def test_rows_due_at_the_slices_start_are_never_cut_apart() -> None:
    due = [T1] * (CHUNK + 1)
    assert cut(due, T1, T2) == T2
