"""A database with the bundled example campaigns applied around Thursday 3/12/2026, one
morning already dispatched, an emergency bulletin for the pilot communes, and a web app
on an injected clock. Built once per module and copied per test.

The emergency bulletin's text (tests/web/data) is written to fill its one-minute slot:
233 syllables, as the slot rule requires."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from bantin.config import Settings, load_settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Publication
from bantin.dispatch import Dispatcher
from bantin.web import create_app
from tests.conftest import EXAMPLES
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply, write_campaign

APPLIED_AT = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # 00:00 Wed 2/12 in Vĩnh Long
MORNING_SENT = datetime(2026, 12, 1, 22, 30, 2, tzinfo=UTC)  # 05:30:02 on 2/12
NOW = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)  # 04:00 Thursday 3/12
PILOTS = {
    "28789": "Phường Bến Tre",
    "29242": "Phường Trà Vinh",
    "29551": "Phường Long Châu",
    "29641": "Xã Cái Nhum",
    "29821": "Xã Trà Ôn",
}

EMERGENCY = """
id: canh-bao-mua-lon
title: Thông báo khẩn về mưa lớn
task: "1.3"
agency: COMMUNES
kind: radio_script
period: {start: 2026-12-03, end: 2026-12-03}
schedule:
  - at: 2026-12-03T10:00
targets: group:thi-diem
channels: [loa-xa]
template: {template}
priority: emergency
slot_minutes: 1
"""
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def loa_home(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Path:
    folder = tmp_path_factory.mktemp("loa-home")
    with pytest.MonkeyPatch.context() as env:  # keys (audit, secrets) come from this home
        env.setenv("BANTIN_HOME", str(folder))
        env.delenv("BANTIN_AUDIT_KEY", raising=False)
        return _prepare_loa_home(folder, template_db)


def _prepare_loa_home(folder: Path, template_db: Path) -> Path:
    shutil.copy(template_db, folder / "bantin.db")
    settings = load_settings(f"sqlite:///{folder / 'bantin.db'}", home=folder)
    db = Database(settings.db_url)
    add_channels(db, APPLIED_AT, OUTBOX_CHANNELS, folder)
    # Templates come from the campaign's folder (or the bundle): put it next to the file.
    emergency = EMERGENCY.replace("{template}", "thong-bao-khan.txt.j2")
    extra = write_campaign(folder / "campaigns", "canh-bao-mua-lon.yaml", emergency)
    shutil.copy(DATA / "thong-bao-khan.txt.j2", folder / "campaigns")
    apply(db, [*sorted(EXAMPLES.glob("*.yaml")), extra], APPLIED_AT, folder, days=4)
    dispatcher = Dispatcher(db, settings, FixedClock(MORNING_SENT), "test")
    assert dispatcher.run_pass().published == 124
    dispatcher.close()
    db.dispose()
    with sqlite3.connect(folder / "bantin.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loa_home: Path) -> Path:
    """Overrides the root `home`: a copy of the prepared database (and its outbox)."""
    home = tmp_path / "home"
    shutil.copytree(loa_home, home)
    monkeypatch.setenv("BANTIN_HOME", str(home))
    monkeypatch.delenv("BANTIN_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def app(settings: Settings, db: Database, clock: FixedClock) -> Flask:
    return create_app(settings, clock=clock, db=db)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c


def make_token(db: Database, unit: str = "29641", label: str = "Cán bộ VH") -> str:
    """A live receipt token for `unit`, as `bantin receipts token create` makes one."""
    from bantin.records.receipt_tokens import create_token

    with db.session() as s:
        _, token = create_token(s, unit, label, "test", APPLIED_AT)
    return token


@pytest.fixture
def unit_token(db: Database) -> str:
    return make_token(db)


THURSDAY_MORNING_SENT = datetime(2026, 12, 2, 22, 30, 2, tzinfo=UTC)  # 05:30:02 on 3/12


def dispatch_at(db: Database, settings: Settings, when: datetime) -> int:
    """One dispatcher pass at `when`; returns how many publications it published."""
    dispatcher = Dispatcher(db, settings, FixedClock(when), "test")
    try:
        return dispatcher.run_pass().published
    finally:
        dispatcher.close()


@pytest.fixture
def thursday_morning_sent(db: Database) -> None:
    """The 05:30 bulletins of Thursday 3/12 went out: only published ones take receipts.

    Marked directly (a dispatcher pass per test costs seconds; the end-to-end test in
    test_loudspeaker_feed runs the real one)."""
    due = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)
    with db.session() as s:
        done = s.execute(
            update(Publication)
            .where(Publication.due_at == due, Publication.status == "planned")
            .values(status="published", published_at=THURSDAY_MORNING_SENT, attempts=1)
        )
        assert done.rowcount > 0


#: Known feed tokens (tests put their hashes in by hand; `bantin feeds token create` makes
#: random ones): the Atom feeds, day sheets and recordings under /loa need one.
UNIT_READ = "doc_test-reader-29641"
GROUP_READ = "doc_test-reader-thi-diem"


def add_feed_token(db: Database, kind: str, key: str, token: str) -> int:
    """A live feed token with a known text for `kind`/`key` (don-vi/29641, nhom/thi-diem)."""
    from bantin.core.feed_token_models import FeedToken
    from bantin.records.feed_tokens import token_hash

    with db.session() as s:
        row = FeedToken(
            audience_kind=kind,
            audience_key=key,
            label="test",
            token_hash=token_hash(token),
            created_at=APPLIED_AT,
            created_by="test",
        )
        s.add(row)
        s.flush()
        return row.id


@pytest.fixture
def feed_readers(db: Database) -> None:
    """Live feed tokens UNIT_READ (unit 29641) and GROUP_READ (group thi-diem)."""
    add_feed_token(db, "don-vi", "29641", UNIT_READ)
    add_feed_token(db, "nhom", "thi-diem", GROUP_READ)
