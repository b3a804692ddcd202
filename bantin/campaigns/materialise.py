"""Turn campaigns into publication rows, from now to a horizon, in bulk.

Re-applying an unchanged file changes nothing (the natural key is unique and inserts
skip conflicts). A changed file cancels the future unsent rows that no longer match,
revives cancelled ones that match again, and sends rendered-but-unsent rows back for a
fresh render (and a fresh approval). Nothing already sent is touched.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bantin.campaigns.occurrences import occurrences
from bantin.campaigns.rendering import campaign_spec
from bantin.campaigns.spec import CampaignSpec
from bantin.campaigns.validate import ValidatedCampaign
from bantin.models import Campaign, Publication, Unit, UnitGroupMember
from bantin.records import audit, states

CHUNK = 5000
SCHEDULE_CANCEL = "no longer in the campaign's schedule"


def idempotency_key(
    campaign_id: str, channel: str, unit_code: str | None, due_at: datetime, due_iso: str = ""
) -> str:
    """Stable across re-applies and restarts: the same output always has the same key.
    (`due_iso` lets the bulk insert format each of a few hundred due times once.)"""
    raw = f"{campaign_id}|{channel}|{unit_code or ''}|{due_iso or due_at.isoformat()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class MaterialiseResult:
    campaign: str
    added: int
    cancelled: int
    revived: int
    reset: int
    until: datetime | None

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


INSERT_COLUMNS = (
    "campaign_id",
    "channel_name",
    "unit_code",
    "agency_code",
    "task_code",
    "due_at",
    "priority",
    "status",
    "idempotency_key",
    "needs_approval",
    "attempts",
    "updated_at",
)


def _bulk_insert(
    session: Session,
    campaign: Campaign,
    keys: list[tuple[str, str | None, datetime]],
    needs_approval: bool,
    now: datetime,
) -> None:
    """Insert new rows, skipping any that already exist (the natural key is unique).

    On SQLite the rows go straight to the driver's executemany: a year of examples is
    ~10^5 rows, and SQLAlchemy's per-row parameter processing would cost more than the
    insert itself. Values still pass through the column types' own bind processors,
    once per distinct value (there are only a few hundred distinct due times).
    """
    if not keys:
        return
    bind = session.connection()
    iso = {t: t.isoformat() for t in {k[2] for k in keys}}  # a few hundred distinct times
    cid, agency, task, priority = (
        campaign.id,
        campaign.agency_code,
        campaign.task_code,
        campaign.priority,
    )

    def key_of(ch: str, u: str | None, t: datetime) -> str:
        return idempotency_key(cid, ch, u, t, iso[t])

    if bind.dialect.name != "sqlite":
        rows = [
            dict(
                zip(
                    INSERT_COLUMNS,
                    (
                        cid,
                        ch,
                        u,
                        agency,
                        task,
                        t,
                        priority,
                        "planned",
                        key_of(ch, u, t),
                        needs_approval,
                        0,
                        now,
                    ),
                    strict=True,
                )
            )
            for (ch, u, t) in keys
        ]
        for i in range(0, len(rows), CHUNK):
            session.execute(_insert(session), rows[i : i + CHUNK])
        return
    table = cast(Table, Publication.__table__)
    dialect = bind.dialect

    def bound(col: str, value: Any) -> Any:
        proc = table.c[col].type.dialect_impl(dialect).bind_processor(dialect)
        return proc(value) if proc is not None and value is not None else value

    due = {t: bound("due_at", t) for t in iso}
    updated, approval = bound("updated_at", now), bound("needs_approval", needs_approval)
    tuples = [
        (
            cid,
            ch,
            u,
            agency,
            task,
            due[t],
            priority,
            "planned",
            key_of(ch, u, t),
            approval,
            0,
            updated,
        )
        for (ch, u, t) in keys
    ]
    sql = (
        f"INSERT OR IGNORE INTO publication ({', '.join(INSERT_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(INSERT_COLUMNS))})"
    )
    for i in range(0, len(tuples), CHUNK):
        bind.exec_driver_sql(sql, tuples[i : i + CHUNK])


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    table = cast(Table, Publication.__table__)
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return insert(table)


def materialise(
    session: Session, campaign: Campaign, now: datetime, horizon: timedelta, actor: str = "bantin"
) -> MaterialiseResult:
    """Bring the campaign's future rows in line with its spec up to now + horizon."""
    spec = campaign_spec(campaign)
    until = now + horizon
    if campaign.status != "active":
        return MaterialiseResult(campaign.id, 0, 0, 0, 0, campaign.materialised_until)
    times = occurrences(spec, now, until)
    units = target_units(session, spec)
    desired = {(ch, u, t) for ch in spec.channels for u in units for t in times}

    existing = session.execute(
        select(
            Publication.id,
            Publication.channel_name,
            Publication.unit_code,
            Publication.due_at,
            Publication.status,
            Publication.content_hash,
            Publication.status_reason,
        ).where(Publication.campaign_id == campaign.id, Publication.due_at >= now)
    ).all()
    have = {(r.channel_name, r.unit_code, r.due_at): r for r in existing}
    stale = [r.id for k, r in have.items() if k not in desired and r.status in states.UNSENT]
    # Only rows this very mechanism cancelled come back; a reviewer's rejection or a
    # cancelled campaign is a person's decision and stays.
    revive = [
        r.id
        for k, r in have.items()
        if k in desired and r.status == "cancelled" and r.status_reason == SCHEDULE_CANCEL
    ]
    rerender = [
        r.id
        for k, r in have.items()
        if k in desired
        and r.status in ("pending_approval", "approved")
        and r.content_hash is not None
        and r.content_hash != campaign.content_hash
    ]
    cancelled = states.move_many(
        session,
        stale,
        states.UNSENT,
        "cancelled",
        now,
        actor,
        SCHEDULE_CANCEL,
    )
    revived = states.move_many(
        session, revive, ("cancelled",), "planned", now, actor, "back in the campaign's schedule"
    )
    reset = states.move_many(
        session,
        rerender,
        ("pending_approval", "approved"),
        "planned",
        now,
        actor,
        "campaign changed: render and approve again",
        title=None,
        body=None,
        content_hash=None,
        approved_by=None,
        approved_at=None,
    )

    needs_approval = campaign.approval == "required"
    new_keys = sorted((k for k in desired if k not in have), key=lambda k: (k[2], k[0], k[1] or ""))
    _bulk_insert(session, campaign, new_keys, needs_approval, now)
    # The approval rule may have changed: unsent rows follow the current one.
    session.execute(
        update(Publication)
        .where(
            Publication.campaign_id == campaign.id,
            Publication.status.in_(states.UNSENT),
            Publication.needs_approval != needs_approval,
        )
        .values(needs_approval=needs_approval)
    )
    campaign.materialised_until = until
    result = MaterialiseResult(
        campaign.id, len(new_keys), len(cancelled), len(revived), len(reset), until
    )
    if result.changed:
        audit.append(
            session,
            now,
            actor,
            "campaign.materialised",
            "campaign",
            campaign.id,
            {
                "added": result.added,
                "cancelled": result.cancelled,
                "revived": result.revived,
                "reset": result.reset,
                "until": until.isoformat(),
            },
        )
    return result


def materialise_all(
    session: Session, now: datetime, horizon: timedelta, actor: str = "bantin"
) -> list[MaterialiseResult]:
    """The daily job: extend every active campaign to the horizon."""
    campaigns = session.execute(select(Campaign).where(Campaign.status == "active")).scalars()
    return [materialise(session, c, now, horizon, actor) for c in campaigns]
