"""Broadcast receipts: culture staff confirm that a radio script was aired in a unit.

Dispatch can only prove that a bulletin reached a channel (a file, a platform); whether a
commune actually played it on its loudspeakers is something a person reports. The CLI
(`bantin receipts add`) and the web form (`POST /loa/receipts`) both call `add_receipt`, so
the checks, the error messages (Vietnamese first, for the staff, then English) and the
audit event are the same whichever way a receipt comes in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bantin.core import audit
from bantin.core.errors import BantinError
from bantin.core.models import BroadcastReceipt, Campaign, Publication, Unit

#: Atom entry ids of the loudspeaker feed are this prefix plus the idempotency key (an
#: Atom id must be an IRI); a client may send either form back as `key`.
ENTRY_ID_PREFIX = "urn:bantin:pub:"
#: How far ahead of our clock a reported airing time may be (a phone's clock drifts).
CLOCK_TOLERANCE = timedelta(minutes=10)
# A bulletin is confirmed for the slot it was scheduled in: culture staff may air it a
# little early from the printed sheet, or report a day late, but not days apart.
EARLY_AIRING = timedelta(hours=1)
LATE_AIRING = timedelta(days=1)
SOURCES = ("cli", "web", "api")
#: Longest text kept (reported_by is a String(128) column); the web checks every field.
MAX_REPORTED_BY = 128
MAX_NOTE = 1000
#: A loudspeaker bulletin runs minutes; a day is a generous ceiling for a typo.
MAX_DURATION_SECONDS = 86_400.0


class ReceiptError(BantinError, ValueError):
    """A receipt that cannot be recorded; `status` is the HTTP answer the web gives."""

    status = 400

    def __init__(self, vi: str, en: str, *, existing: dict[str, Any] | None = None) -> None:
        super().__init__(f"{vi} ({en})")
        self.vi, self.en, self.existing = vi, en, existing

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"error": self.en, "loi": self.vi, "message": str(self)}
        if self.existing is not None:
            doc["receipt"] = self.existing
        return doc


class PublicationNotFound(ReceiptError):
    status = 404


class AlreadyConfirmed(ReceiptError):
    status = 409


@dataclass(frozen=True)
class ReceiptInput:
    """A report as typed by a person; exactly one of `publication_id` and `key`."""

    unit_code: str
    reported_by: str
    source: str
    publication_id: int | None = None
    key: str | None = None
    aired_at: datetime | None = None
    duration_seconds: float | None = None
    note: str | None = None
    #: Who is accountable in the audit trail: the CLI's actor, or the web token
    #: ("unit 29641 token #3 (label)"); `reported_by` when not given.
    actor: str | None = None


def parse_local(text: str, tz: ZoneInfo) -> datetime:
    """An ISO date-time as staff write it; without an offset it is local time."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReceiptError(
            f"Thời điểm phát {text!r} không hợp lệ, hãy ghi dạng 2026-12-03T05:30",
            f"aired_at {text!r} is not an ISO date-time such as 2026-12-03T05:30",
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _publication(session: Session, inp: ReceiptInput) -> Publication:
    if (inp.publication_id is None) == (not inp.key):
        raise ReceiptError(
            "Cần ghi mã bản tin (publication) hoặc khóa (key), chỉ một trong hai",
            "give exactly one of publication (id) or key (idempotency key)",
        )
    if inp.publication_id is not None:
        pub = session.get(Publication, inp.publication_id)
        wanted = str(inp.publication_id)
    else:
        wanted = (inp.key or "").strip().removeprefix(ENTRY_ID_PREFIX)
        # The key is not indexed (see models.Publication), so this scans; receipts are a
        # few hundred a day, which a scan serves well enough.
        pub = session.execute(
            select(Publication).where(Publication.idempotency_key == wanted)
        ).scalar_one_or_none()
    if pub is None:
        raise PublicationNotFound(f"Không tìm thấy bản tin {wanted}", f"no publication {wanted}")
    return pub


def _check(session: Session, pub: Publication, inp: ReceiptInput, now: datetime) -> Unit:
    kind = session.get_one(Campaign, pub.campaign_id).kind
    if kind != "radio_script":
        raise ReceiptError(
            f"Bản tin {pub.id} không phải kịch bản phát thanh (loại {kind}), không thể xác nhận "
            "đã phát trên loa",
            f"publication {pub.id} is a {kind}, not a radio script: only radio scripts are "
            "aired on loudspeakers",
        )
    if pub.status in ("cancelled", "failed"):
        raise ReceiptError(
            f"Bản tin {pub.id} đã bị hủy hoặc không gửi được ({pub.status})",
            f"publication {pub.id} is {pub.status}: it cannot have been aired",
        )
    if pub.status != "published":
        raise ReceiptError(
            f"Bản tin {pub.id} chưa được phát hành ({pub.status}), chưa thể xác nhận đã phát",
            f"publication {pub.id} is {pub.status}, not published: only a published "
            "bulletin can be confirmed",
        )
    unit = session.get(Unit, inp.unit_code)
    if unit is None:
        raise ReceiptError(
            f"Không có đơn vị mã {inp.unit_code}", f"no unit with code {inp.unit_code}"
        )
    # A page-wide script (no unit) may be aired anywhere; otherwise only where it was sent.
    if pub.unit_code is not None and pub.unit_code != unit.code:
        target = session.get_one(Unit, pub.unit_code)
        raise ReceiptError(
            f"Bản tin {pub.id} dành cho {target.name} ({target.code}), không dành cho "
            f"{unit.name} ({unit.code})",
            f"publication {pub.id} is for unit {target.code}, not {unit.code}",
        )
    _check_text(inp)
    if inp.aired_at is not None and inp.aired_at > now + CLOCK_TOLERANCE:
        raise ReceiptError(
            "Thời điểm phát ở tương lai: chỉ xác nhận sau khi đã phát",
            "aired_at is in the future: confirm a broadcast after it is aired",
        )
    aired = inp.aired_at or now
    if not pub.due_at - EARLY_AIRING <= aired <= pub.due_at + LATE_AIRING:
        raise ReceiptError(
            "Thời điểm phát không khớp lịch của bản tin (sớm nhất 1 giờ trước, muộn nhất "
            "1 ngày sau giờ phát)",
            f"aired_at is outside the publication's slot (from 1 h before to 1 day after "
            f"{pub.due_at.isoformat()})",
        )
    if inp.source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {inp.source!r}")
    return unit


def _check_text(inp: ReceiptInput) -> None:
    """Name, note and duration within bounds (NaN and infinity are not durations)."""
    seconds = inp.duration_seconds
    if seconds is not None and not 0 <= seconds <= MAX_DURATION_SECONDS:  # NaN fails too
        raise ReceiptError(
            "Thời lượng phải từ 0 đến 86400 giây",
            "duration must be from 0 to 86400 seconds",
        )
    if not inp.reported_by.strip():
        raise ReceiptError("Cần ghi tên người phát", "reported_by is required")
    if len(inp.reported_by) > MAX_REPORTED_BY:
        raise ReceiptError(
            f"Tên người phát dài quá {MAX_REPORTED_BY} ký tự",
            f"reported_by is longer than {MAX_REPORTED_BY} characters",
        )
    if inp.note and len(inp.note) > MAX_NOTE:
        raise ReceiptError(
            f"Ghi chú dài quá {MAX_NOTE} ký tự", f"note is longer than {MAX_NOTE} characters"
        )


def receipt_dict(
    receipt: BroadcastReceipt, pub: Publication | None, unit_name: str | None, tz: ZoneInfo
) -> dict[str, Any]:
    """A receipt as the CLI prints it and the web answers it (times UTC and local)."""
    return {
        "id": receipt.id,
        "publication_id": receipt.publication_id,
        "key": pub.idempotency_key if pub else None,
        "campaign": pub.campaign_id if pub else None,
        "title": pub.title if pub else None,
        "due_local": pub.due_at.astimezone(tz).isoformat() if pub else None,
        "unit": receipt.unit_code,
        "unit_name": unit_name,
        "aired_at": receipt.aired_at.isoformat(),
        "aired_local": receipt.aired_at.astimezone(tz).isoformat(),
        "duration_seconds": receipt.duration_seconds,
        "reported_by": receipt.reported_by,
        "source": receipt.source,
        "note": receipt.note,
        "recorded_at": receipt.recorded_at.isoformat(),
    }


def _existing(session: Session, pub: Publication, unit: Unit) -> BroadcastReceipt | None:
    return session.execute(
        select(BroadcastReceipt).where(
            BroadcastReceipt.publication_id == pub.id, BroadcastReceipt.unit_code == unit.code
        )
    ).scalar_one_or_none()


def _already(
    pub: Publication, unit: Unit, found: BroadcastReceipt, tz: ZoneInfo
) -> AlreadyConfirmed:
    when = found.aired_at.astimezone(tz).strftime("%H:%M %d/%m/%Y")
    return AlreadyConfirmed(
        f"Bản tin {pub.id} đã được xác nhận phát tại {unit.name} lúc {when} "
        f"(người phát: {found.reported_by})",
        f"publication {pub.id} was already confirmed for unit {unit.code}",
        existing=receipt_dict(found, pub, unit.name, tz),
    )


def add_receipt(session: Session, inp: ReceiptInput, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """Record that `inp.unit_code` aired a publication; one receipt per (publication, unit).

    Raises `ReceiptError` (400), `PublicationNotFound` (404) or `AlreadyConfirmed` (409).
    The audit event is written in the same transaction as the receipt.
    """
    pub = _publication(session, inp)
    unit = _check(session, pub, inp, now)
    found = _existing(session, pub, unit)
    if found is not None:
        raise _already(pub, unit, found, tz)
    receipt = BroadcastReceipt(
        publication_id=pub.id,
        unit_code=unit.code,
        agency_code=pub.agency_code,
        aired_at=(inp.aired_at or now).astimezone(UTC),
        duration_seconds=inp.duration_seconds,
        reported_by=inp.reported_by.strip(),
        source=inp.source,
        note=(inp.note or "").strip() or None,
        recorded_at=now,
    )
    try:
        with session.begin_nested():  # two staff confirming at once: the second gets 409
            session.add(receipt)
            session.flush()
    except IntegrityError:
        found = _existing(session, pub, unit)
        if found is None:
            raise
        raise _already(pub, unit, found, tz) from None
    doc = receipt_dict(receipt, pub, unit.name, tz)
    keys = ("id", "unit", "aired_at", "duration_seconds", "reported_by", "source", "note")
    audit.append(
        session,
        now,
        inp.actor or receipt.reported_by,
        "broadcast.confirmed",
        "publication",
        pub.id,
        {k: doc[k] for k in keys},
    )
    return doc


def list_receipts(
    session: Session,
    tz: ZoneInfo,
    *,
    unit: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    """Receipts in airing order, optionally for one unit and an airing-time range [start, end)."""
    q = (
        select(BroadcastReceipt, Publication, Unit.name)
        .outerjoin(Publication, Publication.id == BroadcastReceipt.publication_id)
        .join(Unit, Unit.code == BroadcastReceipt.unit_code)
        .order_by(BroadcastReceipt.aired_at, BroadcastReceipt.id)
    )
    if unit:
        q = q.where(BroadcastReceipt.unit_code == unit)
    if start:
        q = q.where(BroadcastReceipt.aired_at >= start)
    if end:
        q = q.where(BroadcastReceipt.aired_at < end)
    return [receipt_dict(r, p, name, tz) for r, p, name in session.execute(q)]
