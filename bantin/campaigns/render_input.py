"""Gather what a render needs from the database into plain values (`RenderInput`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.campaigns.spec import CampaignSpec
from bantin.content import feeds, timing, vietnamese
from bantin.content.render import Rendered, RenderInput, render
from bantin.content.sandbox import feed_names
from bantin.core.models import Agency, Campaign, Channel, Plan, Publication, Task, Unit


def _agency(session: Session, code: str) -> dict[str, Any]:
    a = session.get_one(Agency, code)
    return {"code": a.code, "name": a.name, "name_en": a.name_en}


def _task(session: Session, code: str) -> dict[str, Any]:
    t = session.get_one(Task, code)
    return {"code": t.code, "title": t.title, "group": t.group}


def _plan(session: Session) -> dict[str, Any]:
    p = session.execute(select(Plan)).scalars().first()
    if p is None:
        return {}
    return {
        "number": p.number,
        "title": p.title,
        "date": p.signed_on,
        "date_text": vietnamese.format_date(p.signed_on),
    }


def _unit(session: Session, code: str | None) -> dict[str, Any] | None:
    if code is None:
        return None
    u = session.get_one(Unit, code)
    return {"code": u.code, "name": u.name, "kind": u.kind}


class RowCache:
    """Rows a dispatch pass reads again and again but never changes (campaign, channel,
    unit, agency, task, plan), each read once per pass instead of once per publication.

    Kept only for one pass: a campaign re-applied or a channel replaced between passes is
    read afresh by the next one.
    """

    def __init__(self) -> None:
        self._rows: dict[tuple[str, object], Any] = {}

    def get(self, key: tuple[str, object], load: Callable[[], Any]) -> Any:
        if key not in self._rows:
            self._rows[key] = load()
        return self._rows[key]


def _cached(cache: RowCache | None, kind: str, code: object, load: Callable[[], Any]) -> Any:
    return load() if cache is None else cache.get((kind, code), load)


def render_input(
    session: Session,
    spec: CampaignSpec,
    templates: dict[str, str],
    channel: Channel,
    channel_kind: str,
    unit_code: str | None,
    due_at: datetime,
    cache: RowCache | None = None,
) -> RenderInput:
    """The render's inputs, including the entries of every feed the templates name
    (renders run in threads without a session) and this instance's read rate."""
    campaign = {
        "id": spec.id,
        "title": spec.title,
        "kind": spec.kind,
        "priority": spec.priority,
        "vars": spec.vars,
        "slot_minutes": spec.slot_minutes,
        "voice": spec.voice,
        "jingle": spec.jingle,
    }
    return RenderInput(
        campaign=campaign,
        templates=templates,
        template_name=spec.template_for(channel.name, channel_kind),
        channel={"name": channel.name, "kind": channel_kind},
        unit=_cached(cache, "unit", unit_code, lambda: _unit(session, unit_code)),
        agency=_cached(cache, "agency", spec.agency, lambda: _agency(session, spec.agency)),
        task=_cached(cache, "task", spec.task, lambda: _task(session, spec.task)),
        plan=_cached(cache, "plan", None, lambda: _plan(session)),
        due_at=due_at,
        timezone=spec.tz,
        feeds=feeds.entries_for(session, feed_names(templates), due_at, spec.tz),
        read_rate_spm=timing.configured_rate(),
    )


@lru_cache(maxsize=64)
def _spec(campaign_id: str, content_hash: str, spec_json: str) -> CampaignSpec:
    return CampaignSpec.model_validate_json(spec_json)


def campaign_spec(campaign: Campaign) -> CampaignSpec:
    import json

    return _spec(campaign.id, campaign.content_hash, json.dumps(campaign.spec))


def publication_input(
    session: Session, pub: Publication, channel_kind: str, cache: RowCache | None = None
) -> RenderInput:
    """What rendering a stored publication needs, read in the caller's (read) session so
    the render itself can run after the session is closed; `cache` spares re-reading the
    rows a pass shares (`RowCache`)."""
    campaign = _cached(
        cache, "campaign", pub.campaign_id, lambda: session.get_one(Campaign, pub.campaign_id)
    )
    channel = _cached(
        cache, "channel", pub.channel_name, lambda: session.get_one(Channel, pub.channel_name)
    )
    spec = _cached(cache, "spec", pub.campaign_id, lambda: campaign_spec(campaign))
    return render_input(
        session, spec, campaign.templates, channel, channel_kind, pub.unit_code, pub.due_at, cache
    )


def render_publication(session: Session, pub: Publication, channel_kind: str) -> Rendered:
    """Render a stored publication exactly as dispatch will send it (previews, sheets)."""
    return render(publication_input(session, pub, channel_kind))
