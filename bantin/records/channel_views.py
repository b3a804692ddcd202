"""Channels and alerts as the desk shows them: a channel's state, broken reason
(scrubbed), last success and last failure (two seeks of ix_publication_channel_sent per
channel; there are a few dozen), and the open alerts (one query, limited)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bantin.core.models import Alert, Channel, Publication
from bantin.core.scrub import scrub
from bantin.records.alert_views import alert_row

LOCAL = "%d/%m/%Y %H:%M"


SENT = {"published": text("status = 'published'"), "failed": text("status = 'failed'")}


def _last(session: Session, channel: str, status: str) -> Any:
    """The newest publication of `channel` in `status` ("published" or "failed"): one seek
    of the partial index ix_publication_channel_sent. The state is literal SQL, since the
    planner only uses a partial index when it can prove the query's terms imply it."""
    return session.execute(
        select(Publication.due_at, Publication.published_at, Publication.status_reason)
        .where(SENT[status], Publication.channel_name == channel)
        .order_by(Publication.due_at.desc())
        .limit(1)
    ).first()


def channel_rows(session: Session, tz: ZoneInfo, agency: str | None = None) -> list[dict[str, Any]]:
    """The channels of `agency` (None: all), by name."""
    q = select(Channel).order_by(Channel.name)
    if agency is not None:
        q = q.where(Channel.agency_code == agency)
    rows = []
    for ch in session.execute(q).scalars():
        ok, bad = _last(session, ch.name, "published"), _last(session, ch.name, "failed")
        rows.append(
            {
                "name": ch.name,
                "kind": ch.kind,
                "agency": ch.agency_code,
                "status": ch.status,
                "reason": scrub(ch.status_reason or ""),
                "last_success": (ok.published_at or ok.due_at).astimezone(tz).strftime(LOCAL)
                if ok
                else None,
                "last_failure": bad.due_at.astimezone(tz).strftime(LOCAL) if bad else None,
                "last_error": scrub(bad.status_reason or "") if bad else "",
            }
        )
    return rows


def open_alerts(
    session: Session, tz: ZoneInfo, agency: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Open alerts, newest first, with `when` as officials write it (dd/mm/yyyy HH:MM)."""
    q = select(Alert).where(Alert.resolved_at.is_(None)).order_by(Alert.id.desc()).limit(limit)
    if agency is not None:
        q = q.where(Alert.agency_code == agency)
    return [
        {**alert_row(a, tz), "when": a.at.astimezone(tz).strftime(LOCAL)}
        for a in session.execute(q).scalars()
    ]
