"""An alert as plain fields, in one place: what a notification carries (`alert_fields`,
used by `records.alerts.collect`) and what `bantin alerts list` and the web desk show
(`alert_rows`), so the two never drift apart."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.core.models import Alert

LOCAL = "%Y-%m-%d %H:%M"


def alert_fields(alert: Alert, tz: ZoneInfo) -> dict[str, Any]:
    """What a person needs to act on an alert: when, whose, what broke, which channel."""
    return {
        "id": alert.id,
        "at": alert.at.isoformat(),
        "at_local": alert.at.astimezone(tz).strftime(LOCAL),
        "agency": alert.agency_code,
        "kind": alert.kind,
        "message": alert.message,
        "channel": alert.channel_name,
        "publication": alert.publication_id,
    }


def alert_row(alert: Alert, tz: ZoneInfo) -> dict[str, Any]:
    """`alert_fields` plus whether (and when) it was notified and resolved."""
    if alert.notified_at is not None:
        notified = alert.notified_at.astimezone(tz).strftime(LOCAL)
    else:
        notified = f"not yet: {alert.notify_error}" if alert.notify_error else "pending"
    return {
        **alert_fields(alert, tz),
        "notified_at": alert.notified_at.isoformat() if alert.notified_at else None,
        "notify_error": alert.notify_error,
        "notified": notified,
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "resolved": "yes" if alert.resolved_at else "",
    }


def alert_rows(
    session: Session, tz: ZoneInfo, *, agency: str | None = None, include_resolved: bool = False
) -> list[dict[str, Any]]:
    """Alerts newest first: open ones unless `include_resolved`, optionally of one agency."""
    query = select(Alert).order_by(Alert.id.desc())
    if agency:
        query = query.where(Alert.agency_code == agency)
    if not include_resolved:
        query = query.where(Alert.resolved_at.is_(None))
    return [alert_row(a, tz) for a in session.execute(query).scalars()]
