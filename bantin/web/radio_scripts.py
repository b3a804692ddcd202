"""Radio scripts for a set of units, rendered as the loudspeaker feed and sheet show them.

The feed and the printable sheet are two views of the same list, so both take it from
`script_items`: which publications a commune should air (radio-script campaigns, not
cancelled, missed, failed or waiting for an approval), with the exact text dispatch sends
and the facts an announcer needs (slot, priority, read time, audio).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import TemplateError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bantin.campaigns.approval import with_approved_text
from bantin.campaigns.render_input import render_publication
from bantin.content import timing, vietnamese
from bantin.content.render import Rendered
from bantin.core.models import (
    PUBLICATION_STATES,
    Agency,
    Campaign,
    Publication,
    Task,
    Unit,
    UnitGroup,
    UnitGroupMember,
)
from bantin.core.models import Channel as ChannelRow

#: Never on a loudspeaker: withdrawn, too late, undeliverable.
HIDDEN_STATES = frozenset({"cancelled", "missed", "failed"})
#: Whose stored text is what went (or is going) out, rather than a review draft.
SENT_STATES = frozenset({"claimed", "sending", "published", "retry_wait", "unknown"})
PRIORITY_LABELS = {"normal": "Thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}
AUDIO_EXTENSIONS = (".mp3", ".m4a", ".ogg", ".opus", ".wav")


@dataclass(frozen=True)
class Audience:
    """Who a feed or sheet is for: one unit (`don-vi`) or a named group (`nhom`)."""

    kind: str
    key: str
    title: str
    units: dict[str, str]  # code -> name, in the province's sort order


def find_audience(session: Session, kind: str, key: str) -> Audience | None:
    """The unit or group a URL names, or None when there is no such thing (a 404)."""
    if kind == "don-vi":
        unit = session.get(Unit, key)
        return None if unit is None else Audience(kind, key, unit.name, {unit.code: unit.name})
    group = session.get(UnitGroup, key)
    if group is None:
        return None
    rows = session.execute(
        select(Unit.code, Unit.name)
        .join(UnitGroupMember, UnitGroupMember.unit_code == Unit.code)
        .where(UnitGroupMember.group_name == key)
        .order_by(Unit.sort_key)
    ).all()
    return Audience(kind, key, group.title, {code: name for code, name in rows})


@dataclass(frozen=True)
class Audio:
    url: str | None  # given by the template (meta.audio_url)
    path: Path | None  # a recording in $BANTIN_HOME/audio/<key>.<ext>
    length: int
    mime: str
    seconds: float | None = None  # measured, from the recording's sidecar (content.audio)


@dataclass(frozen=True)
class ScriptItem:
    """One radio script for one unit, ready to show."""

    publication_id: int
    key: str
    campaign_id: str
    unit_code: str
    unit_name: str
    due_at: datetime
    slot_local: datetime
    slot_minutes: float | None
    priority: str
    status: str
    title: str
    script: str
    estimated_seconds: int
    audio: Audio | None
    updated_at: datetime
    measured: bool = False  # estimated_seconds is the recording's measured length

    @property
    def duration_label(self) -> str:
        """What the read time is: measured from the recording, or estimated."""
        return "Thời lượng (đo từ bản ghi)" if self.measured else "Thời lượng ước tính"

    @property
    def priority_label(self) -> str:
        return PRIORITY_LABELS.get(self.priority, self.priority)

    @property
    def duration_text(self) -> str:
        return timing.duration_text(self.estimated_seconds)

    @property
    def time_text(self) -> str:
        return vietnamese.format_time(self.slot_local.time())

    @property
    def slot_text(self) -> str:
        """ "khung 1,5 phút" (a Vietnamese decimal comma), or "" without a slot."""
        if not self.slot_minutes:
            return ""
        return f"khung {self.slot_minutes:g} phút".replace(".", ",")


def _audio(rendered: Rendered, key: str, audio_dir: Path | None) -> Audio | None:
    url = rendered.meta.get("audio_url")
    if isinstance(url, str) and url:
        return Audio(url, None, 0, mimetypes.guess_type(url)[0] or "audio/mpeg")
    if audio_dir is None:
        return None
    for ext in AUDIO_EXTENSIONS:
        path = audio_dir / f"{key}{ext}"
        if path.is_file():
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return Audio(None, path, path.stat().st_size, mime, _measured(audio_dir, key))
    return None


@dataclass(frozen=True)
class Window:
    """Rows due in [start, end) for the units, before the visibility rule is applied."""

    rows: list[tuple[Publication, Campaign]]

    def last_update(self) -> datetime | None:
        """Latest change of a row or of its campaign (templates live on the campaign)."""
        stamps = [max(p.updated_at or c.updated_at, c.updated_at) for p, c in self.rows]
        return max(stamps, default=None)


def load_window(session: Session, units: Sequence[str], start: datetime, end: datetime) -> Window:
    """Every radio-script row of the units due in [start, end), whatever its state.

    Hidden rows are kept here because a cancellation is a change the feed's Last-Modified
    must reflect. The tautological `status IN (every state)` lets SQLite use the
    (status, due_at) index for the time range instead of scanning the whole table.
    """
    rows = session.execute(
        select(Publication, Campaign)
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .where(
            Campaign.kind == "radio_script",
            Publication.status.in_(PUBLICATION_STATES),
            Publication.due_at >= start,
            Publication.due_at < end,
            Publication.unit_code.in_(list(units)),
        )
        .order_by(Publication.due_at, Publication.unit_code, Publication.id)
    ).all()
    return Window([(p, c) for p, c in rows])


def visible(pub: Publication) -> bool:
    """Should a commune air it? Not if withdrawn, missed, failed, or still unapproved."""
    if pub.status in HIDDEN_STATES:
        return False
    return not (pub.needs_approval and not pub.approved_by)


@lru_cache(maxsize=8192)
def estimated_seconds(script: str) -> int:
    """Read time (`timing.script_seconds`, the one estimator). Cached: the read-aloud pass
    costs ~5 ms a script, and a feed polled every few minutes asks for the same texts."""
    return timing.script_seconds(script)


def _measured(audio_dir: Path, key: str) -> float | None:
    """The recording's measured length, from the sidecar `bantin.content.audio` writes."""
    try:
        doc = json.loads((audio_dir / f"{key}.json").read_text(encoding="utf-8"))
        return float(doc["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _read_seconds(rendered: Rendered, audio: Audio | None) -> tuple[int, bool]:
    """(seconds, measured): the recording's length when there is one, else the render's
    estimate (`timing.read_seconds`, the same figure the CLI and the webhook show)."""
    meta = dict(rendered.meta)
    if audio is not None and audio.seconds:
        meta["audio_seconds"] = audio.seconds
    got = timing.read_seconds(meta)
    return got if got is not None else (estimated_seconds(rendered.body), False)


def _pin(session: Session, window: Window) -> list[object]:
    """Load what every render looks up by key, and keep it referenced.

    `render_publication` fetches agency, task, channel and unit one key at a time; the
    identity map holds objects only while someone references them, so without this each
    render would query them again (measured: 5 queries a script, most of a feed's time).
    """
    units = {p.unit_code for p, _ in window.rows if p.unit_code}
    return [
        *session.execute(select(Agency)).scalars(),
        *session.execute(select(Task)).scalars(),
        *session.execute(select(ChannelRow)).scalars(),
        *session.execute(select(Unit).where(Unit.code.in_(units))).scalars(),
    ]


def _rendered(session: Session, pub: Publication) -> Rendered | None:
    kind = session.get_one(ChannelRow, pub.channel_name).kind
    try:
        rendered = render_publication(session, pub, kind)
    except TemplateError:
        return None  # dispatch records it failed; the feed just cannot show it yet
    # What was approved or sent is what the commune must read, timed from that text, as
    # dispatch does (`with_approved_text`).
    if pub.body is not None and (pub.approved_by or pub.status in SENT_STATES):
        rendered = with_approved_text(rendered, pub.title, pub.body)
    return rendered


def script_items(
    session: Session,
    window: Window,
    audience: Audience,
    tz: ZoneInfo,
    audio_dir: Path | None = None,
) -> list[ScriptItem]:
    """The visible rows of a window, rendered, in slot order then the province's unit order."""
    order = {code: i for i, code in enumerate(audience.units)}
    pinned = _pin(session, window)
    items = []
    for pub, campaign in window.rows:
        code = pub.unit_code
        if code is None or code not in audience.units or not visible(pub):
            continue
        rendered = _rendered(session, pub)
        if rendered is None:
            continue
        unit_name = audience.units[code]
        title = vietnamese.nfc(rendered.title)
        if len(audience.units) > 1 and unit_name not in title:
            title = f"{title} – {unit_name}"  # a group feed must say which commune
        slot = rendered.meta.get("slot_minutes")
        audio = _audio(rendered, pub.idempotency_key, audio_dir)
        seconds, measured = _read_seconds(rendered, audio)
        items.append(
            ScriptItem(
                publication_id=pub.id,
                key=pub.idempotency_key,
                campaign_id=pub.campaign_id,
                unit_code=code,
                unit_name=unit_name,
                due_at=pub.due_at,
                slot_local=pub.due_at.astimezone(tz),
                slot_minutes=float(slot) if isinstance(slot, int | float) else None,
                priority=pub.priority,
                status=pub.status,
                title=title,
                script=vietnamese.nfc(rendered.body),
                estimated_seconds=seconds,
                audio=audio,
                updated_at=max(pub.updated_at or campaign.updated_at, campaign.updated_at),
                measured=measured,
            )
        )
    del pinned
    items.sort(key=lambda it: (it.due_at, order.get(it.unit_code, 0), it.publication_id))
    return items


def last_exit(
    session: Session, units: Sequence[str], start: datetime, lookback: timedelta
) -> datetime | None:
    """When the newest row that slid out of a feed's look-back left it (due + lookback).

    Only the day before `start` is searched: loudspeaker bulletins are daily, and an
    unbounded MAX would walk the whole history through the (status, due_at) index.
    """
    newest = session.execute(
        select(func.max(Publication.due_at))
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .where(
            Campaign.kind == "radio_script",
            Publication.status.in_(PUBLICATION_STATES),
            Publication.due_at >= start - lookback,
            Publication.due_at < start,
            Publication.unit_code.in_(list(units)),
        )
    ).scalar_one_or_none()
    return None if newest is None else newest + lookback
