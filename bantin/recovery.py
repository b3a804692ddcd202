"""Crash recovery: what a runner finds when another one died mid-work.

A claim whose lease expired is released. A send whose lease expired is the one case where
bantin cannot know what happened, so it asks the channel (`reconcile`); failing that it
resends only to channels that deduplicate by idempotency key, and otherwise marks the
publication `unknown` for a person. Never a blind second post.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.campaigns.render_input import publication_input
from bantin.channels.base import Channel, ChannelError, Receipt, RetryableError
from bantin.content.render import render
from bantin.core import statemachine
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import Channel as ChannelRow
from bantin.core.models import DeliveryAttempt, Publication

log = logging.getLogger(__name__)

RECONCILE_RETRY = timedelta(minutes=5)


class Releasable(Protocol):
    """What `released_status` reads of a row (an ORM object or a row of columns)."""

    @property
    def attempts(self) -> int: ...
    @property
    def needs_approval(self) -> bool: ...
    @property
    def approved_by(self) -> str | None: ...
    @property
    def body(self) -> str | None: ...


def released_status(pub: Releasable) -> str:
    """Where a claimed row goes back to when its claim is given up."""
    if pub.attempts > 0:
        return "retry_wait"
    if pub.needs_approval:
        if pub.approved_by:
            return "approved"
        return "pending_approval" if pub.body is not None else "planned"
    return "planned"


class Recovery:
    """One recovery sweep, run at the start of every dispatch pass."""

    def __init__(
        self,
        db: Database,
        runner_id: str,
        channel: Callable[[str, str], Channel],
        hold: timedelta = timedelta(seconds=120),
    ) -> None:
        self.db = db
        self.runner_id = runner_id
        self.channel = channel
        #: How long this runner holds a row while it asks the provider about it.
        self.hold = hold

    def run(self, now: datetime) -> tuple[int, int]:
        """Release expired claims and reconcile interrupted sends; returns both counts."""
        released = recovered = 0
        with self.db.session() as s:
            # Locked and re-checked: a live runner that renews a lease (claimed -> sending)
            # is never overwritten by another runner's sweep (PostgreSQL; SQLite has one
            # writer at a time anyway).
            stale = (
                s.execute(
                    select(Publication)
                    .where(
                        Publication.status.in_(("claimed", "sending")),
                        Publication.lease_until < now,
                    )
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            claimed = [p for p in stale if p.status == "claimed"]
            for pub in claimed:
                statemachine.move(
                    s,
                    pub,
                    released_status(pub),
                    now,
                    self.runner_id,
                    f"lease of {pub.claimed_by} expired",
                    claimed_by=None,
                    lease_until=None,
                    next_attempt_at=now,
                )
                released += 1
            sending = [(p.id, p.channel_name) for p in stale if p.status == "sending"]
        for pub_id, _ in sending:
            try:
                if not self._reconcile(pub_id, now):
                    continue  # another runner got there first
            except (ConfigError, TemplateError) as exc:
                # Without a working channel or template nobody can tell what happened:
                # a person must look. Never resend blind.
                self._mark_unknown(pub_id, now, f"send interrupted; cannot reconcile: {exc}")
            except Exception as exc:  # one bad row must never stop every later pass
                log.exception("reconciling publication %s failed", pub_id)
                self._mark_unknown(
                    pub_id, now, f"send interrupted; reconcile failed: {type(exc).__name__}: {exc}"
                )
            recovered += 1
        return released, recovered

    def _reconcile(self, pub_id: int, now: datetime) -> bool:
        """Settle one interrupted send; False when it was no longer ours to settle.

        Three steps so the provider is asked with no transaction open: take the row over
        (a fresh lease under this runner, so no other sweep asks at the same time), ask the
        channel, then record the answer if the row is still ours.
        """
        with self.db.session() as s:
            pub = s.get_one(Publication, pub_id, with_for_update=True)
            if pub.status != "sending" or pub.lease_until is None or pub.lease_until >= now:
                return False  # another runner got there first
            self._close_interrupted_attempt(s, pub, now)
            pub.claimed_by, pub.lease_until = self.runner_id, now + self.hold
        with self.db.read() as s:
            pub = s.get_one(Publication, pub_id)
            row = s.get_one(ChannelRow, pub.channel_name)
            channel = self.channel(row.name, row.url)
            inp = publication_input(s, pub, channel.kind)
        rendered = render(inp)
        if pub.body is not None:
            rendered = replace(rendered, title=pub.title or rendered.title, body=pub.body)
        retry_later = False
        try:
            receipt = channel.reconcile(rendered, pub.idempotency_key)
        except RetryableError as exc:
            # The provider could not answer *now*; ask again on a later sweep rather than
            # give up on a question only it can answer.
            retry_later = not channel.dedupes and now - pub.due_at < channel.budget
            log.warning("reconcile of %s failed for now: %s", pub_id, exc)
            receipt = None
        except ChannelError as exc:
            log.warning("reconcile of %s failed: %s", pub_id, exc)
            receipt = None
        with self.db.session() as s:
            pub = s.get_one(Publication, pub_id, with_for_update=True)
            if pub.status != "sending" or pub.claimed_by != self.runner_id:
                return False
            self._settle(s, pub, now, receipt, channel.dedupes, retry_later)
        return True

    def _settle(
        self,
        s: Session,
        pub: Publication,
        now: datetime,
        receipt: Receipt | None,
        dedupes: bool,
        retry_later: bool,
    ) -> None:
        """Record what the provider said about an interrupted send."""
        if retry_later:
            pub.lease_until = now + RECONCILE_RETRY
        elif receipt is not None:
            statemachine.move(
                s,
                pub,
                "published",
                now,
                self.runner_id,
                "found already delivered after an interrupted send",
                published_at=now,
                lateness_seconds=max(0.0, (now - pub.due_at).total_seconds()),
                external_id=receipt.external_id,
                external_url=receipt.url,
                lease_until=None,
            )
        elif dedupes:
            statemachine.move(
                s,
                pub,
                "retry_wait",
                now,
                self.runner_id,
                "send interrupted; resending with the same idempotency key",
                next_attempt_at=now,
                lease_until=None,
                claimed_by=None,
            )
        else:
            statemachine.move(
                s,
                pub,
                "unknown",
                now,
                self.runner_id,
                "send interrupted and the channel cannot tell whether it went out: "
                "check the channel and resolve by hand",
                lease_until=None,
            )

    def _mark_unknown(self, pub_id: int, now: datetime, reason: str) -> None:
        with self.db.session() as s:
            pub = s.get_one(Publication, pub_id)
            if pub.status != "sending":
                return
            self._close_interrupted_attempt(s, pub, now)
            statemachine.move(s, pub, "unknown", now, self.runner_id, reason, lease_until=None)

    def _close_interrupted_attempt(self, s: Session, pub: Publication, now: datetime) -> None:
        att = s.execute(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.publication_id == pub.id)
            .order_by(DeliveryAttempt.number.desc())
            .limit(1)
        ).scalar_one_or_none()
        if att is not None and att.outcome == "sending":
            att.outcome, att.ended_at = "interrupted", now
            att.error = f"runner {pub.claimed_by} stopped during the send"
