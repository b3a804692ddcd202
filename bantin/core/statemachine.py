"""Publication states and the only legal moves between them; every move is audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, literal_column, select, update
from sqlalchemy.orm import Session

from bantin.core import audit
from bantin.core import states as core_states
from bantin.core.errors import BantinError
from bantin.core.models import Publication
from bantin.core.scrub import scrub

CLAIMABLE = core_states.CLAIMABLE
UNSENT = core_states.UNSENT
ALLOWED = core_states.ALLOWED


class IllegalTransition(BantinError, ValueError):
    def __init__(self, pub_id: int, frm: str, to: str) -> None:
        super().__init__(f"publication {pub_id}: cannot go from {frm} to {to}")


def move(
    session: Session,
    pub: Publication,
    to: str,
    now: datetime,
    actor: str,
    reason: str | None = None,
    **fields: Any,
) -> None:
    """Change one publication's state in the caller's transaction, with its audit event."""
    frm = pub.status
    if to not in ALLOWED[core_states.PublicationState(frm)]:
        raise IllegalTransition(pub.id, frm, to)
    reason = scrub(reason) if reason else reason  # reasons quote servers; servers echo secrets
    pub.status = to
    pub.status_reason = reason
    pub.updated_at = now
    for key, value in fields.items():
        setattr(pub, key, value)
    data: dict[str, Any] = {"from": frm, "to": to}
    if reason:
        data["reason"] = reason
    audit.append(session, now, actor, f"publication.{to}", "publication", pub.id, data)


#: `+status` (SQLite only; PostgreSQL has no unary plus on text): the unary plus keeps
#: SQLite from looking rows up through the (status, due_at) index. With many rows in a
#: state it would walk all of them instead of fetching the given ids by primary key
#: (0.75 ms instead of 100 ms for 64 rows of a million).
_STATUS_NOT_INDEXED = literal_column("+publication.status", String)


def move_many(
    session: Session,
    ids: Sequence[int],
    frm: Sequence[str],
    to: str,
    now: datetime,
    actor: str,
    reason: str | None = None,
    **fields: Any,
) -> list[int]:
    """Bulk move of the rows among `ids` still in one of `frm`; returns the ids moved."""
    if not ids:
        return []
    for f in frm:
        if to not in ALLOWED[core_states.PublicationState(f)]:
            raise IllegalTransition(-1, f, to)
    reason = scrub(reason) if reason else reason
    status = (
        _STATUS_NOT_INDEXED if session.get_bind().dialect.name == "sqlite" else Publication.status
    )
    moved: list[int] = []
    records: list[audit.AuditRecord] = []
    for chunk_start in range(0, len(ids), 500):
        chunk = list(ids[chunk_start : chunk_start + 500])
        before = dict(
            session.execute(
                select(Publication.id, Publication.status).where(
                    Publication.id.in_(chunk), status.in_(frm)
                )
            ).all()
        )
        rows = session.execute(
            update(Publication)
            .where(Publication.id.in_(chunk), status.in_(frm))
            .values(status=to, status_reason=reason, updated_at=now, **fields)
            .returning(Publication.id)
        ).all()
        for (pub_id,) in rows:
            moved.append(pub_id)
            data: dict[str, Any] = {"from": before.get(pub_id), "to": to}
            if reason:
                data["reason"] = reason
            records.append(
                audit.AuditRecord(now, actor, f"publication.{to}", "publication", str(pub_id), data)
            )
    audit.append_many(session, records)
    return moved
