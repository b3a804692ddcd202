from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bantin.campaigns.approval import approve, prepare_reviews
from bantin.core.db import Database
from bantin.core.models import Publication
from tests.conftest import T0
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply, write_campaign

CAMPAIGN = """
id: bulletin
title: Bản tin
task: "1.3"
agency: COMMUNES
kind: radio_script
period: {start: 2026-11-01, end: 2026-12-31}
schedule:
  - cron: "30 5 * * *"
targets: [29641, 29653]
channels: [loa-xa]
template: t.j2
approval: %s
"""


@pytest.fixture
def folder(tmp_path: Path, db: Database, home: Path) -> Path:
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    folder = tmp_path / "c"
    write_campaign(folder, "t.j2", "Kính thưa bà con {{ unit.name }}, {{ due_date }}.\n")
    return folder


def counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(select(Publication.status, func.count()).group_by(Publication.status))
        return {status: n for status, n in rows}


def test_apply_writes_every_unit_and_day_up_to_the_horizon(
    db: Database, folder: Path, home: Path
) -> None:
    path = write_campaign(folder, "b.yaml", CAMPAIGN % "none")
    apply(db, [path], T0, home, days=10)
    assert counts(db) == {"planned": 2 * 10}


def test_applying_the_same_file_twice_changes_nothing(
    db: Database, folder: Path, home: Path
) -> None:
    path = write_campaign(folder, "b.yaml", CAMPAIGN % "none")
    apply(db, [path], T0, home)
    with db.session() as s:
        before = s.execute(select(Publication.id, Publication.status, Publication.updated_at)).all()
    apply(db, [path], T0, home)
    with db.session() as s:
        after = s.execute(select(Publication.id, Publication.status, Publication.updated_at)).all()
    assert before == after


def test_changed_schedule_cancels_what_no_longer_matches_and_adds_the_rest(
    db: Database, folder: Path, home: Path
) -> None:
    path = write_campaign(folder, "b.yaml", CAMPAIGN % "none")
    apply(db, [path], T0, home, days=10)
    write_campaign(folder, "b.yaml", (CAMPAIGN % "none").replace("30 5 * * *", "0 17 * * *"))
    apply(db, [path], T0, home, days=10)
    assert counts(db) == {"cancelled": 20, "planned": 20}


def test_reverting_a_change_restores_the_cancelled_rows(
    db: Database, folder: Path, home: Path
) -> None:
    path = write_campaign(folder, "b.yaml", CAMPAIGN % "none")
    apply(db, [path], T0, home, days=5)
    write_campaign(folder, "b.yaml", (CAMPAIGN % "none").replace("29653", "29623"))
    apply(db, [path], T0, home, days=5)
    write_campaign(folder, "b.yaml", CAMPAIGN % "none")
    apply(db, [path], T0, home, days=5)
    assert counts(db) == {"planned": 10, "cancelled": 5}


def test_rows_already_sent_are_never_touched(db: Database, folder: Path, home: Path) -> None:
    path = write_campaign(folder, "b.yaml", CAMPAIGN % "none")
    apply(db, [path], T0, home, days=3)
    with db.session() as s:
        first = s.execute(select(Publication).order_by(Publication.due_at)).scalars().first()
        assert first is not None
        first.status = "published"
    write_campaign(folder, "b.yaml", (CAMPAIGN % "none").replace("30 5 * * *", "0 17 * * *"))
    apply(db, [path], T0, home, days=3)
    assert counts(db)["published"] == 1


def test_past_occurrences_are_not_materialised(db: Database, folder: Path, home: Path) -> None:
    path = write_campaign(folder, "b.yaml", CAMPAIGN % "none")
    apply(db, [path], T0, home, days=60)
    with db.session() as s:
        earliest = s.scalar(select(func.min(Publication.due_at)))
    assert earliest is not None and earliest >= T0


def test_content_change_sends_rendered_rows_back_for_review(
    db: Database, folder: Path, home: Path
) -> None:
    path = write_campaign(folder, "b.yaml", CAMPAIGN % "required")
    apply(db, [path], T0, home, days=5)
    prepared = prepare_reviews(db, T0, timedelta(hours=24), "test")
    with db.session() as s:
        ids = list(
            s.execute(
                select(Publication.id).where(Publication.status == "pending_approval")
            ).scalars()
        )
        approve(s, ids, T0, "reviewer")
    assert prepared == 2
    write_campaign(folder, "t.j2", "Kính thưa bà con {{ unit.name }}! Nội dung mới.\n")
    apply(db, [path], T0, home, days=5)
    with db.session() as s:
        rows = s.execute(select(Publication).where(Publication.id.in_(ids))).scalars().all()
        assert {r.status for r in rows} == {"planned"}
        assert all(r.approved_by is None and r.body is None for r in rows)


def test_a_rejected_publication_is_not_brought_back(db: Database, folder: Path, home: Path) -> None:
    from bantin.campaigns.approval import reject

    path = write_campaign(folder, "b.yaml", CAMPAIGN % "none")
    apply(db, [path], T0, home, days=3)
    with db.session() as s:
        first = s.execute(select(Publication.id).order_by(Publication.id)).scalars().first()
        assert first is not None
        reject(s, [first], "sai nội dung", T0, "lanhdao")
    apply(db, [path], T0 + timedelta(hours=1), home, days=3)  # e.g. the daily extension
    with db.session() as s:
        pub = s.get_one(Publication, first)
    assert pub.status == "cancelled" and (pub.status_reason or "").startswith("rejected by")
