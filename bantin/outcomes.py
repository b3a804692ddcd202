"""The effects of dispatch, in one place: every state move a runner makes on a claimed
publication, each in its own short write transaction that first checks the row is still
this runner's.

The decisions behind them are pure functions in `bantin.gates`; dispatch reads facts,
asks `gates`, and calls one function here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.channels.base import ChannelError, Receipt
from bantin.content.render import Rendered
from bantin.core import audit, statemachine
from bantin.core.clock import Clock
from bantin.core.db import Database
from bantin.core.models import Channel as ChannelRow
from bantin.core.models import DeliveryAttempt, Publication
from bantin.core.scrub import scrub
from bantin.gates import Outcome, Verdict, minutes_text
from bantin.records import alerts
from bantin.recovery import released_status

#: Under dispatch's name: operators filter on it, and these lines are its outcomes.
log = logging.getLogger("bantin.dispatch")


@dataclass
class Recorder:
    """Applies a runner's decisions to the database."""

    db: Database
    clock: Clock
    runner_id: str
    lease_seconds: float

    def _mine(self, s: Session, pub_id: int) -> Publication | None:
        # Locked, so a recovery sweep elsewhere cannot release it under us (PostgreSQL).
        pub = s.get_one(Publication, pub_id, with_for_update=True)
        if pub.status != "claimed" or pub.claimed_by != self.runner_id:
            return None
        return pub

    def _give_back(self, pub_id: int, to: str | None, why: str, wait: float) -> bool:
        """Unclaim a row of ours: to `to` (or where a released claim goes), due again in
        `wait` seconds. False when the row is no longer ours."""
        with self.db.session() as s:
            pub = self._mine(s, pub_id)
            if pub is None:
                return False
            now = self.clock.now()
            statemachine.move(
                s,
                pub,
                to or released_status(pub),
                now,
                self.runner_id,
                why,
                next_attempt_at=now + timedelta(seconds=wait),
                claimed_by=None,
                lease_until=None,
            )
        return True

    def defer(self, pub_id: int, channel_name: str, wait: float) -> str:
        """A rate-limited channel: put the publication aside until its turn."""
        why = f"channel {channel_name} is rate-limited for {wait:.0f} s more"
        return "deferred" if self._give_back(pub_id, "retry_wait", why, wait) else "skipped"

    def release(self, pub_id: int, why: str) -> str:
        """Give a claim back (the runner is stopping)."""
        return "released" if self._give_back(pub_id, None, why, 0.0) else "skipped"

    def end(self, pub_id: int, verdict: Verdict) -> str:
        """End a claimed publication that cannot go out, alerting when a person must act."""
        with self.db.session() as s:
            pub = self._mine(s, pub_id)
            if pub is None:
                return "skipped"
            now = self.clock.now()
            statemachine.move(s, pub, verdict.to, now, self.runner_id, verdict.why)
            if verdict.alert:
                alerts.raise_alert(
                    s,
                    now,
                    pub.agency_code,
                    verdict.alert,
                    verdict.why,
                    channel_name=pub.channel_name,
                    publication_id=pub.id,
                    actor=self.runner_id,
                )
        return verdict.to

    def start_sending(self, pub_id: int, rendered: Rendered) -> tuple[int, str] | None:
        """Commit `sending` and its attempt row before the network call; returns the attempt
        number and the idempotency key, or None when the row is no longer ours."""
        with self.db.session() as s:
            pub = self._mine(s, pub_id)
            if pub is None:
                return None
            now = self.clock.now()
            number = pub.attempts + 1
            s.add(
                DeliveryAttempt(
                    publication_id=pub.id,
                    number=number,
                    runner=self.runner_id,
                    started_at=now,
                    outcome="sending",
                )
            )
            statemachine.move(
                s,
                pub,
                "sending",
                now,
                self.runner_id,
                None,
                attempts=number,
                lease_until=now + timedelta(seconds=self.lease_seconds),
                title=rendered.title,
                body=rendered.body,
            )
            return number, pub.idempotency_key

    def _attempt(self, s: Session, pub_id: int, number: int) -> DeliveryAttempt:
        return s.execute(
            select(DeliveryAttempt).where(
                DeliveryAttempt.publication_id == pub_id, DeliveryAttempt.number == number
            )
        ).scalar_one()

    def success(self, pub_id: int, number: int, receipt: Receipt, channel_name: str) -> str:
        with self.db.session() as s:
            now = self.clock.now()
            pub = s.get_one(Publication, pub_id)
            att = self._attempt(s, pub_id, number)
            # What a provider answers is remote text too: an id or URL may quote a token.
            external_id = scrub(receipt.external_id) if receipt.external_id else None
            url = scrub(receipt.url) if receipt.url else None
            att.ended_at, att.outcome, att.http_status = now, "published", receipt.http_status
            att.external_id, att.external_url = external_id, url
            lateness = max(0.0, (now - pub.due_at).total_seconds())
            statemachine.move(
                s,
                pub,
                "published",
                now,
                self.runner_id,
                f"{minutes_text(timedelta(seconds=lateness))} late" if lateness >= 60 else None,
                published_at=now,
                lateness_seconds=lateness,
                external_id=external_id,
                external_url=url,
                lease_until=None,
            )
        log.info("published %s on %s (%s)", pub_id, channel_name, external_id or "-")
        return "published"

    def failure(self, pub_id: int, number: int, error: ChannelError, outcome: Outcome) -> str:
        """Record a failed send as `classify` decided: retry later, or fail (and maybe mark
        the channel broken), with the alert its agency needs."""
        with self.db.session() as s:
            now = self.clock.now()
            pub = s.get_one(Publication, pub_id)
            att = self._attempt(s, pub_id, number)
            att.ended_at, att.http_status = now, error.http_status
            att.error, att.outcome = scrub(str(error))[:2000], outcome.attempt_outcome
            if outcome.breaks_channel:
                self._break_channel(s, pub, error)
            elif outcome.alert:
                alerts.raise_alert(
                    s,
                    now,
                    pub.agency_code,
                    outcome.alert,
                    f"publication {pub_id} of {pub.campaign_id} on {pub.channel_name} "
                    f"failed: {outcome.why}",
                    channel_name=pub.channel_name,
                    publication_id=pub.id,
                    actor=self.runner_id,
                )
            fields: dict[str, object] = {"lease_until": None}
            if outcome.retry_in is not None:
                fields |= {
                    "next_attempt_at": now + timedelta(seconds=outcome.retry_in),
                    "claimed_by": None,
                }
            statemachine.move(s, pub, outcome.to, now, self.runner_id, outcome.why, **fields)
        if outcome.to == "retry_wait":
            log.info("publication %s will retry in %.0f s: %s", pub_id, outcome.retry_in, error)
        else:
            log.warning("publication %s failed: %s", pub_id, outcome.why)
        return outcome.to

    def _break_channel(self, s: Session, pub: Publication, error: ChannelError) -> None:
        now = self.clock.now()
        row = s.get_one(ChannelRow, pub.channel_name)
        row.status, row.status_reason = "broken", str(error)
        audit.append(
            s, now, self.runner_id, "channel.broken", "channel", row.name, {"reason": str(error)}
        )
        alerts.raise_alert(
            s,
            now,
            row.agency_code,
            "channel_broken",
            f"channel {row.name} stopped: {error}. Its publications wait until it is "
            f"repaired (fix the credentials, then bantin channel add {row.name} URL "
            "--replace)",
            channel_name=row.name,
            publication_id=pub.id,
            actor=self.runner_id,
        )
