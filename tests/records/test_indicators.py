"""Indicators agencies report: checked against the objective's unit and the plan."""

from __future__ import annotations

import pytest

from bantin.core.db import Database
from bantin.core.errors import RecordsError
from bantin.core.models import AuditEvent
from bantin.records.indicators import list_indicators, record_indicator
from tests.conftest import T0

SOURCE = "Báo cáo số 125/BC-SGDĐT"


def record(db: Database, objective: str, value: float, year: int = 2025) -> None:
    with db.session() as s:
        record_indicator(s, objective, year, "SGDDT", value, SOURCE, "van-thu", T0)


def test_a_percentage_is_recorded_with_its_source(db: Database) -> None:
    record(db, "schools-stem", 55)
    with db.session() as s:
        [row] = list_indicators(s, 2025)
    assert (row["value"], row["unit"], row["source"], row["recorded_by"]) == (
        55.0,
        "percent",
        SOURCE,
        "van-thu",
    )


@pytest.mark.parametrize("value", [-1, 100.5])
def test_a_percentage_outside_0_to_100_is_refused(db: Database, value: float) -> None:
    with pytest.raises(RecordsError, match="percentage: the value must be 0–100"):
        record(db, "schools-stem", value)


@pytest.mark.parametrize("value", [-2, 2.5])
def test_a_count_must_be_a_whole_number_not_below_zero(db: Database, value: float) -> None:
    with pytest.raises(RecordsError, match="count: the value must be a whole number"):
        record(db, "dts-experts", value)


def test_an_objective_not_in_the_plan_is_refused(db: Database) -> None:
    with pytest.raises(RecordsError, match=r"unknown objective 'stem'.*schools-stem"):
        record(db, "stem", 50)


def test_a_year_outside_the_plan_is_refused(db: Database) -> None:
    with pytest.raises(RecordsError, match="outside the plan"):
        record(db, "schools-stem", 50, year=2035)


def test_recording_again_corrects_the_value_and_audits_the_old_one(db: Database) -> None:
    record(db, "schools-stem", 55)
    record(db, "schools-stem", 57)
    with db.session() as s:
        rows = list_indicators(s, 2025)
        last = s.query(AuditEvent).order_by(AuditEvent.seq.desc()).first()
    assert [r["value"] for r in rows] == [57.0]
    assert last is not None and last.data["previous"]["value"] == 55.0
