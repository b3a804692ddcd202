"""Everything the desk's publication page (/bai/<id>) shows about one publication: its
facts, the text as its channel will receive it with the channel's length limits, for a
radio script the read-aloud form and read time against the slot, the prepared audio,
the delivery attempts, the broadcast receipts and its audit history.

`load` returns None for a publication the asker may not see (the page is then a 404,
never a "forbidden" that would confirm it exists). Renders use the same functions as
dispatch (`render_publication`, `limits.measure`, `timing`), so the page shows what
will be sent, not an approximation.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.accounts import scope
from bantin.campaigns.approval import with_approved_text
from bantin.campaigns.render_input import render_publication
from bantin.content import timing
from bantin.content.audio import audio_dir
from bantin.content.limits import Measure, measure
from bantin.content.render import Rendered
from bantin.core.models import (
    Agency,
    AuditEvent,
    BroadcastReceipt,
    Campaign,
    Channel,
    DeliveryAttempt,
    Publication,
    Task,
    Unit,
)

AUDIO_EXTENSIONS = (".mp3", ".m4a", ".ogg", ".opus", ".wav")
#: Whose stored text is what went (or is going) out, rather than a fresh render.
SENT_STATES = frozenset({"claimed", "sending", "published", "retry_wait", "unknown"})
HISTORY_LIMIT = 200


@dataclass(frozen=True)
class AudioFile:
    path: Path
    mime: str
    size: int
    seconds: float | None  # measured, from the sidecar bantin.content.audio writes


@dataclass(frozen=True)
class Radio:
    """A radio script's read-aloud form and its time against the slot."""

    read_aloud: str
    seconds: int
    measured: bool
    slot_minutes: float | None
    fit: timing.SlotFit | None

    @property
    def duration_text(self) -> str:
        return timing.duration_text(self.seconds)


@dataclass(frozen=True)
class PublicationPage:
    pub: Publication
    campaign_title: str
    campaign_kind: str
    task_title: str
    agency_name: str
    unit_name: str | None
    channel_kind: str
    rendered: Rendered | None
    render_error: str | None
    measures: list[Measure] = field(default_factory=list)
    radio: Radio | None = None
    audio: AudioFile | None = None
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    receipts: list[BroadcastReceipt] = field(default_factory=list)
    history: list[AuditEvent] = field(default_factory=list)


def find_audio(folder: Path, key: str) -> AudioFile | None:
    """The prepared recording `<key>.<ext>` in $BANTIN_HOME/audio, if there is one."""
    for ext in AUDIO_EXTENSIONS:
        path = folder / f"{key}{ext}"
        if path.is_file():
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return AudioFile(path, mime, path.stat().st_size, _measured(folder, key))
    return None


def _measured(folder: Path, key: str) -> float | None:
    try:
        doc = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        return float(doc["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def visible(session: Session, p: scope.Principal, pub_id: int) -> Publication | None:
    """The publication when `p` may see it; None otherwise (also when it does not exist)."""
    pub = session.get(Publication, pub_id)
    if pub is None or not scope.sees_publication(p, pub):
        return None
    return pub


def _render(session: Session, pub: Publication, kind: str) -> tuple[Rendered | None, str | None]:
    try:
        rendered = render_publication(session, pub, kind)
    except TemplateError as exc:
        return None, str(exc.message or exc)
    if pub.body is not None and (pub.approved_by or pub.status in SENT_STATES):
        rendered = with_approved_text(rendered, pub.title, pub.body)  # timed from this text
    return rendered, None


def radio_facts(rendered: Rendered, audio: AudioFile | None) -> Radio:
    """Read-aloud text and read time (the recording's length when measured)."""
    meta = dict(rendered.meta)
    if audio is not None and audio.seconds:
        meta["audio_seconds"] = audio.seconds
    spoken = str(meta.get("read_aloud") or timing.spoken(rendered.body))
    got = timing.read_seconds(meta)
    seconds, measured = got if got is not None else (0, False)
    slot = meta.get("slot_minutes")
    slot_minutes = float(slot) if isinstance(slot, int | float) else None
    fit = timing.fit_of(meta) if slot_minutes else None  # as `render` and the sheet time it
    return Radio(spoken, seconds, measured, slot_minutes, fit)


def load(session: Session, p: scope.Principal, pub_id: int, home: Path) -> PublicationPage | None:
    """The page of publication `pub_id` for `p`, or None when `p` may not see it."""
    pub = visible(session, p, pub_id)
    if pub is None:
        return None
    campaign = session.get_one(Campaign, pub.campaign_id)
    task = session.get(Task, pub.task_code)
    agency = session.get(Agency, pub.agency_code)
    unit = session.get(Unit, pub.unit_code) if pub.unit_code else None
    kind = session.get_one(Channel, pub.channel_name).kind
    rendered, error = _render(session, pub, kind)
    audio = find_audio(audio_dir(home), pub.idempotency_key)
    radio = None
    if rendered is not None and rendered.kind == "radio_script":
        radio = radio_facts(rendered, audio)
    return PublicationPage(
        pub=pub,
        campaign_title=campaign.title,
        campaign_kind=campaign.kind,
        task_title=task.title if task else pub.task_code,
        agency_name=agency.name if agency else pub.agency_code,
        unit_name=unit.name if unit else None,
        channel_kind=kind,
        rendered=rendered,
        render_error=error,
        measures=measure(rendered, kind) if rendered is not None else [],
        radio=radio,
        audio=audio,
        attempts=list(
            session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.publication_id == pub.id)
                .order_by(DeliveryAttempt.number, DeliveryAttempt.id)
            )
        ),
        receipts=list(
            session.scalars(
                select(BroadcastReceipt)
                .where(BroadcastReceipt.publication_id == pub.id)
                .order_by(BroadcastReceipt.aired_at)
            )
        ),
        history=history(session, pub.id),
    )


def history(session: Session, pub_id: int) -> list[AuditEvent]:
    """Audit events naming this publication, oldest first (the entity_id index)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == "publication", AuditEvent.entity_id == str(pub_id))
            .order_by(AuditEvent.seq)
            .limit(HISTORY_LIMIT)
        )
    )


def event_data(event: AuditEvent) -> str:
    """An event's data as short `key: value` text (it may hold anything JSON)."""
    data: Any = event.data or {}
    if not isinstance(data, dict):
        return str(data)
    return "; ".join(f"{k}: {v}" for k, v in data.items())


def local_text(when: datetime | None, tz: Any) -> str:
    """ "05:30 03/12/2026" in the province's time; "" for no time."""
    return when.astimezone(tz).strftime("%H:%M %d/%m/%Y") if when else ""
