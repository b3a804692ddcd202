"""When a runner next needs to wake: the earliest due row, retry, lease end, hold end or
review, read without taking SQLite's write lock."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from bantin.core import statemachine
from bantin.core.db import Database
from bantin.core.models import Campaign, Publication


def next_wakeup(
    db: Database,
    now: datetime,
    review_lead: timedelta,
    holds: dict[str, datetime],
    ahead_by: timedelta = timedelta(0),
) -> datetime | None:
    """The earliest moment something will need the dispatcher.

    Rows of a channel in a hold (rate limit, provider pause) count from the hold's end:
    waking for them earlier would only claim them and put them back. With rows made ready
    ahead (bantin.ahead), the first unsent row wakes the runner `ahead_by` before its time,
    unless that moment has passed (the pass just made ready what it could of it). A read:
    it never takes SQLite's write lock.
    """
    free = Publication.channel_name.not_in(list(holds)) if holds else None
    with db.read() as s:
        active = select(Campaign.id).where(Campaign.status == "active")
        due = select(func.min(Publication.due_at)).where(
            Publication.status.in_(statemachine.UNSENT), Publication.campaign_id.in_(active)
        )
        retry = select(func.min(Publication.next_attempt_at)).where(
            Publication.status == "retry_wait", Publication.campaign_id.in_(active)
        )
        if free is not None:
            due, retry = due.where(free), retry.where(free)
        first_due = s.scalar(due)
        if first_due is not None and first_due - ahead_by > now:
            first_due -= ahead_by
        candidates = [
            first_due,
            s.scalar(retry),
            s.scalar(
                select(func.min(Publication.lease_until)).where(
                    Publication.status.in_(("claimed", "sending"))
                )
            ),
            min(holds.values()) if holds else None,
        ]
        review = s.scalar(
            select(func.min(Publication.due_at)).where(
                Publication.status == "planned",
                Publication.needs_approval.is_(True),
                Publication.due_at > now + review_lead,
                Publication.campaign_id.in_(active),
            )
        )
    if review is not None:
        candidates.append(review - review_lead)
    found = [c for c in candidates if c is not None]
    return min(found) if found else None
