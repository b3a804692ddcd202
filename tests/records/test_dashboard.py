"""The dashboard's pieces from the library: shares without division by zero, output per
agency and month, coverage for all 124 communes in Vietnamese order, and the audit state
read from the newest signed head (not a full verification)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bantin.config import Settings
from bantin.content.collation import sort_key
from bantin.core.db import Database
from bantin.core.models import AuditEvent
from bantin.records import dashboard

NOW = datetime(2026, 12, 2, 21, tzinfo=UTC)


def test_share_of_nothing_is_none_not_an_error() -> None:
    assert dashboard.share(0, 0) is None
    assert dashboard.share(1, 3) == 33


def test_output_is_summed_per_agency_and_month() -> None:
    rows = [
        {"agency_code": "B", "month": "2026-01", "published": 2},
        {"agency_code": "B", "month": "2026-01", "published": 3},
        {"agency_code": "A", "month": "2026-02", "published": 1},
        {"agency_code": "A", "month": "2025-12", "published": 9},  # outside the year
    ]
    got = dashboard.output_by_agency(rows, ["2026-01", "2026-02"])
    assert got == {"A": [0, 1], "B": [5, 0]}


def test_empty_year_has_no_output_and_no_shares(db: Database, settings: Settings) -> None:
    with db.read() as s:
        board = dashboard.build(s, 2019, NOW, settings.timezone, settings.home)
    assert board.output == {}
    assert all(r["share"] is None for r in board.tasks)
    assert len(board.coverage) == 124
    names = [r["name"] for r in board.coverage]
    assert names == sorted(names, key=sort_key)


def test_audit_state_without_a_signed_head(
    db: Database, tmp_path: Path, settings: Settings
) -> None:
    with db.read() as s:
        state = dashboard.audit_state(s, tmp_path, settings.timezone)
    assert state.head_seq is None and state.head_ok is None and state.events > 0


def _head(home: Path, seq: int, digest: str) -> None:
    folder = home / "audit-heads"
    folder.mkdir(exist_ok=True)
    line = {"seq": seq, "hash": digest, "anchored_from": 1, "signed_at": "2026-12-02", "mac": "x"}
    (folder / "2026-12-02.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")


def test_audit_state_checks_the_newest_head_against_its_event(
    db: Database, tmp_path: Path, settings: Settings
) -> None:
    with db.read() as s:
        ev = s.get_one(AuditEvent, 1)
        _head(tmp_path, 1, ev.hash)
        assert dashboard.audit_state(s, tmp_path, settings.timezone).head_ok is True
        _head(tmp_path, 1, "0" * 64)
        assert dashboard.audit_state(s, tmp_path, settings.timezone).head_ok is False
