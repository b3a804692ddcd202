"""What a campaign publishes at a given time, before it is sent: `bantin render` and the
web desk's preview both call `preview`.

The text is shown even when it breaks a length limit or misses its radio slot (the
reviewer must see what is wrong), so those come back as a warning, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.campaigns import service, timeline
from bantin.campaigns.materialise import target_units
from bantin.campaigns.render_input import campaign_spec, render_input
from bantin.campaigns.spec import CampaignSpec
from bantin.channels import open_channel
from bantin.content.audio import AudioUnavailable, audio_dir, resolve_jingle, synthesize, with_audio
from bantin.content.limits import LimitExceeded, Measure, check_limits, measure, plain_text
from bantin.content.render import Rendered
from bantin.content.render import render as render_content
from bantin.content.timing import duration_text
from bantin.core.db import Database
from bantin.core.errors import BantinError
from bantin.core.models import Channel, Publication, Unit


class PreviewError(BantinError):
    """The preview cannot be made: wrong channel or unit, or the template fails."""


@dataclass(frozen=True)
class Preview:
    """A rendered publication and what a reviewer should be told about it."""

    rendered: Rendered
    slot_minutes: float | None
    warning: str | None = None  # a length limit broken: shown, not refused
    audio_line: str | None = None  # the audio file written and its measured length
    problem: str | None = None  # audio was asked for and could not be made
    unscheduled: str | None = None  # `due` is not one of the campaign's times: the nearest


def preview(
    db: Database,
    home: Path,
    campaign_id: str,
    due: datetime,
    *,
    unit: str | None = None,
    channel_name: str | None = None,
    audio: bool = False,
    voice: str | None = None,
    lang: str = "vi",
) -> Preview:
    """Render the campaign for `due` on one channel and unit (default: the first of
    each); with `audio`, also speak a radio script into $BANTIN_HOME/audio/. A `due` the
    campaign does not publish at is rendered anyway, with a note naming the nearest times."""
    with db.session() as s:
        rendered, kind, template, slot, key = _render(s, home, campaign_id, due, unit, channel_name)
        spec = campaign_spec(service.get(s, campaign_id))
    unscheduled = timeline.not_scheduled_note(spec, due, spec.tz, lang)
    try:
        check_limits(rendered, kind, template=template)
        warning = None
    except LimitExceeded as exc:
        warning = exc.message
    result = Preview(rendered, slot, warning, unscheduled=unscheduled)
    if not audio:
        return result
    if rendered.kind != "radio_script":
        return replace(result, problem="--audio is for radio scripts")
    return _with_audio(result, home, key, voice)


def _render(
    s: Session,
    home: Path,
    campaign_id: str,
    due: datetime,
    unit: str | None,
    channel_name: str | None,
) -> tuple[Rendered, str, str, float | None, str]:
    """(rendered, channel kind, template name, slot minutes, idempotency key)."""
    campaign = service.get(s, campaign_id)
    spec = campaign_spec(campaign)
    name = channel_name or spec.channels[0]
    if name not in spec.channels:
        raise PreviewError(f"{campaign_id} does not publish on channel {name!r}")
    row = s.get_one(Channel, name)
    kind = open_channel(row.name, row.url, home).kind
    code = unit or target_units(s, spec)[0]
    if code is not None and s.get(Unit, code) is None:
        raise PreviewError(f"unknown unit {code!r}")
    inp = render_input(s, spec, campaign.templates, row, kind, code, due)
    try:  # limits and the slot are reported by the caller, not refused here
        rendered = render_content(inp, limits=False, slot=False)
    except TemplateError as exc:
        raise PreviewError(f"{type(exc).__name__}: {exc.message}") from exc
    return rendered, kind, inp.template_name, spec.slot_minutes, preview_key(s, rendered, name)


def _with_audio(result: Preview, home: Path, key: str, voice: str | None) -> Preview:
    meta = result.rendered.meta
    try:
        spoken = synthesize(
            str(meta["read_aloud"]),
            audio_dir(home),
            key,
            voice=voice or str(meta.get("voice") or "") or None,
            rate=float(meta["read_rate_spm"]),
            spoken=True,
            jingle=resolve_jingle(str(meta.get("jingle") or ""), home),
        )
    except AudioUnavailable as exc:
        return replace(result, problem=str(exc))
    # The slot check then uses the measured length.
    rendered = with_audio(result.rendered, spoken, None)
    return replace(result, rendered=rendered, audio_line=f"Âm thanh: {spoken.describe()}")


def preview_key(session: Session, rendered: Rendered, channel: str) -> str:
    """The publication's idempotency key when it exists (its audio is then where the
    loudspeaker feed looks), else a key derived from the text."""
    key = session.scalar(
        select(Publication.idempotency_key).where(
            Publication.campaign_id == rendered.campaign_id,
            Publication.channel_name == channel,
            Publication.unit_code.is_(None)
            if rendered.unit_code is None
            else Publication.unit_code == rendered.unit_code,
            Publication.due_at == rendered.due_at,
        )
    )
    return key or f"preview-{rendered.content_hash[:24]}"


@dataclass(frozen=True)
class ChannelPreview:
    """One channel's view of a text not yet saved (the composer's live preview): what it
    shows, each limited part's length against the channel's limit, and a radio script's
    estimated read time against its slot."""

    channel: str
    channel_kind: str
    title: str
    text: str  # what a reader sees (an article's HTML as plain text)
    measures: list[Measure]
    seconds: float | None = None  # radio: estimated read time
    duration: str | None = None  # radio: "1 phút 34 giây"
    slot_minutes: float | None = None
    problem: str | None = None  # the template failed or the channel is unknown

    @property
    def ok(self) -> bool:
        fits = self.seconds is None or self.slot_minutes is None
        fits = fits or (self.seconds or 0) <= (self.slot_minutes or 0) * 60
        return self.problem is None and all(m.ok for m in self.measures) and fits


def preview_spec(
    s: Session,
    home: Path,
    spec: CampaignSpec,
    templates: dict[str, str],
    due: datetime,
    channel_name: str,
) -> ChannelPreview:
    """Render `spec` (not stored) on one channel for its first target unit, limits and the
    slot reported rather than refused: the composer's preview, computed here so the web
    view, its script and the no-JS button all show the same figures."""
    row = s.get(Channel, channel_name)
    if row is None:
        return ChannelPreview(channel_name, "", "", "", [], problem="kênh không tồn tại")
    kind = open_channel(row.name, row.url, home).kind
    units = target_units(s, spec)
    try:
        inp = render_input(s, spec, templates, row, kind, units[0] if units else None, due)
        rendered = render_content(inp, limits=False, slot=False)
    except (TemplateError, LookupError) as exc:
        return ChannelPreview(channel_name, kind, "", "", [], problem=str(exc))
    text = plain_text(rendered.body) if rendered.kind == "article" else rendered.body
    seconds = rendered.meta.estimated_seconds
    return ChannelPreview(
        channel=channel_name,
        channel_kind=kind,
        title=rendered.title,
        text=text,
        measures=measure(rendered, kind),
        seconds=float(seconds) if seconds is not None else None,
        duration=duration_text(float(seconds)) if seconds is not None else None,
        slot_minutes=spec.slot_minutes,
    )
