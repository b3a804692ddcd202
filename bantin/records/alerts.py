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
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin import outbound
from bantin.channels.base import ChannelError, ConfigError, mask_url, query_params
from bantin.channels.secrets import Lookup, resolve, scrub
from bantin.channels.webhook import WebhookChannel
from bantin.config import DEFAULT_TZ
from bantin.db import Database
from bantin.models import Agency, AgencySetting, Alert
from bantin.records import audit
from bantin.records.alert_views import alert_fields
from bantin.secretstore import StoreLookup, get_secret

log = logging.getLogger(__name__)

KIND_TITLES = {
    "channel_broken": "Kênh ngừng hoạt động",
    "publication_failed": "Tin không gửi được",
}
NO_ADDRESS = "no notify address for this agency (bantin agency notify CODE URL)"
SMTP_TIMEOUT = 10.0


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


def resolve_alert(session: Session, alert_id: int, now: datetime, actor: str) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise ConfigError(f"no alert with id {alert_id}")
    if alert.resolved_at is None:
        alert.resolved_at = now
        audit.append(session, now, actor, "alert.resolved", "alert", alert.id, {})
    return alert


# -- where alerts go ---------------------------------------------------------------------


@dataclass(frozen=True)
class MailTarget:
    to: list[str]
    host: str
    port: int
    sender: str
    user: str | None
    password_ref: str | None
    starttls: bool
    timeout: float
    smtps: bool = False  # TLS from the first byte (port 465), instead of STARTTLS


YES = ("1", "true", "yes")


def parse_mailto(url: str) -> MailTarget:
    """`mailto:a@x.vn[,b@x.vn]?smtp=HOST:PORT[&from=…][&user=…&password=env:V]
    [&starttls=1|&smtps=1]`. A password travels only encrypted (or to a test server on an
    allowed loopback address, as for http in bantin.outbound)."""
    parts = urlsplit(url)
    params = query_params("mailto:", parts.query)
    to = [a.strip() for a in parts.path.split(",") if a.strip()]
    if not to or not all("@" in a for a in to):
        raise ConfigError("mailto: needs at least one address, e.g. mailto:ops@example.vn")
    host, _, port = params.pop("smtp", "localhost:25").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError("mailto: smtp must be HOST:PORT, e.g. smtp=127.0.0.1:25")
    password = params.pop("password", None)
    user = params.pop("user", None)
    if bool(user) != bool(password):
        raise ConfigError("mailto: give user and password together, or neither")
    try:
        timeout = float(params.pop("timeout", SMTP_TIMEOUT))
    except ValueError:
        raise ConfigError("mailto: timeout must be a number of seconds") from None
    target = MailTarget(
        to=to,
        host=host,
        port=int(port),
        sender=params.pop("from", f"bantin@{socket.gethostname()}"),
        user=user,
        password_ref=password,
        starttls=params.pop("starttls", "0") in YES,
        timeout=timeout,
        smtps=params.pop("smtps", "0") in YES,
    )
    if params:
        raise ConfigError(f"mailto: unknown parameter(s) {', '.join(sorted(params))}")
    if target.starttls and target.smtps:
        raise ConfigError("mailto: give starttls or smtps, not both")
    if password and not (target.starttls or target.smtps):
        _plain_login_allowed(target.host)
    return target


def _plain_login_allowed(host: str) -> None:
    """A login over unencrypted SMTP only to a test server on an allowed loopback address."""
    try:
        outbound.check_static(f"http://{host}", secret=True)
    except ConfigError:
        raise ConfigError(
            f"mailto: a password needs an encrypted connection: add starttls=1 (port 587) or "
            f"smtps=1 (port 465); {host} would receive it in clear text"
        ) from None


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


class NotifyError(Exception):
    """A notification did not go out; the message is fit to store (secrets masked)."""


def send(batch: Batch, lookup: Lookup | None = None) -> dict[int, str | None]:
    """Deliver one agency's alerts; alert id -> None when delivered, else the reason."""
    ids = [a["id"] for a in batch.alerts]
    if not batch.url:
        return dict.fromkeys(ids, NO_ADDRESS)
    if batch.url.startswith("mailto:"):
        try:
            _send_mail(batch, parse_mailto(batch.url), lookup)
        except (ConfigError, NotifyError) as exc:
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


def _send_mail(batch: Batch, target: MailTarget, lookup: Lookup | None) -> None:
    msg = EmailMessage()
    n = len(batch.alerts)
    msg["Subject"] = f"[bantin] {n} cảnh báo cho {batch.agency}"
    msg["From"] = target.sender
    msg["To"] = ", ".join(target.to)
    lines = [f"bantin có {n} cảnh báo mới cho cơ quan {batch.agency}:", ""]
    for a in batch.alerts:
        title = KIND_TITLES.get(a["kind"], a["kind"])
        lines.append(f"#{a['id']} {a['at_local']} {title}: {a['message']}")
    lines += ["", "Xem: bantin alerts list --agency " + batch.agency]
    lines.append("Đã xử lý: bantin alerts resolve ID")
    msg.set_content("\n".join(lines))
    password = resolve(target.password_ref, lookup) if target.password_ref else ""
    where = f"mail to {target.host}:{target.port}"
    try:
        outbound.check_smtp(target.host, target.port)
    except ConfigError as exc:
        raise NotifyError(f"{where} refused: {exc}") from None
    except OSError as exc:  # a name that does not resolve
        raise NotifyError(f"{where} failed: {exc}") from None
    try:
        with _connect(target) as smtp:
            if target.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if target.user:
                smtp.login(target.user, password)
            smtp.send_message(msg)
    except UnicodeError:
        # smtplib sends AUTH PLAIN as ASCII; the error would quote the offending text.
        raise NotifyError(
            f"mail to {target.host}:{target.port} failed: the SMTP user or password is not "
            "plain ASCII, which SMTP login cannot carry"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        # An SMTP server's answer may quote what it was sent: mask before it is stored.
        reason = scrub(f"{type(exc).__name__}: {exc}", password)[:500]
        raise NotifyError(f"mail to {target.host}:{target.port} failed: {reason}") from None


def _connect(target: MailTarget) -> smtplib.SMTP:
    if target.smtps:
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(target.host, target.port, timeout=target.timeout, context=context)
    return smtplib.SMTP(target.host, target.port, timeout=target.timeout)


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
