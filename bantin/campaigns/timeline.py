"""A campaign's times seen from a person's question, computed from its schedule (the pure
`occurrences` expansion), not from the publication rows:

- has it ended? (`ended_warning`: validate and apply say so instead of "ok, 0 new");
- is it scheduled at this time, and if not, what are the nearest times? (`bantin render
  --at`);
- what will it air on a day beyond the materialisation horizon? (`expected_scripts`: the
  loudspeaker day sheet lists them as "dự kiến" rather than "no bulletins this day").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.campaigns.materialise import target_units
from bantin.campaigns.occurrences import first_time, occurrences, period_bounds
from bantin.campaigns.render_input import campaign_spec
from bantin.campaigns.spec import CampaignSpec
from bantin.core.models import Campaign

#: How far back `nearest` looks for the previous time (a yearly campaign's last airing).
LOOK_BACK = (timedelta(days=8), timedelta(days=400))


def ended_warning(spec: CampaignSpec, now: datetime, lang: str = "vi") -> str | None:
    """A sentence when the campaign's period is wholly before `now`; None otherwise."""
    _, end = period_bounds(spec)
    if end > now:
        return None
    day = spec.period.end
    if lang == "en":
        return f"{spec.id}: ended on {day:%d/%m/%Y}: nothing left to schedule"
    return f"{spec.id}: kết thúc ngày {day:%d/%m/%Y}: không còn gì để lập lịch"


def nearest(spec: CampaignSpec, at: datetime) -> tuple[datetime | None, datetime | None]:
    """The campaign's due times just before and just after `at` (None where there is none)."""
    before = None
    for back in LOOK_BACK:
        found = occurrences(spec, at - back, at)
        if found:
            before = found[-1]
            break
    after = None
    for ahead in LOOK_BACK:
        found = occurrences(spec, at + timedelta(seconds=1), at + ahead)
        if found:
            after = found[0]
            break
    if after is None and before is None:
        after = first_time(spec)  # a campaign not yet started: its first airing
    return before, after


def not_scheduled_note(
    spec: CampaignSpec, at: datetime, tz: ZoneInfo, lang: str = "vi"
) -> str | None:
    """None when `at` is one of the campaign's due times; else one sentence naming the
    nearest scheduled times before and after, in local time."""
    if occurrences(spec, at, at + timedelta(seconds=1)):
        return None
    before, after = nearest(spec, at)

    def show(t: datetime | None) -> str:
        if t is None:
            return "không có" if lang != "en" else "none"
        return t.astimezone(tz).strftime("%d/%m/%Y %H:%M")

    when = show(at)
    if lang == "en":
        return (
            f"{spec.id} is not scheduled at {when}; nearest scheduled times: "
            f"before {show(before)}, after {show(after)}"
        )
    return (
        f"{spec.id} không có lịch phát lúc {when}; giờ phát gần nhất: "
        f"trước đó {show(before)}, sau đó {show(after)}"
    )


@dataclass(frozen=True)
class Expected:
    """A radio script a campaign will air, not yet written as a publication."""

    campaign_id: str
    title: str
    unit_code: str
    due_at: datetime
    slot_minutes: float | None


def expected_scripts(
    session: Session, units: Sequence[str], start: datetime, end: datetime
) -> list[Expected]:
    """Radio scripts active campaigns will air to `units` in [start, end) beyond what they
    have materialised (each campaign from its own `materialised_until`), in due order."""
    wanted = set(units)
    found: list[Expected] = []
    campaigns = session.execute(
        select(Campaign).where(Campaign.kind == "radio_script", Campaign.status == "active")
    ).scalars()
    for campaign in campaigns:
        lo = max(start, campaign.materialised_until or start)
        if lo >= end:
            continue
        spec = campaign_spec(campaign)
        times = occurrences(spec, lo, end)
        if not times:
            continue
        targets = [u for u in target_units(session, spec) if u is not None and u in wanted]
        found += [
            Expected(spec.id, spec.title, unit, t, spec.slot_minutes)
            for t in times
            for unit in targets
        ]
    found.sort(key=lambda e: (e.due_at, e.unit_code, e.campaign_id))
    return found


def planned_on(day_start: datetime, horizon: timedelta) -> datetime:
    """When the runner's daily materialisation (keeping `horizon` ahead) writes a day."""
    return day_start + timedelta(days=1) - horizon
