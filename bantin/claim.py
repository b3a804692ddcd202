"""The claim: move a batch of due rows to `claimed` under a runner's lease."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, bindparam, literal_column, select, text
from sqlalchemy.sql.expression import BindParameter, ColumnClause, TextualSelect

from bantin.core import statemachine
from bantin.core.db import Database, UTCDateTime
from bantin.core.models import CLAIM_RANK_SQL, UNSENT_SQL, Campaign, Publication

#: The claim's priority order, spelled as the claim index spells it (see core.models).
_RANK_SQL = CLAIM_RANK_SQL.replace("priority", "publication.priority", 1)
CLAIM_RANK: ColumnClause[int] = literal_column(_RANK_SQL, Integer)
_SQLITE_CLAIM = (
    "SELECT publication.id, {rank} AS rank, publication.{at} "
    "FROM publication {indexed}"
    "JOIN campaign ON campaign.id = publication.campaign_id "
    "WHERE publication.{state} AND publication.{at} <= :now "
    "AND campaign.status = 'active' {held}"
    "ORDER BY {rank}, publication.{at}, publication.id LIMIT :batch"
)


def _sqlite_claim(retry: bool, held: bool) -> TextualSelect:
    """A claim read for SQLite, written once: unsent rows by due time through the claim
    index, or (`retry`) rows waiting to retry by their retry time; `held`: skipping the
    channels in a hold. Text, not an ORM select rebuilt and looked up in the statement
    cache on every claim."""
    at = "next_attempt_at" if retry else "due_at"
    index = "ix_publication_retry_due" if retry else "ix_publication_claim"
    sql = _SQLITE_CLAIM.format(
        rank=_RANK_SQL,
        at=at,
        indexed=f"INDEXED BY {index} ",
        state="status = 'retry_wait'" if retry else UNSENT_SQL,
        held="AND publication.channel_name NOT IN :held " if held else "",
    )
    params: list[BindParameter[Any]] = [
        bindparam("now", type_=UTCDateTime()),
        bindparam("batch", type_=Integer),
    ]
    if held:
        params.append(bindparam("held", expanding=True))
    return text(sql).bindparams(*params).columns(id=Integer, rank=Integer, **{at: UTCDateTime()})


#: {(retry?, held?): query}
_SQLITE_CLAIMS = {(r, h): _sqlite_claim(r, h) for r in (False, True) for h in (False, True)}
SQLITE_UNSENT_CLAIM = _SQLITE_CLAIMS[False, False]
SQLITE_RETRY_CLAIM = _SQLITE_CLAIMS[True, False]


def _orm_claims(now: datetime, batch: int, held: list[str]) -> tuple[Select[Any], Select[Any]]:
    """The unsent and the retry claims as ORM queries (PostgreSQL: row locks, skip locked)."""
    unsent = (
        select(Publication.id, CLAIM_RANK, Publication.due_at)
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .where(text(f"publication.{UNSENT_SQL}"), Publication.due_at <= now)
        .where(Campaign.status == "active")
        .order_by(CLAIM_RANK, Publication.due_at, Publication.id)
        .limit(batch)
    )
    retry = (
        select(Publication.id, CLAIM_RANK, Publication.next_attempt_at)
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .where(text("publication.status = 'retry_wait'"), Publication.next_attempt_at <= now)
        .where(Campaign.status == "active")
        .order_by(CLAIM_RANK, Publication.next_attempt_at, Publication.id)
        .limit(batch)
    )
    if held:
        unsent = unsent.where(Publication.channel_name.not_in(held))
        retry = retry.where(Publication.channel_name.not_in(held))
    return unsent, retry  # type: ignore[return-value]


def claim_batch(
    db: Database,
    runner_id: str,
    batch: int,
    lease_seconds: float,
    now: datetime,
    held: Sequence[str] = (),
) -> list[int]:
    """Move up to `batch` due rows to `claimed` under this runner's lease, skipping the
    channels in `held` (in a rate-limit hold).

    Two index-ordered reads, each stopping after a batch — unsent rows by (priority,
    due time) through `ix_publication_claim`, rows waiting to retry through
    `ix_publication_retry_due` — merged in claim order. One query with an OR over both
    sorted every due row: 0.5 s a claim with a million rows due.
    """
    held = list(held)
    args = {"now": now, "batch": batch} | ({"held": held} if held else {})
    with db.session() as s:
        if db.is_sqlite:
            # Without ANALYZE statistics SQLite prefers the (status, due_at) index and
            # sorts every due row; the claim index is always right for this query, and
            # SQLAlchemy renders no table hints for SQLite, hence the text.
            first = s.execute(_SQLITE_CLAIMS[False, bool(held)], args).all()
            second = s.execute(_SQLITE_CLAIMS[True, bool(held)], args).all()
        else:
            unsent, retry = _orm_claims(now, batch, held)
            unsent = unsent.with_for_update(skip_locked=True, of=Publication)
            retry = retry.with_for_update(skip_locked=True, of=Publication)
            first, second = s.execute(unsent).all(), s.execute(retry).all()
        found = [*first, *second]
        found.sort(key=lambda row: (row[1], row[2], row[0]))
        ids = [row[0] for row in found[:batch]]
        lease = now + timedelta(seconds=lease_seconds)
        moved = set(
            statemachine.move_many(
                s,
                ids,
                statemachine.CLAIMABLE,
                "claimed",
                now,
                runner_id,
                None,
                claimed_by=runner_id,
                lease_until=lease,
            )
        )
        return [i for i in ids if i in moved]  # keep priority order, not RETURNING's
