"""Alerts: nothing stops silently. A broken channel or a failed publication becomes a row
that a person sees (`bantin alerts list`) and is told about (the agency's notify URL).

An agency's `AgencySetting.notify_url` is either the signed webhook of the channels
(`webhook+https://ops.example.vn/alerts?secret=secret:OPS`, one POST per alert, JSON of
the alert's fields) or `mailto:` (one e-mail per agency per round, listing every new
alert). An agency without one falls back to its successor's (STTTT -> SKHCN). Delivery is
at least once: a failure is written to `notify_error` and tried again next round, and a
round is idempotent per alert on the webhook side (`Idempotency-Key: alert-<id>`).

The network is never touched inside a transaction that other writers wait on:
`notify_due` reads in one short session, sends outside, records in another.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.channels.base import ChannelError
from bantin.channels.mail import MailChannel, parse_mailto
from bantin.channels.mail import MailTarget as MailTarget  # where callers found it
from bantin.channels.webhook import WebhookChannel
from bantin.config import DEFAULT_TZ
from bantin.core import audit
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import Agency, AgencySetting, Alert
from bantin.core.scrub import mask_url
from bantin.records.alert_views import alert_fields
from bantin.secrets.resolve import Lookup, scrub
from bantin.secrets.store import StoreLookup, get_secret

log = logging.getLogger(__name__)

KIND_TITLES = {
    "channel_broken": "Kênh ngừng hoạt động",
    "publication_failed": "Tin không gửi được",
}
NO_ADDRESS = "no notify address for this agency (bantin agency notify CODE URL)"


def raise_alert(
    session: Session,
    now: datetime,
    agency_code: str,
    kind: str,
    message: str,
    channel_name: str | None = None,
    publication_id: int | None = None,
    *,
    actor: str = "bantin",
) -> Alert:
    """Record an alert and its audit event in the caller's transaction."""
    message = scrub(message)
    alert = Alert(
        at=now,
        agency_code=agency_code,
        kind=kind,
        message=message,
        channel_name=channel_name,
        publication_id=publication_id,
    )
    session.add(alert)
    session.flush()
    data: dict[str, Any] = {"agency": agency_code, "kind": kind, "message": message}
    if channel_name:
        data["channel"] = channel_name
    if publication_id is not None:
        data["publication"] = publication_id
    audit.append(session, now, actor, "alert.raised", "alert", alert.id, data)
    log.warning("alert %s for %s (%s): %s", alert.id, agency_code, kind, message)
    return alert


def resolve_alert(
    session: Session, alert_id: int, now: datetime, actor: str, note: str | None = None
) -> Alert:
    """Mark an alert resolved (once); `note` (what was done) goes into the audit event."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise ConfigError(f"no alert with id {alert_id}")
    if alert.resolved_at is None:
        alert.resolved_at = now
        data = {"note": note} if note else {}
        audit.append(session, now, actor, "alert.resolved", "alert", alert.id, data)
    return alert


# -- where alerts go ---------------------------------------------------------------------


def check_notify_url(url: str, agency: str = "agency") -> str:
    """Validate a notify URL; returns it masked for display. Secrets must be references."""
    if url.startswith("mailto:"):
        parse_mailto(url)
        return mask_url(url)
    if url.startswith("webhook+"):
        return WebhookChannel(f"notify-{agency}", url).url(privacy=True)
    raise ConfigError("a notify URL is webhook+https://…?secret=env:VAR or mailto:…")


def set_notify_url(session: Session, agency: str, url: str, now: datetime, actor: str) -> str:
    """Store where `agency`'s alerts go; returns the URL as shown (secrets masked)."""
    if session.get(Agency, agency) is None:
        raise ConfigError(f"unknown agency {agency!r} (see `bantin agencies list`)")
    shown = check_notify_url(url, agency)
    row = session.get(AgencySetting, agency)
    if row is None:
        session.add(AgencySetting(agency_code=agency, notify_url=url))
    else:
        row.notify_url = url
    audit.append(session, now, actor, "agency.notify_set", "agency", agency, {"url": shown})
    return shown


def notify_url_for(session: Session, agency_code: str) -> str | None:
    """The agency's notify URL, or its successor's when it has none (at most 5 steps)."""
    code: str | None = agency_code
    for _ in range(5):
        if code is None:
            return None
        setting = session.get(AgencySetting, code)
        if setting is not None and setting.notify_url:
            return setting.notify_url
        agency = session.get(Agency, code)
        code = agency.successor_code if agency is not None else None
    return None


# -- delivering ------------------------------------------------------------------------


@dataclass
class Batch:
    """The pending alerts of one agency, read out of the database."""

    agency: str
    url: str | None
    alerts: list[dict[str, Any]]


@dataclass
class NotifyStats:
    sent: int = 0
    failed: int = 0
    errors: dict[int, str] = field(default_factory=dict)


def collect(session: Session, tz: ZoneInfo | None = None) -> list[Batch]:
    """Alerts not yet notified nor resolved, by agency, with where each agency's go."""
    zone = tz or ZoneInfo(DEFAULT_TZ)
    pending = session.execute(
        select(Alert)
        .where(Alert.notified_at.is_(None), Alert.resolved_at.is_(None))
        .order_by(Alert.agency_code, Alert.id)
    ).scalars()
    batches: dict[str, Batch] = {}
    for alert in pending:
        batch = batches.get(alert.agency_code)
        if batch is None:
            url = notify_url_for(session, alert.agency_code)
            batch = batches[alert.agency_code] = Batch(alert.agency_code, url, [])
        batch.alerts.append(alert_fields(alert, zone))
    return list(batches.values())


def send(batch: Batch, lookup: Lookup | None = None) -> dict[int, str | None]:
    """Deliver one agency's alerts; alert id -> None when delivered, else the reason."""
    ids = [a["id"] for a in batch.alerts]
    if not batch.url:
        return dict.fromkeys(ids, NO_ADDRESS)
    if batch.url.startswith("mailto:"):
        try:
            MailChannel(f"notify-{batch.agency}", batch.url).send_text(
                *mail_text(batch), lookup=lookup
            )
        except (ConfigError, ChannelError) as exc:
            return dict.fromkeys(ids, scrub(str(exc))[:500])
        return dict.fromkeys(ids)
    try:
        hook = WebhookChannel(f"notify-{batch.agency}", batch.url)
    except ConfigError as exc:
        return dict.fromkeys(ids, f"notify URL unusable: {exc}")
    results: dict[int, str | None] = {}
    try:
        for alert in batch.alerts:
            try:
                hook.send_json(alert, f"alert-{alert['id']}", lookup=lookup)
                results[alert["id"]] = None
            except (ChannelError, ConfigError) as exc:
                results[alert["id"]] = scrub(str(exc))[:500]
    finally:
        hook.close()
    return results


def mail_text(batch: Batch) -> tuple[str, str]:
    """(subject, text) of the one message that lists an agency's new alerts."""
    n = len(batch.alerts)
    lines = [f"bantin có {n} cảnh báo mới cho cơ quan {batch.agency}:", ""]
    for a in batch.alerts:
        title = KIND_TITLES.get(a["kind"], a["kind"])
        lines.append(f"#{a['id']} {a['at_local']} {title}: {a['message']}")
    lines += ["", "Xem: bantin alerts list --agency " + batch.agency]
    lines.append("Đã xử lý: bantin alerts resolve ID")
    return f"[bantin] {n} cảnh báo cho {batch.agency}", "\n".join(lines)


def _send_guarded(batch: Batch, lookup: Lookup | None) -> dict[int, str | None]:
    """`send`, but a bug for one agency must not keep the others' alerts from going out."""
    try:
        return send(batch, lookup)
    except Exception as exc:
        log.exception("notifying %s failed unexpectedly", batch.agency)
        return {a["id"]: f"unexpected error: {type(exc).__name__}" for a in batch.alerts}


def record(session: Session, results: dict[int, str | None], now: datetime) -> NotifyStats:
    stats = NotifyStats()
    for alert_id, error in results.items():
        alert = session.get(Alert, alert_id)
        if alert is None:
            continue
        if error is None:
            alert.notified_at, alert.notify_error = now, None
            stats.sent += 1
        else:
            alert.notify_error = error
            stats.failed += 1
            stats.errors[alert_id] = error
    if stats.failed:
        log.warning("%d alert(s) could not be notified; retrying next round", stats.failed)
    return stats


def notify_pending(
    session: Session, now: datetime, *, tz: ZoneInfo | None = None, lookup: Lookup | None = None
) -> NotifyStats:
    """Deliver every pending alert within the caller's session (holds it while sending)."""

    def in_session(name: str) -> str:
        return get_secret(session, name)

    results: dict[int, str | None] = {}
    for batch in collect(session, tz):
        results.update(_send_guarded(batch, lookup or in_session))
    return record(session, results, now)


def notify_due(
    db: Database, now: datetime, tz: ZoneInfo | None = None, home: Path | None = None
) -> NotifyStats:
    """`notify_pending` for the runner: no transaction is held during the network calls."""
    with db.session() as s:
        batches = collect(s, tz)
    if not batches:
        return NotifyStats()
    lookup = StoreLookup(db, home)
    results: dict[int, str | None] = {}
    for batch in batches:
        results.update(_send_guarded(batch, lookup))
    with db.session() as s:
        return record(s, results, now)
