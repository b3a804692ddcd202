"""Publication states and the only legal moves between them; every move is audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, literal_column, select, update
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
                audit.AuditRecord(
                    now, actor, f"publication.{to}", "publication", str(pub_id), data, clean=True
                )
            )
    audit.append_many(session, records)
    return moved


class Move:
    """One publication's move in a batch: from the state read under lock, to `to`."""

    __slots__ = ("fields", "frm", "pub_id", "reason", "to")

    def __init__(
        self, pub_id: int, frm: str, to: str, reason: str | None = None, **fields: Any
    ) -> None:
        self.pub_id, self.frm, self.to, self.fields = pub_id, frm, to, fields
        self.reason = scrub(reason) if reason else reason


def apply_moves(session: Session, moves: Sequence[Move], now: datetime, actor: str) -> None:
    """Many publications' moves in the caller's transaction: one executemany UPDATE per
    shape of fields and ONE audit append (one head update) for them all.

    The caller read each row's state under lock (`frm`) in the same transaction; the
    UPDATE still checks it, so a move of a row that changed meanwhile fails loudly.
    """
    if not moves:
        return
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    records: list[audit.AuditRecord] = []
    for m in moves:
        if m.to not in ALLOWED[core_states.PublicationState(m.frm)]:
            raise IllegalTransition(m.pub_id, m.frm, m.to)
        keys = tuple(sorted(m.fields))
        groups.setdefault(keys, []).append(
            {"b_id": m.pub_id, "b_frm": m.frm, "b_to": m.to, "b_reason": m.reason}
            | {f"b_{k}": v for k, v in m.fields.items()}
        )
        data: dict[str, Any] = {"from": m.frm, "to": m.to}
        if m.reason:
            data["reason"] = m.reason
        records.append(
            audit.AuditRecord(
                now, actor, f"publication.{m.to}", "publication", str(m.pub_id), data, clean=True
            )
        )
    table = cast(Table, Publication.__table__)
    conn = session.connection()
    for keys, params in groups.items():
        stmt = (
            table.update()
            .where(table.c.id == bindparam("b_id"), table.c.status == bindparam("b_frm"))
            .values(
                status=bindparam("b_to"),
                status_reason=bindparam("b_reason"),
                updated_at=now,
                **{k: bindparam(f"b_{k}") for k in keys},
            )
        )
        done = conn.execute(stmt, params).rowcount
        if done not in (-1, len(params)):
            raise BantinError(f"{len(params) - done} publications changed state under a lock")
    audit.append_many(session, records)
