"""Turn campaigns into publication rows, from now to a horizon, in bulk.

Re-applying an unchanged file changes nothing (the natural key is unique and inserts
skip conflicts). A changed file cancels the future unsent rows that no longer match,
revives cancelled ones that match again, and sends rendered-but-unsent rows back for a
fresh render (and a fresh approval). Nothing already sent is touched.

Only rows inside the window [now, now + horizon) are judged: a longer `campaign apply
--horizon` may have written rows further ahead, and they stay as they are until a
window reaches them. The window is worked through in slices (at most a month, at most
`CHUNK` new rows and `CHUNK` rows already there), each its own short write transaction;
on SQLite a pause as long as the transaction (at most 0.1 s) follows each, so dispatch
and other commands never wait long for the database's one write lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bantin.campaigns import limits
from bantin.campaigns.bulkinsert import Plan, bulk_insert, idempotency_key
from bantin.campaigns.errors import CampaignError, CampaignIssue
from bantin.campaigns.materialise_plan import (
    CHUNK,
    SCHEDULE_CANCEL,
    ExistingRow,
    SlicePlan,
    cut,
    desired_keys,
    next_slice,
    plan_slice,
)
from bantin.campaigns.occurrences import occurrences
from bantin.campaigns.render_input import campaign_spec
from bantin.campaigns.spec import CampaignSpec
from bantin.campaigns.validate import ValidatedCampaign
from bantin.campaigns.volume import volume_problem
from bantin.core import audit, statemachine
from bantin.core.db import Database
from bantin.core.models import Campaign, Publication, Unit, UnitGroupMember

log = logging.getLogger(__name__)

__all__ = ["idempotency_key", "materialise", "materialise_all", "target_units"]
MAX_PAUSE = 0.1  # seconds: SQLite's busy handler polls a waiting writer this often
REVIVE_REASON = "back in the campaign's schedule"
RERENDER_REASON = "campaign changed: render and approve again"


@dataclass(frozen=True)
class MaterialiseResult:
    campaign: str
    added: int
    cancelled: int
    revived: int
    reset: int
    until: datetime | None
    #: Seconds spent pausing between slices so other writers get SQLite's lock.
    paused: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.cancelled or self.revived or self.reset)


def upsert_campaign(
    session: Session, v: ValidatedCampaign, now: datetime, actor: str
) -> tuple[Campaign, str]:
    """Create or update the campaign row; returns it and 'created' | 'updated' | 'unchanged'."""
    spec = v.spec
    values: dict[str, Any] = dict(
        title=spec.title,
        task_code=spec.task,
        agency_code=spec.agency,
        approval=spec.approval,
        priority=spec.priority,
        kind=spec.kind,
        spec=spec.model_dump(mode="json", by_alias=True),
        templates=v.templates,
        source_path=v.source_path,
        content_hash=v.content_hash,
    )
    campaign = session.get(Campaign, spec.id)
    if campaign is None:
        campaign = Campaign(id=spec.id, status="active", created_at=now, updated_at=now, **values)
        session.add(campaign)
        session.flush()
        audit.append(
            session,
            now,
            actor,
            "campaign.created",
            "campaign",
            spec.id,
            {"hash": v.content_hash, "source": v.source_path},
        )
        return campaign, "created"
    if campaign.content_hash == v.content_hash:
        return campaign, "unchanged"
    old_hash = campaign.content_hash
    for key, value in values.items():
        setattr(campaign, key, value)
    campaign.updated_at = now
    session.flush()
    audit.append(
        session,
        now,
        actor,
        "campaign.updated",
        "campaign",
        spec.id,
        {"hash": v.content_hash, "previous_hash": old_hash, "source": v.source_path},
    )
    return campaign, "updated"


def target_units(session: Session, spec: CampaignSpec) -> list[str | None]:
    targets = spec.targets
    if targets is None:
        return [None]
    if targets == "all":
        return list(session.execute(select(Unit.code).order_by(Unit.sort_key)).scalars())
    if isinstance(targets, str):
        group = targets.removeprefix("group:")
        return list(
            session.execute(
                select(UnitGroupMember.unit_code).where(UnitGroupMember.group_name == group)
            ).scalars()
        )
    return list(dict.fromkeys(targets))


def _existing(
    session: Session, plan: Plan, lo: datetime, hi: datetime, limit: int | None = None
) -> list[ExistingRow]:
    """The unsent or cancelled rows of this campaign in [lo, hi), in due order (the first
    `limit` of them): what the plan compares."""
    rows = session.execute(
        select(
            Publication.id,
            Publication.channel_name,
            Publication.unit_code,
            Publication.due_at,
            Publication.status,
            Publication.content_hash,
            Publication.status_reason,
        )
        .where(
            Publication.status.in_((*statemachine.UNSENT, "cancelled")),
            Publication.due_at >= lo,
            Publication.due_at < hi,
            Publication.campaign_id == plan.id,
        )
        .order_by(Publication.due_at)
        .limit(limit)
    ).all()
    return [ExistingRow(*r) for r in rows]


def apply_slice(
    session: Session,
    plan: Plan,
    todo: SlicePlan,
    window: tuple[datetime, datetime],
    now: datetime,
    actor: str,
) -> tuple[int, int, int, int]:
    """Carry out one slice's plan in the caller's transaction; returns (added, cancelled,
    revived, reset). Every state move goes through the state machine and is audited."""
    lo, hi = window
    cancelled = statemachine.move_many(
        session, todo.stale, statemachine.UNSENT, "cancelled", now, actor, SCHEDULE_CANCEL
    )
    revived = statemachine.move_many(
        session, todo.revive, ("cancelled",), "planned", now, actor, REVIVE_REASON
    )
    reset = statemachine.move_many(
        session,
        todo.rerender,
        ("pending_approval", "approved"),
        "planned",
        now,
        actor,
        RERENDER_REASON,
        title=None,
        body=None,
        content_hash=None,
        approved_by=None,
        approved_at=None,
    )
    added = bulk_insert(session, plan, todo.new, plan.needs_approval, now)
    # The approval rule may have changed: unsent rows follow the current one.
    session.execute(
        update(Publication)
        .where(
            Publication.campaign_id == plan.id,
            Publication.status.in_(statemachine.UNSENT),
            Publication.due_at >= lo,
            Publication.due_at < hi,
            Publication.needs_approval != plan.needs_approval,
        )
        .values(needs_approval=plan.needs_approval)
    )
    return added, len(cancelled), len(revived), len(reset)


def _reconcile(
    session: Session,
    plan: Plan,
    lo: datetime,
    hi: datetime,
    times: Sequence[datetime],
    now: datetime,
    actor: str,
) -> tuple[tuple[int, int, int, int], datetime]:
    """One slice in one transaction: read, decide (pure), apply. A slice holding more
    than CHUNK rows already there (a schedule made sparser) ends early; returns the
    counts and where the slice ended."""
    existing = _existing(session, plan, lo, hi, CHUNK + 1)
    end = cut([e.due_at for e in existing], lo, hi)
    if end < hi:
        existing = [e for e in existing if e.due_at < end]
        times = [t for t in times if t < end]
    elif len(existing) > CHUNK:  # more than a chunk due at `lo` itself: judged together
        existing = _existing(session, plan, lo, hi)
    desired = desired_keys(plan.spec.channels, plan.units, times)
    todo = plan_slice(desired, existing, plan.content_hash)
    return apply_slice(session, plan, todo, (lo, end), now, actor), end


def _read_plan(db: Database, campaign_id: str) -> tuple[Plan | None, datetime | None]:
    with db.session() as s:
        c = s.get_one(Campaign, campaign_id)
        if c.status != "active":
            return None, c.materialised_until
        spec = campaign_spec(c)
        plan = Plan(
            c.id,
            spec,
            c.source_path or c.id,
            c.agency_code,
            c.task_code,
            c.priority,
            c.content_hash,
            c.approval == "required",
            target_units(s, spec),
        )
        return plan, c.materialised_until


def materialise(
    db: Database, campaign_id: str, now: datetime, horizon: timedelta, actor: str = "bantin"
) -> MaterialiseResult:
    """Bring the campaign's rows in [now, now + horizon) in line with its spec.

    Raises CampaignError, before writing anything, if the window holds more
    publications than the cap (a file validated under an older, higher cap)."""
    until = now + horizon
    plan, previous = _read_plan(db, campaign_id)
    if plan is None:
        return MaterialiseResult(campaign_id, 0, 0, 0, 0, previous)
    times = occurrences(plan.spec, now, until)  # outside any transaction
    per_time = len(plan.units) * len(plan.spec.channels)
    if len(times) * per_time > limits.max_publications():
        problem = volume_problem(plan.spec, plan.units, now, until) or "over the cap"
        raise CampaignError([CampaignIssue(plan.source, None, "schedule", problem)])
    added = cancelled = revived = reset = 0
    paused = 0.0
    lo = now
    while lo < until:
        hi, part = next_slice(times, lo, until, per_time)
        started = time.monotonic()
        with db.session() as s:
            (a, c, r, x), lo = _reconcile(s, plan, lo, hi, part, now, actor)
        added, cancelled, revived, reset = added + a, cancelled + c, revived + r, reset + x
        if db.is_sqlite:  # let a waiting writer in: its busy handler polls every 1-100 ms
            pause = min(time.monotonic() - started, MAX_PAUSE)
            time.sleep(pause)
            paused += pause
    result = MaterialiseResult(campaign_id, added, cancelled, revived, reset, until, paused)
    with db.session() as s:
        campaign = s.get_one(Campaign, campaign_id)
        if campaign.materialised_until is None or campaign.materialised_until < until:
            campaign.materialised_until = until
        if result.changed:
            data = {
                "added": result.added,
                "cancelled": result.cancelled,
                "revived": result.revived,
                "reset": result.reset,
                "until": until.isoformat(),
            }
            audit.append(s, now, actor, "campaign.materialised", "campaign", campaign_id, data)
    return result


def materialise_all(
    db: Database, now: datetime, horizon: timedelta, actor: str = "bantin"
) -> list[MaterialiseResult]:
    """The daily job: extend every active campaign to the horizon. A campaign over the
    publication cap is logged and skipped; the others still run."""
    with db.session() as s:
        ids = list(s.execute(select(Campaign.id).where(Campaign.status == "active")).scalars())
    results = []
    for campaign_id in ids:
        try:
            results.append(materialise(db, campaign_id, now, horizon, actor))
        except CampaignError as exc:
            log.error("campaign %s not materialised: %s", campaign_id, exc)
    return results
