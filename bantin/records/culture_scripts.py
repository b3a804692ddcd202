"""What a commune's culture staff see on the desk: one day's radio scripts of their units,
each with its recording (if prepared) and its receipt (if confirmed).

Three queries whatever the number of scripts (publications, receipts, nothing per row);
the scope condition comes from the caller (`bantin.accounts.scope.publications`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from bantin.content.vietnamese.dates import weekday_name
from bantin.core.models import BroadcastReceipt, Campaign, Publication, Unit

AUDIO_EXTENSIONS = (".mp3", ".m4a", ".ogg", ".opus", ".wav")
#: Days a culture officer can look ahead (today and the next three).
DAYS_AHEAD = 3


@dataclass(frozen=True)
class Receipt:
    aired: str  # HH:MM local
    confirmed: str  # HH:MM local
    by: str


@dataclass(frozen=True)
class Script:
    id: int
    when: str  # HH:MM local
    unit_code: str
    unit: str
    title: str
    body: str
    status: str
    audio: bool
    receipt: Receipt | None


def day_label(d: date) -> str:
    """ "Thứ Năm, 03/12/2026": as officials write a day."""
    name = weekday_name(d)
    return f"{name[:1].upper()}{name[1:]}, {d:%d/%m/%Y}"


def day_bounds(d: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(d, time.min, tz)
    return start, start + timedelta(days=1)


def audio_file(audio_dir: Path, key: str) -> Path | None:
    """The prepared recording of a publication key, if there is one."""
    for ext in AUDIO_EXTENSIONS:
        path = audio_dir / f"{key}{ext}"
        if path.is_file():
            return path
    return None


def _receipts(session: Session, ids: list[int], tz: ZoneInfo) -> dict[tuple[int, str], Receipt]:
    if not ids:
        return {}
    rows = session.execute(
        select(BroadcastReceipt).where(BroadcastReceipt.publication_id.in_(ids))
    ).scalars()
    return {
        (r.publication_id or 0, r.unit_code): Receipt(
            r.aired_at.astimezone(tz).strftime("%H:%M"),
            r.recorded_at.astimezone(tz).strftime("%H:%M"),
            r.reported_by,
        )
        for r in rows
    }


def day_scripts(
    session: Session, allowed: ColumnElement[bool], d: date, tz: ZoneInfo, audio_dir: Path
) -> list[Script]:
    """The radio scripts due on local day `d` that `allowed` lets the reader see."""
    start, end = day_bounds(d, tz)
    rows = session.execute(
        select(Publication, Campaign.title, Unit.name)
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .join(Unit, Unit.code == Publication.unit_code)
        .where(
            allowed,
            Campaign.kind == "radio_script",
            Publication.status.not_in(("cancelled",)),
            Publication.due_at >= start,
            Publication.due_at < end,
        )
        .order_by(Publication.due_at, Unit.sort_key)
        .limit(500)
    ).all()
    receipts = _receipts(session, [pub.id for pub, _, _ in rows], tz)
    return [
        Script(
            id=pub.id,
            when=pub.due_at.astimezone(tz).strftime("%H:%M"),
            unit_code=pub.unit_code or "",
            unit=unit_name,
            title=pub.title or title,
            body=pub.body or "",
            status=pub.status,
            audio=audio_file(audio_dir, pub.idempotency_key) is not None,
            receipt=receipts.get((pub.id, pub.unit_code or "")),
        )
        for pub, title, unit_name in rows
    ]
