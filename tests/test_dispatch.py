"""Dispatch with an injected clock: states, retries, budgets, approval, crash recovery."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import select

from bantin import channels as channel_registry
from bantin.campaigns.approval import approve
from bantin.channels.base import (
    AuthError,
    Channel,
    PermanentError,
    RateLimited,
    Receipt,
    RetryableError,
)
from bantin.config import Settings
from bantin.content.render import Rendered
from bantin.core import audit
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import AuditEvent, DeliveryAttempt, Publication
from bantin.core.models import Channel as ChannelRow
from bantin.dispatch import Dispatcher
from bantin.gates import backoff
from tests.conftest import T0
from tests.helpers import add_channels, apply, write_campaign


class ScriptedChannel(Channel):
    """A real implementation of the contract whose outcomes a test scripts in advance."""

    schemes = ("scripted",)
    kind = "scripted"
    script: ClassVar[list[Exception | None]] = []
    sent: ClassVar[list[tuple[str, Rendered]]] = []
    delivered: ClassVar[set[str]] = set()
    dedupes = False

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        outcome = self.script.pop(0) if self.script else None
        self.sent.append((idempotency_key, rendered))
        if outcome is not None:
            raise outcome
        self.delivered.add(idempotency_key)
        return Receipt(external_id=f"ext-{len(self.sent)}", url=None, http_status=200)

    def reconcile(self, rendered: Rendered, idempotency_key: str) -> Receipt | None:
        return Receipt(external_id="found") if idempotency_key in self.delivered else None


class DedupingChannel(ScriptedChannel):
    schemes = ("dedup",)
    dedupes = True


class FlakyReconcileChannel(ScriptedChannel):
    """Its provider cannot be asked right now (a stale NFS handle, an odd library error)."""

    schemes = ("flaky",)

    def reconcile(self, rendered: Rendered, idempotency_key: str) -> Receipt | None:
        raise OSError(116, "Stale file handle")


@pytest.fixture(autouse=True)
def scripted() -> Iterator[None]:
    ScriptedChannel.script, ScriptedChannel.sent, ScriptedChannel.delivered = [], [], set()
    for cls in (ScriptedChannel, DedupingChannel, FlakyReconcileChannel):
        for scheme in cls.schemes:
            channel_registry.CHANNEL_TYPES[scheme] = cls
    yield
    for scheme in ("scripted", "dedup", "flaky"):
        channel_registry.CHANNEL_TYPES.pop(scheme, None)


CAMPAIGN = """
id: c
title: Bài đăng
task: "1.1"
agency: BAOVL
kind: {kind}
period: {{start: 2026-11-28, end: 2026-12-31}}
schedule:
  - at: 2026-11-28T09:00
channels: [{channel}]
template: t.j2
approval: {approval}
priority: {priority}
"""
DUE = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 09:00 in Vĩnh Long


def setup_campaign(
    db: Database,
    home: Path,
    tmp_path: Path,
    *,
    url: str = "scripted://x",
    kind: str = "post",
    approval: str = "none",
    priority: str = "normal",
    name: str = "c",
) -> None:
    add_channels(db, T0, [("ch", url, "BAOVL")], home)
    folder = tmp_path / "c"
    write_campaign(folder, "t.j2", "{% set title = 'Tiêu đề' %}Bà con {{ due_date }}\n")
    text = CAMPAIGN.format(kind=kind, channel="ch", approval=approval, priority=priority)
    path = write_campaign(folder, f"{name}.yaml", text.replace("id: c", f"id: {name}"))
    apply(db, [path], T0, home)


OPENED: list[Dispatcher] = []  # every dispatcher a test made, closed by the fixture below


@pytest.fixture(autouse=True)
def closes_dispatchers() -> Iterator[None]:
    """Each dispatcher owns a thread pool and open channels: close them after the test,
    so no worker thread outlives it (and leaks into the next one)."""
    yield
    while OPENED:
        OPENED.pop().close()


def dispatcher(db: Database, settings: Settings, clock: FixedClock) -> Dispatcher:
    d = Dispatcher(db, settings, clock, "test-runner")
    OPENED.append(d)
    return d


def only_pub(db: Database) -> Publication:
    with db.session() as s:
        return s.execute(select(Publication)).scalar_one()


def test_nothing_is_sent_before_it_is_due(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    d = dispatcher(db, settings, FixedClock(DUE - timedelta(seconds=1)))
    assert d.run_pass().claimed == 0
    assert ScriptedChannel.sent == []


def test_due_publication_is_published_and_recorded(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    stats = dispatcher(db, settings, FixedClock(DUE + timedelta(seconds=5))).run_pass()
    assert stats.published == 1
    pub = only_pub(db)
    assert pub.status == "published"
    assert pub.external_id == "ext-1"
    assert pub.title == "Tiêu đề" and pub.body == "Bà con ngày 28 tháng 11 năm 2026"
    with db.session() as s:
        att = s.execute(select(DeliveryAttempt)).scalar_one()
        actions = list(
            s.execute(select(AuditEvent.action).where(AuditEvent.entity == "publication")).scalars()
        )
    assert (att.outcome, att.http_status, att.external_id) == ("published", 200, "ext-1")
    assert actions == ["publication.claimed", "publication.sending", "publication.published"]


def test_key_sent_is_the_publications_idempotency_key(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    dispatcher(db, settings, FixedClock(DUE)).run_pass()
    assert ScriptedChannel.sent[0][0] == only_pub(db).idempotency_key


def test_retryable_error_waits_with_backoff_then_succeeds(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    ScriptedChannel.script = [RetryableError("500", http_status=500)]
    clock = FixedClock(DUE)
    d = dispatcher(db, settings, clock)
    assert d.run_pass().retried == 1
    pub = only_pub(db)
    assert pub.status == "retry_wait"
    assert pub.next_attempt_at is not None and pub.next_attempt_at >= DUE + timedelta(seconds=15)
    assert d.run_pass().claimed == 0  # not before next_attempt_at
    clock.set(pub.next_attempt_at)
    assert d.run_pass().published == 1
    with db.session() as s:
        outcomes = list(
            s.execute(select(DeliveryAttempt.outcome).order_by(DeliveryAttempt.number)).scalars()
        )
    assert outcomes == ["retry", "published"]


def test_rate_limit_retry_after_is_honoured(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    ScriptedChannel.script = [RateLimited("429", retry_after=900, http_status=429)]
    dispatcher(db, settings, FixedClock(DUE)).run_pass()
    pub = only_pub(db)
    assert pub.next_attempt_at == DUE + timedelta(seconds=900)


def test_gives_up_after_max_attempts(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    ScriptedChannel.script = [RetryableError("down")] * settings.max_attempts
    clock = FixedClock(DUE)
    d = dispatcher(db, settings, clock)
    for _ in range(settings.max_attempts):
        d.run_pass()
        pub = only_pub(db)
        if pub.next_attempt_at:
            clock.set(max(clock.now(), pub.next_attempt_at))
    pub = only_pub(db)
    assert pub.status in ("failed", "missed")
    assert pub.attempts <= settings.max_attempts


def test_permanent_error_fails_at_once(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    ScriptedChannel.script = [PermanentError("rejected", http_status=400)]
    assert dispatcher(db, settings, FixedClock(DUE)).run_pass().failed == 1
    assert only_pub(db).status_reason == "rejected"


def test_auth_error_fails_and_marks_the_channel_broken(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    ScriptedChannel.script = [AuthError("token revoked", http_status=401)]
    dispatcher(db, settings, FixedClock(DUE)).run_pass()
    with db.session() as s:
        row = s.get_one(ChannelRow, "ch")
        assert (row.status, row.status_reason) == ("broken", "token revoked")


def test_too_late_for_the_budget_is_missed_not_sent(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path, url="scripted://x?late=30m")
    assert dispatcher(db, settings, FixedClock(DUE + timedelta(minutes=31))).run_pass().missed == 1
    pub = only_pub(db)
    assert pub.status == "missed" and "beyond the 30 min budget" in (pub.status_reason or "")
    assert ScriptedChannel.sent == []


def test_late_within_the_budget_is_sent_and_lateness_recorded(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path, url="scripted://x?late=2h")
    dispatcher(db, settings, FixedClock(DUE + timedelta(minutes=90))).run_pass()
    pub = only_pub(db)
    assert pub.status == "published" and pub.lateness_seconds == 90 * 60


def test_radio_scripts_have_at_most_an_hour(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path, url="scripted://x?late=1d", kind="radio_script")
    dispatcher(db, settings, FixedClock(DUE + timedelta(minutes=61))).run_pass()
    assert only_pub(db).status == "missed"


def test_unapproved_at_due_time_is_missed(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path, approval="required")
    d = dispatcher(db, settings, FixedClock(DUE - timedelta(hours=2)))
    assert d.run_pass().reviews == 1
    assert only_pub(db).status == "pending_approval"
    d.clock = FixedClock(DUE)
    d.run_pass()
    pub = only_pub(db)
    assert (pub.status, pub.status_reason) == ("missed", "not approved by its due time")
    assert ScriptedChannel.sent == []


def test_approved_text_is_exactly_what_goes_out(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path, approval="required")
    dispatcher(db, settings, FixedClock(DUE - timedelta(hours=2))).run_pass()
    with db.session() as s:
        pub = s.execute(select(Publication)).scalar_one()
        pub.body = "Văn bản đã duyệt"  # what the reviewer saw
        approve(s, [pub.id], DUE - timedelta(hours=1), "lanhdao")
    dispatcher(db, settings, FixedClock(DUE)).run_pass()
    assert ScriptedChannel.sent[0][1].body == "Văn bản đã duyệt"
    assert only_pub(db).approved_by == "lanhdao"


def test_emergency_goes_first(db: Database, settings: Settings, home: Path, tmp_path: Path) -> None:
    setup_campaign(db, home, tmp_path, name="normal")
    setup_campaign(db, home, tmp_path, name="khan-cap", priority="emergency")
    one_worker = dataclasses.replace(settings, dispatch_workers=1)  # so send order is claim order
    dispatcher(db, one_worker, FixedClock(DUE)).run_pass()
    assert [r.campaign_id for _, r in ScriptedChannel.sent] == ["khan-cap", "normal"]


def test_paused_campaign_is_not_sent(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    from bantin.campaigns.service import set_status

    setup_campaign(db, home, tmp_path)
    with db.session() as s:
        set_status(s, "c", "paused", T0, "test")
    assert dispatcher(db, settings, FixedClock(DUE)).run_pass().claimed == 0


def crash_mid_send(
    db: Database, settings: Settings, home: Path, tmp_path: Path, url: str
) -> Publication:
    """Leave a row in `sending` with an open attempt, as a killed runner would."""
    setup_campaign(db, home, tmp_path, url=url)
    d = dispatcher(db, settings, FixedClock(DUE))
    pub_id = d.claim(DUE)[0]
    stop = threading.Event()
    d.stop = stop
    with db.session() as s:
        pub = s.get_one(Publication, pub_id)
        s.add(
            DeliveryAttempt(
                publication_id=pub_id, number=1, runner="dead", started_at=DUE, outcome="sending"
            )
        )
        pub.status, pub.attempts = "sending", 1
        pub.lease_until = DUE + timedelta(seconds=settings.lease_seconds)
        audit.append(s, DUE, "dead", "publication.sending", "publication", pub_id)
    return only_pub(db)


def test_interrupted_send_on_a_deduping_channel_is_resent_with_the_same_key(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    pub = crash_mid_send(db, settings, home, tmp_path, "dedup://x")
    later = FixedClock(pub.lease_until + timedelta(seconds=1))  # type: ignore[operator]
    stats = dispatcher(db, settings, later).run_pass()
    assert stats.recovered == 1 and stats.published == 1
    assert [k for k, _ in ScriptedChannel.sent] == [pub.idempotency_key]
    with db.session() as s:
        outcomes = list(
            s.execute(select(DeliveryAttempt.outcome).order_by(DeliveryAttempt.number)).scalars()
        )
    assert outcomes == ["interrupted", "published"]


def test_interrupted_send_found_by_reconcile_is_not_resent(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    pub = crash_mid_send(db, settings, home, tmp_path, "scripted://x")
    ScriptedChannel.delivered.add(pub.idempotency_key)
    later = FixedClock(pub.lease_until + timedelta(seconds=1))  # type: ignore[operator]
    dispatcher(db, settings, later).run_pass()
    assert only_pub(db).status == "published"
    assert ScriptedChannel.sent == []


def test_interrupted_send_the_channel_cannot_check_becomes_unknown(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    pub = crash_mid_send(db, settings, home, tmp_path, "scripted://x")
    later = FixedClock(pub.lease_until + timedelta(seconds=1))  # type: ignore[operator]
    stats = dispatcher(db, settings, later).run_pass()
    assert stats.recovered == 1
    assert only_pub(db).status == "unknown"
    assert ScriptedChannel.sent == []


def test_expired_claim_is_released_and_sent(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    dispatcher(db, settings, FixedClock(DUE)).claim(DUE)  # then the runner dies
    later = FixedClock(DUE + timedelta(seconds=settings.lease_seconds + 1))
    stats = dispatcher(db, settings, later).run_pass()
    assert (stats.released, stats.published) == (1, 1)


def test_stopping_runner_releases_claims_it_has_not_started(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    d = dispatcher(db, settings, FixedClock(DUE))
    pub_id = d.claim(DUE)[0]
    d.stop.set()
    assert d.deliver(pub_id) == "released"
    assert only_pub(db).status == "planned"


def test_next_wakeup_is_the_next_due_time(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    assert dispatcher(db, settings, FixedClock(T0)).next_wakeup(T0) == DUE


def test_backoff_grows_and_respects_retry_after() -> None:
    import random

    rng = random.Random(1)
    first, third = backoff(1, None, rng), backoff(3, None, rng)
    assert 15 <= first <= 30 and 60 <= third <= 120
    assert backoff(1, 600, rng) == 600


def test_interrupted_send_on_a_misconfigured_channel_becomes_unknown(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    pub = crash_mid_send(db, settings, home, tmp_path, "dedup://x")
    with db.session() as s:
        s.get_one(ChannelRow, "ch").url = "nonsense://x"  # someone broke the configuration
    later = FixedClock(pub.lease_until + timedelta(seconds=1))  # type: ignore[operator]
    stats = dispatcher(db, settings, later).run_pass()
    assert stats.recovered == 1
    assert only_pub(db).status == "unknown"
    with db.session() as s:
        assert s.execute(select(DeliveryAttempt.outcome)).scalar_one() == "interrupted"


def test_dropping_the_approval_rule_releases_rows_awaiting_review(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path, approval="required")
    dispatcher(db, settings, FixedClock(DUE - timedelta(hours=2))).run_pass()
    assert only_pub(db).status == "pending_approval"
    setup_campaign(db, home, tmp_path, approval="none")
    dispatcher(db, settings, FixedClock(DUE)).run_pass()
    assert only_pub(db).status == "published"


def test_render_failure_at_send_time_fails_with_an_alert(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    from bantin.core.models import Alert, Campaign

    setup_campaign(db, home, tmp_path)
    with db.session() as s:  # the stored template broke after validation
        s.get_one(Campaign, "c").templates = {"t.j2": "{{ vars.khong_co }}"}
    dispatcher(db, settings, FixedClock(DUE)).run_pass()
    pub = only_pub(db)
    assert pub.status == "failed" and (pub.status_reason or "").startswith("render failed")
    with db.session() as s:
        assert s.execute(select(Alert.kind)).scalar_one() == "publication_failed"


def test_publications_on_a_broken_channel_fail_without_a_send(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    with db.session() as s:
        row = s.get_one(ChannelRow, "ch")
        row.status, row.status_reason = "broken", "token revoked"
    dispatcher(db, settings, FixedClock(DUE)).run_pass()
    pub = only_pub(db)
    assert (pub.status, pub.status_reason) == ("failed", "channel ch is broken: token revoked")
    assert ScriptedChannel.sent == []


def test_a_row_that_cannot_be_reconciled_does_not_stop_dispatch(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    pub = crash_mid_send(db, settings, home, tmp_path, "flaky://x")
    setup_campaign(db, home, tmp_path, name="khac", url="flaky://x")
    later = FixedClock(pub.lease_until + timedelta(seconds=1))  # type: ignore[operator]
    stats = dispatcher(db, settings, later).run_pass()
    with db.session() as s:
        by_campaign = dict(s.execute(select(Publication.campaign_id, Publication.status)).all())
    assert by_campaign == {"c": "unknown", "khac": "published"}
    assert stats.recovered == 1


def test_a_paused_campaigns_retries_do_not_wake_the_dispatcher(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    from bantin.campaigns.service import set_status

    setup_campaign(db, home, tmp_path)
    ScriptedChannel.script = [RetryableError("500")]
    dispatcher(db, settings, FixedClock(DUE)).run_pass()
    with db.session() as s:
        set_status(s, "c", "paused", DUE, "test")
    later = DUE + timedelta(hours=2)
    assert dispatcher(db, settings, FixedClock(later)).next_wakeup(later) is None
