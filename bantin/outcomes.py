"""What a send's outcome does to its publication, its attempt row, its channel and its
agency's alerts: the moves and attempt updates `batchwrite.record_sent` writes for a
group of sends in one transaction.

The decisions behind them are pure functions in `bantin.gates`; dispatch reads facts,
asks `gates`, and the batch writer applies the result through here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bantin import logjson
from bantin.channels.base import ChannelError, Receipt
from bantin.core import audit
from bantin.core.models import Channel as ChannelRow
from bantin.core.scrub import scrub
from bantin.core.statemachine import Move
from bantin.gates import Outcome, minutes_text
from bantin.records import alerts

#: Under dispatch's name: operators filter on it, and these lines are its outcomes.
log = logging.getLogger("bantin.dispatch")


class Facts(Protocol):
    """The columns of a publication row an outcome needs (the hot path reads only these,
    not whole ORM objects: bantin.batchwrite.LOCK_COLUMNS)."""

    @property
    def id(self) -> int: ...
    @property
    def campaign_id(self) -> str: ...
    @property
    def agency_code(self) -> str: ...
    @property
    def channel_name(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...


def success(
    pub: Facts, number: int, channel_name: str, receipt: Receipt, now: datetime
) -> tuple[Move, dict[str, Any]]:
    """The move to `published` and the attempt's end (parameters of `_END_ATTEMPT`)."""
    # Outcomes are recorded by the group commit, not the sending thread: name the
    # publication's campaign and channel on this thread's log lines again.
    logjson.bind(publication=pub.id, campaign=pub.campaign_id, channel=channel_name)
    # What a provider answers is remote text too: an id or URL may quote a token.
    external_id = scrub(receipt.external_id) if receipt.external_id else None
    url = scrub(receipt.url) if receipt.url else None
    lateness = max(0.0, (now - pub.due_at).total_seconds())
    why = f"{minutes_text(timedelta(seconds=lateness))} late" if lateness >= 60 else None
    move = Move(
        pub.id,
        "sending",
        "published",
        why,
        published_at=now,
        lateness_seconds=lateness,
        external_id=external_id,
        external_url=url,
        lease_until=None,
    )
    attempt = _ended(pub.id, number, now, "published", receipt.http_status)
    attempt |= {"b_ext": external_id, "b_url": url}
    log.info("published %s on %s (%s)", pub.id, channel_name, external_id or "-")
    return move, attempt


def failure(
    s: Session,
    pub: Facts,
    number: int,
    error: ChannelError,
    outcome: Outcome,
    now: datetime,
    actor: str,
) -> tuple[Move, dict[str, Any]]:
    """A failed send as `classify` decided: retry later, or fail (and maybe mark the
    channel broken), with the alert its agency needs (written in `s`)."""
    if outcome.breaks_channel:
        break_channel(s, now, actor, pub, error)
    elif outcome.alert:
        alerts.raise_alert(
            s,
            now,
            pub.agency_code,
            outcome.alert,
            f"publication {pub.id} of {pub.campaign_id} on {pub.channel_name} "
            f"failed: {outcome.why}",
            channel_name=pub.channel_name,
            publication_id=pub.id,
            actor=actor,
        )
    fields: dict[str, object] = {"lease_until": None}
    if outcome.retry_in is not None:
        fields |= {"next_attempt_at": now + timedelta(seconds=outcome.retry_in), "claimed_by": None}
    attempt = _ended(pub.id, number, now, outcome.attempt_outcome, error.http_status)
    attempt["b_error"] = scrub(str(error))[:2000]
    if outcome.to == "retry_wait":
        log.info("publication %s will retry in %.0f s: %s", pub.id, outcome.retry_in, error)
    else:
        log.warning("publication %s failed: %s", pub.id, outcome.why)
    return Move(pub.id, "sending", outcome.to, outcome.why, **fields), attempt


def _ended(
    pub_id: int, number: int, now: datetime, outcome: str, http: int | None
) -> dict[str, Any]:
    return {
        "b_pub": pub_id,
        "b_num": number,
        "b_end": now,
        "b_outcome": outcome,
        "b_http": http,
        "b_ext": None,
        "b_url": None,
        "b_error": None,
    }


def break_channel(s: Session, now: datetime, actor: str, pub: Facts, error: ChannelError) -> None:
    """Mark the publication's channel broken (credentials refused) and alert its agency."""
    row = s.get_one(ChannelRow, pub.channel_name)
    row.status, row.status_reason = "broken", str(error)
    audit.append(s, now, actor, "channel.broken", "channel", row.name, {"reason": str(error)})
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
        actor=actor,
    )
