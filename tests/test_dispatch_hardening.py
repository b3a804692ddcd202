"""Dispatch under hostile templates and slow work: every render failure is recorded with an
alert, and no render or rate-limit wait holds SQLite's write lock."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bantin import channels as channel_registry
from bantin import prepare as dispatch_module
from bantin.channels.base import Receipt
from bantin.config import Settings
from bantin.content.render import Rendered, RenderInput
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Alert, Campaign, Publication
from bantin.gates import Verdict, gate
from tests.test_dispatch import (  # noqa: F401 (scripted, closes_dispatchers are fixtures)
    DUE,
    ScriptedChannel,
    closes_dispatchers,
    crash_mid_send,
    dispatcher,
    only_pub,
    scripted,
    setup_campaign,
)

pytestmark = pytest.mark.usefixtures("scripted", "closes_dispatchers")


def break_template(db: Database, source: str) -> None:
    """Put a template in the stored campaign as if it had changed under a validated one
    (templates that fail only on some dates or data reach dispatch the same way)."""
    with db.session() as s:
        campaign = s.execute(select(Campaign)).scalar_one()
        campaign.templates = {name: source for name in campaign.templates}


@pytest.mark.parametrize(
    "source, reason",
    [
        ("{{ 1 // 0 }}", "ZeroDivisionError"),
        ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "Recursion"),
        ("{{ undefined_name.attr }}", "undefined"),
        ("{{ [1, 2] + 3 }}", "TypeError"),
    ],
)
def test_any_render_failure_fails_the_publication_with_its_reason_and_an_alert(
    db: Database, settings: Settings, home: Path, tmp_path: Path, source: str, reason: str
) -> None:
    setup_campaign(db, home, tmp_path)
    break_template(db, source)
    stats = dispatcher(db, settings, FixedClock(DUE)).run_pass()
    pub = only_pub(db)
    assert (stats.failed, pub.status) == (1, "failed")
    assert pub.status_reason is not None and pub.status_reason.startswith("render failed")
    assert reason.lower() in pub.status_reason.lower()
    with db.session() as s:
        alert = s.execute(select(Alert)).scalar_one()
    assert alert.kind == "publication_failed" and alert.publication_id == pub.id
    assert ScriptedChannel.sent == []


def test_a_failed_render_is_not_claimed_again_on_the_next_pass(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    break_template(db, "{{ 1 // 0 }}")
    d = dispatcher(db, settings, FixedClock(DUE))
    d.run_pass()
    assert d.run_pass().claimed == 0


def test_a_slow_render_does_not_hold_the_write_lock(
    db: Database,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a render runs, another process writes with a 0.5 s busy timeout and succeeds."""
    setup_campaign(db, home, tmp_path)
    rendering, written = threading.Event(), threading.Event()
    real_render = dispatch_module.render

    def slow_render(inp: RenderInput, **kw: Any) -> Rendered:
        rendering.set()
        assert written.wait(10), "the other writer never got through"
        return real_render(inp, **kw)

    monkeypatch.setattr(dispatch_module, "render", slow_render)
    d = dispatcher(db, settings, FixedClock(DUE))
    worker = threading.Thread(target=d.run_pass)
    worker.start()
    try:
        assert rendering.wait(10)
        conn = sqlite3.connect(home / "bantin.db", timeout=0.5)
        conn.execute("UPDATE agency SET note = 'ghi chú' WHERE code = 'BAOVL'")
        conn.commit()
        conn.close()
    finally:
        written.set()
        worker.join(30)
    assert only_pub(db).status == "published"


def test_a_rate_limit_wait_does_not_hold_the_write_lock(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    """A channel whose turn comes later puts the publication aside, never waits in a
    transaction; another writer meanwhile is not blocked."""
    setup_campaign(db, home, tmp_path, url="scripted://x?rate=1/h")
    d = dispatcher(db, settings, FixedClock(DUE))
    d.channel("ch", "scripted://x?rate=1/h").acquire()  # spend the hour's only turn
    assert d.run_pass().outcomes == {only_pub(db).id: "deferred"}
    pub = only_pub(db)
    assert pub.status == "retry_wait" and pub.next_attempt_at is not None
    assert pub.next_attempt_at > DUE + timedelta(minutes=30)


@pytest.mark.parametrize(
    "facts, expected",
    [
        ({"approved": False}, Verdict("missed", "not approved by its due time")),
        (
            {"channel_broken": "token revoked"},
            Verdict("failed", "channel ch is broken: token revoked"),
        ),
        (
            {"channel_error": "unknown scheme", "budget": None},
            Verdict("missed", "channel misconfigured: unknown scheme", "channel_misconfigured"),
        ),
        (
            {"late": timedelta(hours=2)},
            Verdict("missed", "2 h 00 min late, beyond the 1 h 00 min budget of webhook for post"),
        ),
        ({"late": timedelta(minutes=59)}, None),
    ],
)
def test_gate_decides_without_a_database(facts: dict[str, Any], expected: Verdict | None) -> None:
    base: dict[str, Any] = {
        "approved": True,
        "channel_name": "ch",
        "channel_broken": None,
        "channel_error": None,
        "late": timedelta(0),
        "budget": timedelta(hours=1),
        "channel_kind": "webhook",
        "campaign_kind": "post",
    }
    assert gate(**{**base, **facts}) == expected


def test_published_row_is_untouched_by_a_late_second_pass(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    d = dispatcher(db, settings, FixedClock(DUE))
    d.run_pass()
    with db.session() as s:
        before = s.execute(select(Publication.status, Publication.updated_at)).one()
    d.run_pass()
    with db.session() as s:
        assert s.execute(select(Publication.status, Publication.updated_at)).one() == before


class SlowReconcileChannel(ScriptedChannel):
    """A provider that takes its time to say whether an interrupted send went out."""

    schemes = ("slowcheck",)
    asking = threading.Event()
    answer = threading.Event()

    def reconcile(self, rendered: Rendered, idempotency_key: str) -> Receipt | None:
        self.asking.set()
        assert self.answer.wait(10), "the other writer never got through"
        return Receipt(external_id="found-late")


def test_asking_a_provider_after_a_crash_does_not_hold_the_write_lock(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    channel_registry.CHANNEL_TYPES["slowcheck"] = SlowReconcileChannel
    SlowReconcileChannel.asking.clear()
    SlowReconcileChannel.answer.clear()
    try:
        pub = crash_mid_send(db, settings, home, tmp_path, "slowcheck://x")
        later = FixedClock(pub.lease_until + timedelta(seconds=1))  # type: ignore[operator]
        worker = threading.Thread(target=dispatcher(db, settings, later).run_pass)
        worker.start()
        try:
            assert SlowReconcileChannel.asking.wait(10)
            conn = sqlite3.connect(home / "bantin.db", timeout=0.5)
            conn.execute("UPDATE agency SET note = 'ghi chú' WHERE code = 'BAOVL'")
            conn.commit()
            conn.close()
        finally:
            SlowReconcileChannel.answer.set()
            worker.join(30)
    finally:
        channel_registry.CHANNEL_TYPES.pop("slowcheck", None)
    assert only_pub(db).status == "published"
    assert only_pub(db).external_id == "found-late"
