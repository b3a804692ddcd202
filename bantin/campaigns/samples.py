"""Sample renders of a campaign, for checks that one render cannot settle.

Templates rotate their content (`vars.chu_de[due.isocalendar().week % n]`), and a
commune's name or a date read aloud changes a script's length by a few syllables. So
radio timing is checked on a sample: the first due time of every ISO week and time of day
in the campaign's first `SAMPLE_WEEKS` weeks (every variant a weekly rotation of up to
eight items can reach), for the units whose names are the shortest and the longest of
each unit kind. `bantin template check` adds every target unit at the first due time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.campaigns.occurrences import occurrences, period_bounds
from bantin.campaigns.render_input import render_input
from bantin.campaigns.spec import CampaignSpec
from bantin.content import timing
from bantin.content.feedview import sample_entries
from bantin.content.render import Rendered, render
from bantin.content.sandbox import feed_names
from bantin.core.models import Channel, Unit

SAMPLE_WEEKS = 8


def sample_dues(spec: CampaignSpec, weeks: int = SAMPLE_WEEKS) -> list[datetime]:
    """The first due time of each (ISO week, local time of day) in the first `weeks` weeks."""
    start, end = period_bounds(spec)
    seen: set[tuple[Any, ...]] = set()
    out: list[datetime] = []
    for due in occurrences(spec, start, min(end, start + timedelta(weeks=weeks))):
        local = due.astimezone(spec.tz)
        key = (*local.isocalendar()[:2], local.time())
        if key not in seen:
            seen.add(key)
            out.append(due)
    return out or [start]


def extreme_units(session: Session, codes: Sequence[str | None]) -> list[str | None]:
    """Per unit kind, the units with the fewest and the most words in their names."""
    real = [c for c in codes if c is not None]
    if not real:
        return [None]
    by_kind: dict[str, list[tuple[int, str]]] = {}
    rows = session.execute(select(Unit.code, Unit.name, Unit.kind).where(Unit.code.in_(real)))
    for code, name, kind in rows:
        by_kind.setdefault(kind, []).append((len(name.split()), code))
    picked: list[str | None] = []
    for items in by_kind.values():
        items.sort()
        for _, code in (items[0], items[-1]):
            if code not in picked:
                picked.append(code)
    return picked


def sample_channel(name: str, kind: str, agency: str) -> Channel:
    """A channel row that exists only for a check (never added to the session)."""
    return Channel(name=name, kind=kind, url=f"{kind}://sample", agency_code=agency)


@dataclass(frozen=True)
class Sample:
    due: datetime
    unit_code: str | None
    rendered: Rendered | None
    error: Exception | None


def renders(
    session: Session,
    spec: CampaignSpec,
    templates: Mapping[str, str],
    channel: Channel,
    kind: str,
    plan: Sequence[tuple[datetime, str | None]],
    *,
    checks: bool = True,
    sample_feeds: bool = False,
) -> Iterator[Sample]:
    """Render each (due, unit) of `plan`; errors are returned, not raised.

    `checks` applies the channel's limits and the slot rule; `sample_feeds` fills feeds
    that are unknown or empty with plausible entries, so a feed loop is exercised too.
    """
    for due, code in plan:
        inp = render_input(session, spec, dict(templates), channel, kind, code, due)
        if sample_feeds:
            local = due.astimezone(spec.tz)
            names = feed_names(templates)
            feeds = {n: list(inp.feeds.get(n) or sample_entries(n, local)) for n in names}
            inp = replace(inp, feeds=feeds)
        try:
            yield Sample(due, code, render(inp, limits=checks, slot=checks), None)
        except TemplateError as exc:
            yield Sample(due, code, None, exc)
        except (TypeError, ValueError, LookupError, ArithmeticError) as exc:
            # A template comparing a date with text, or indexing past a list, raises plain
            # Python errors; a check reports them like template errors.
            yield Sample(due, code, None, exc)


def slot_fit(rendered: Rendered, slot_minutes: float) -> timing.SlotFit:
    """How a rendered script (with its read-aloud form in meta) fits `slot_minutes`: the
    figure every surface shows (`timing.fit_of`) when the render timed it."""
    fit = timing.fit_of(rendered.meta, slot_minutes)
    if fit is not None:
        return fit
    spoken = rendered.meta.get("read_aloud")
    rate = float(rendered.meta.get("read_rate_spm") or timing.configured_rate())
    if isinstance(spoken, str):
        return timing.slot_fit(spoken, slot_minutes, rate, is_spoken=True)
    return timing.slot_fit(rendered.body, slot_minutes, rate)
