"""Edit then approve: the reviewer's text is stored on the publication, recorded in the
audit log by hash, and is exactly what the channel receives at dispatch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bantin.campaigns import approval
from bantin.config import Settings
from bantin.content.render import Rendered
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import AuditEvent, Publication
from bantin.dispatch import Dispatcher
from tests.conftest import EXAMPLES
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply

APPLIED = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
REVIEW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # Thursday 07:00 in Vĩnh Long
EDITED = "Bài đã sửa bởi người duyệt: <b>in đậm</b> và chữ đ."


@pytest.fixture
def pending(db: Database, home: Path) -> int:
    add_channels(db, APPLIED, OUTBOX_CHANNELS, home)
    apply(db, [EXAMPLES / "chuyen-muc-cds.yaml"], APPLIED, home, days=4)
    assert approval.prepare_reviews(db, REVIEW, timedelta(hours=24)) == 1
    with db.read() as s:
        pub_id = s.scalar(select(Publication.id).where(Publication.status == "pending_approval"))
    assert pub_id is not None
    return pub_id


def _outbox_text(home: Path) -> str:
    files = [p for p in (home / "outbox").rglob("*") if p.is_file() and "baovl-portal" in str(p)]
    assert len(files) == 1, files
    return files[0].read_text(encoding="utf-8")


def test_edited_text_is_what_the_channel_receives(
    db: Database, settings: Settings, home: Path, pending: int
) -> None:
    with db.session() as s:
        approval.edit_and_approve(s, pending, "Tiêu đề đã sửa", EDITED, REVIEW, "user duyet")
    dispatcher = Dispatcher(db, settings, FixedClock(DUE + timedelta(seconds=5)), "test")
    try:
        assert dispatcher.run_pass().published == 1
    finally:
        dispatcher.close()
    text = _outbox_text(home)
    assert EDITED in text and "Tiêu đề đã sửa" in text
    assert "Chính quyền số đến gần người dân" not in text  # the template's own draft


def test_the_edit_is_audited_with_hashes_and_the_user(db: Database, pending: int) -> None:
    with db.session() as s:
        before = s.get_one(Publication, pending).body
        approval.edit_and_approve(s, pending, "", EDITED, REVIEW, "user duyet")
    with db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "publication.edited")).one()
        pub = s.get_one(Publication, pending)
    assert event.actor == "user duyet" and event.entity_id == str(pending)
    assert set(event.data) == {"before_sha256", "after_sha256"}
    assert event.data["before_sha256"] != event.data["after_sha256"]
    assert EDITED not in str(event.data) and (before or "")[:20] not in str(event.data)
    assert (pub.status, pub.body, pub.approved_by) == ("approved", EDITED, "user duyet")


def test_only_a_publication_awaiting_review_can_be_edited(db: Database, pending: int) -> None:
    with db.session() as s:
        approval.approve(s, [pending], REVIEW, "user duyet")
    with db.session() as s, pytest.raises(approval.EditRefused):
        approval.edit_and_approve(s, pending, "x", "y", REVIEW, "user duyet")


def test_an_empty_body_is_refused(db: Database, pending: int) -> None:
    with db.session() as s, pytest.raises(approval.EditRefused):
        approval.edit_and_approve(s, pending, "x", "  \n", REVIEW, "user duyet")


def test_a_radio_script_reads_aloud_the_approved_text() -> None:
    draft = Rendered(
        kind="radio_script",
        title="Bản tin",
        body="Bản nháp.",
        campaign_id="c",
        channel="loa-xa",
        due_at=DUE,
        meta={"read_aloud": "Bản nháp.", "estimated_seconds": 1, "read_rate_spm": 220},
    )
    out = approval.with_approved_text(draft, None, "Bà con lưu ý: ngày 5/12 có mưa lớn.")
    assert out.title == "Bản tin"
    assert "mưa lớn" in str(out.meta.read_aloud) and "nháp" not in str(out.meta.read_aloud)
    assert (out.meta.estimated_seconds or 0) > 1
