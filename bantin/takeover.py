"""Fast takeover: give a dead runner's claims back within seconds, not a lease.

A claim (`claimed` or `sending`) carries a lease, by default 120 s, after which any
runner's recovery sweep (bantin.recovery) releases or reconciles it. Waiting out the lease
is only needed when nobody can tell whether the claimer is alive. Two cases can:

- SQLite: the runner that holds the run lock (bantin.runlock) is the only one alive on
  that file, so every claim by another runner id belongs to a dead process. At start it
  expires them all at once.
- PostgreSQL: every runner writes a heartbeat row every few seconds (bantin.heartbeat).
  A runner whose heartbeat is older than `takeover_after_seconds` (default 15 s) is dead
  or cut off; any live runner expires its leases. A runner that never wrote a heartbeat
  (an older bantin, a `dispatch --once`) is left to its lease.

Expiring is only moving `lease_until` into the past: the row's state, attempt and audit
trail stay as they are, and the ordinary recovery sweep then settles it with every
guarantee it already keeps (a `sending` row is reconciled, never blindly resent).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bantin.core.account_models import RunnerHeartbeat
from bantin.core.db import Database
from bantin.core.models import Publication

log = logging.getLogger(__name__)

CLAIMED = ("claimed", "sending")
#: How far into the past an expired lease is put, so a sweep on a runner whose clock is a
#: little behind sees it too.
EXPIRED_BY = timedelta(seconds=1)


def expire_claims_of(db: Database, runners: list[str], now: datetime) -> int:
    """Move the leases of `runners`' live claims into the past; returns how many."""
    if not runners:
        return 0
    with db.session() as s:
        result = s.execute(
            update(Publication)
            .where(
                Publication.status.in_(CLAIMED),
                Publication.claimed_by.in_(runners),
                Publication.lease_until >= now,
            )
            .values(lease_until=now - EXPIRED_BY)
            .execution_options(synchronize_session=False)
        )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        log.warning("took over %d claims of stopped runner(s) %s", count, ", ".join(runners))
    return count


def expire_all_but(db: Database, me: str, now: datetime) -> int:
    """SQLite, under the run lock: every other runner's claims are a dead runner's."""
    with db.read() as s:
        others = list(
            s.execute(
                select(Publication.claimed_by)
                .where(
                    Publication.status.in_(CLAIMED),
                    Publication.claimed_by.is_not(None),
                    Publication.claimed_by != me,
                )
                .distinct()
            ).scalars()
        )
    return expire_claims_of(db, [r for r in others if r], now)


def stale_runners(db: Database, me: str, now: datetime, after: timedelta) -> list[str]:
    """Runners (not `me`) whose last heartbeat is older than `after`."""
    with db.read() as s:
        return list(
            s.execute(
                select(RunnerHeartbeat.runner).where(
                    RunnerHeartbeat.beat_at < now - after, RunnerHeartbeat.runner != me
                )
            ).scalars()
        )


def expire_stale(db: Database, me: str, now: datetime, after: timedelta) -> int:
    """PostgreSQL: expire the claims of every runner whose heartbeat went stale."""
    return expire_claims_of(db, stale_runners(db, me, now, after), now)
