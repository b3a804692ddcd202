"""Decide and render a claimed batch with no transaction open: what each row will do.

One read session for the whole batch (the publications, their channel rows, and through a
`RowCache` the campaign, unit, agency, task and plan rows a pass shares), each row's
rate-limit turn taken in memory (never the database's write lock), the pure `gate`
decision, and the render. The result is a `batchwrite.Plan`, applied in one transaction.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from jinja2 import TemplateError
from sqlalchemy import select

from bantin.batchwrite import Plan, Ready
from bantin.campaigns.approval import with_approved_text
from bantin.campaigns.render_input import RowCache, publication_input
from bantin.channels.base import Channel
from bantin.content import audio, timing
from bantin.content.render import Rendered, RenderInput, render
from bantin.core.clock import Clock
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import Campaign, Publication
from bantin.core.models import Channel as ChannelRow
from bantin.gates import Verdict, gate

log = logging.getLogger("bantin.dispatch")

RADIO_BUDGET = timedelta(hours=1)  # a 05:30 bulletin aired after 06:30 has lost its audience


def budget(channel: Channel, kind: str) -> timedelta:
    """The channel's lateness budget, at most an hour for a radio script."""
    return min(channel.budget, RADIO_BUDGET) if kind == "radio_script" else channel.budget


@dataclass
class Holds:
    """Channels closed by their rate limit or a provider's pause, until when (by the
    dispatcher's clock). A held channel's rows are neither claimed nor woken for until
    the hold ends: claiming them only to put them back would spin every turn."""

    until: dict[str, datetime] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hold(self, name: str, until: datetime) -> None:
        with self._lock:
            self.until[name] = max(until, self.until.get(name, until))

    def active(self, now: datetime) -> dict[str, datetime]:
        with self._lock:
            for name in [n for n, t in self.until.items() if t <= now]:
                del self.until[name]
            return dict(self.until)


#: A claimed row as the batch's read found it: the row, its channel row, its campaign's
#: kind, and its render input (or why that could not be gathered).
_Fact = tuple[Publication, ChannelRow, str, "RenderInput | Exception"]


@dataclass
class Preparer:
    db: Database
    clock: Clock
    runner_id: str
    open_channel: Callable[[str, str], Channel]
    stop: threading.Event
    turn_wait: float
    holds: Holds
    audio_base: str | None
    home: Path

    def prepare(self, ids: list[int], cache: RowCache) -> Plan:
        """What each claimed row of the batch does; its database reads in one session."""
        plan = Plan()
        facts = self._read(ids, cache)
        turn_left = self.turn_wait
        deferred: dict[str, int] = {}
        for pub_id in ids:
            fact = facts.get(pub_id)
            if fact is None:
                continue
            pub, row, kind, inp = fact
            channel, config_error = self._open(row)
            if channel is not None and row.status != "broken":
                t0 = channel.limits.monotonic()
                wait = self._turn(channel, turn_left, deferred)
                turn_left -= max(0.0, channel.limits.monotonic() - t0)
                if wait > 0.0:
                    plan.defers.append((pub_id, channel.name, wait))
                    continue
            if self.stop.is_set():
                plan.releases.append((pub_id, "runner stopping"))
                continue
            verdict = gate(
                approved=not pub.needs_approval or bool(pub.approved_by),
                channel_name=row.name,
                channel_broken=row.status_reason if row.status == "broken" else None,
                channel_error=config_error,
                late=self.clock.now() - pub.due_at,
                budget=budget(channel, kind) if channel else None,
                channel_kind=channel.kind if channel else "",
                campaign_kind=kind,
            )
            if verdict is None:
                assert channel is not None  # gate stops a publication without a channel
                verdict_or_ready = self.render(pub, channel, inp)
                if isinstance(verdict_or_ready, Ready):
                    plan.ready.append(verdict_or_ready)
                    continue
                verdict = verdict_or_ready
            plan.ends.append((pub_id, verdict))
        return plan

    def _read(self, ids: list[int], cache: RowCache) -> dict[int, _Fact]:
        """The batch's rows that are still this runner's claims, with their channel row,
        campaign kind and render input, read in ONE read-only session."""
        facts: dict[int, _Fact] = {}
        with self.db.read() as s:
            pubs = s.execute(select(Publication).where(Publication.id.in_(ids))).scalars().all()
            names = {p.channel_name for p in pubs}
            query = select(ChannelRow).where(ChannelRow.name.in_(names))
            rows = {c.name: c for c in s.execute(query).scalars()}
            for pub in pubs:
                if pub.status != "claimed" or pub.claimed_by != self.runner_id:
                    continue
                campaign: Campaign = cache.get(
                    ("campaign", pub.campaign_id), partial(s.get_one, Campaign, pub.campaign_id)
                )
                row = rows[pub.channel_name]
                inp: RenderInput | Exception
                try:
                    inp = publication_input(s, pub, self._kind(row), cache)
                except Exception as exc:  # a missing unit, a broken spec: the render fails
                    inp = exc
                facts[pub.id] = (pub, row, campaign.kind, inp)
        return facts

    def _kind(self, row: ChannelRow) -> str:
        channel, _ = self._open(row)
        return channel.kind if channel is not None else ""

    def _open(self, row: ChannelRow) -> tuple[Channel | None, str | None]:
        try:
            return self.open_channel(row.name, row.url), None
        except ConfigError as exc:
            return None, str(exc)

    def _turn(self, channel: Channel, turn_left: float, deferred: dict[str, int]) -> float:
        """0.0 when the channel takes this publication now; otherwise the seconds to put it
        aside. Waits for a turn in memory only, and at most `turn_wait` for the whole batch
        (the pool's other channels are not held up by one slow channel). The k-th row put
        aside on a channel with a rate waits k turns more, so rows come due one per turn
        instead of all being claimed and put back at every turn."""
        now = self.clock.now()
        if channel.name in self.holds.active(now):
            wait = (self.holds.until.get(channel.name, now) - now).total_seconds()
        else:
            wait = channel.acquire(max_wait=max(0.0, turn_left), stop=self.stop)
            if wait <= 0.0:
                return 0.0
        k = deferred.get(channel.name, 0)
        deferred[channel.name] = k + 1
        if k == 0:
            self.holds.hold(channel.name, now + timedelta(seconds=wait))
        spread = k / channel.rate_per_sec if channel.rate_per_sec else 0.0
        return max(wait, 0.001) + spread

    def render(
        self, pub: Publication, channel: Channel, inp: RenderInput | Exception
    ) -> Ready | Verdict:
        """Render with no transaction open; any failure becomes a `failed` verdict with the
        real reason (a template bug, a limit, OverflowError, RecursionError, MemoryError)."""
        try:
            if isinstance(inp, Exception):
                raise inp
            rendered = render(inp, slot=False)  # judged below, on the recording if any
        except Exception as exc:  # RenderFailed names the cause; anything else is a bug
            reason = str(exc) if isinstance(exc, TemplateError) and str(exc) else ""
            reason = reason or f"{type(exc).__name__}: {exc}"
            why = reason if reason.startswith("render failed") else f"render failed: {reason}"
            return Verdict("failed", why[:2000], "publication_failed")
        if pub.body and pub.approved_by:  # what the reviewer approved (maybe edited) goes out
            rendered = with_approved_text(rendered, pub.title, pub.body)
        rendered = audio.attach_existing_audio(  # a recording URL signed as of now
            rendered, pub.idempotency_key, self.home, base_url=self.audio_base, now=self.clock.now()
        )
        slot = inp.campaign.get("slot_minutes")
        return judge_slot(rendered, slot, inp.template_name) or Ready(pub.id, channel, rendered)


def judge_slot(rendered: Rendered, slot_minutes: float | None, template: str) -> Verdict | None:
    """A radio script that overruns its slot fails with the reason; None when it fits.

    Judged after the approved text and the prepared recording are in place: a recording's
    measured length decides (a reader who reads faster than the estimate is not refused,
    one who overruns is caught), else the estimate in whole seconds that every surface
    shows (`timing.check_rendered`)."""
    if rendered.kind != "radio_script" or slot_minutes is None:
        return None
    where = f"template {template} on channel {rendered.channel}"
    try:
        timing.check_rendered(rendered.meta, where=where, slot_minutes=slot_minutes)
    except timing.SlotMismatch as exc:
        return Verdict("failed", f"render failed: {exc}"[:2000], "publication_failed")
    return None
