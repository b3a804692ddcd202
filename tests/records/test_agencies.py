"""Agencies over time: successor chains, roll-up to today's agency, loops survived."""

from __future__ import annotations

from datetime import date

import pytest

from bantin.core.db import Database
from bantin.core.errors import RecordsError
from bantin.records.agencies import Agencies, AgencyInfo, rollup


def info(code: str, successor: str | None = None, **kw: object) -> AgencyInfo:
    return AgencyInfo(
        code,
        f"Cơ quan {code}",
        None,
        str(kw.get("kind", "department")),
        "province",
        kw.get("valid_from"),  # type: ignore[arg-type]
        kw.get("valid_to"),  # type: ignore[arg-type]
        successor,
    )


def test_the_bundled_plan_rolls_sttt_up_to_skhcn(db: Database) -> None:
    with db.session() as s:
        table = rollup(s)
    assert table["STTTT"] == "SKHCN" and table["SKHCN"] == "SKHCN"


def test_district_committees_roll_up_to_the_communes(db: Database) -> None:
    with db.session() as s:
        agencies = Agencies.load(s)
    assert agencies.current("H_LONGHO") == "COMMUNES"
    assert {"DISTRICTS", "H_LONGHO", "COMMUNES"} <= agencies.lineage("COMMUNES")


def test_a_chain_of_several_steps_is_followed_to_its_end() -> None:
    agencies = Agencies([info("A", "B"), info("B", "C"), info("C")])
    assert agencies.chain("A") == ["A", "B", "C"]
    assert agencies.current("A") == "C"
    assert agencies.lineage("C") == {"A", "B", "C"}


def test_a_successor_loop_stops_instead_of_spinning() -> None:
    agencies = Agencies([info("A", "B"), info("B", "A")])
    assert agencies.chain("A") == ["A", "B"]
    assert agencies.current("B") == "A"


def test_the_holder_of_a_role_depends_on_the_day(db: Database) -> None:
    with db.session() as s:
        agencies = Agencies.load(s)
    assert agencies.holder_on("STTTT", date(2024, 12, 5)) == "STTTT"
    assert agencies.holder_on("STTTT", date(2025, 12, 5)) == "SKHCN"


def test_an_unknown_code_is_a_clear_error() -> None:
    with pytest.raises(RecordsError, match="unknown agency 'XYZ'"):
        Agencies([info("A")]).get("XYZ")
