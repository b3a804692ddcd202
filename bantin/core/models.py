"""Every table. Alembic's env and the reports import this module to see the whole schema
(the plan's own tables live in `bantin.core.plan_tables` and are re-exported here).

Times are UTC (`UTCDateTime`); dates a person writes (validity periods) are plain dates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bantin.core import states
from bantin.core.db import Base, UTCDateTime
from bantin.core.plan_tables import (
    Agency,
    Objective,
    Plan,
    Task,
    TaskAgency,
    Unit,
    UnitGroup,
    UnitGroupMember,
)

__all__ = [
    "Agency",
    "Objective",
    "Plan",
    "Task",
    "TaskAgency",
    "Unit",
    "UnitGroup",
    "UnitGroupMember",
]


class Channel(Base):
    """A configured destination. `url` holds secret references only, never values."""

    __tablename__ = "channel"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"))
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Campaign(Base):
    __tablename__ = "campaign"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    task_code: Mapped[str] = mapped_column(ForeignKey("task.code"))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    approval: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    templates: Mapped[dict[str, str]] = mapped_column(JSON)
    source_path: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    materialised_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


PUBLICATION_STATES: tuple[str, ...] = tuple(s.value for s in states.ALL)


#: Priority as a number the claim sorts by; literal SQL, because an expression index is
#: only used when the query spells the same expression (no bound parameters).
CLAIM_RANK_SQL = "(CASE priority WHEN 'emergency' THEN 0 WHEN 'priority' THEN 1 ELSE 2 END)"
#: The unsent states, literally, so the planner can prove a partial index applies.
UNSENT_SQL = "status IN ('planned', 'pending_approval', 'approved')"
#: Sent rows, as OR terms so SQLite proves the partial index from `status = 'published'`.
SENT_SQL = "status = 'published' OR status = 'failed'"


class Publication(Base):
    """One output due at one time on one channel for one unit (or page-wide).

    The table, not APScheduler, is the source of truth for what is due.
    """

    __tablename__ = "publication"
    __table_args__ = (
        CheckConstraint(states.check_sql(), name="status_valid"),
        Index("ix_publication_status_due", "status", "due_at"),
        # The claim walks this in order and stops after a batch: emergencies first, then
        # by due time, over unsent rows only (migration 0007; the query's text must match).
        Index(
            "ix_publication_claim",
            text(CLAIM_RANK_SQL),
            "due_at",
            "id",
            sqlite_where=text(UNSENT_SQL),
            postgresql_where=text(UNSENT_SQL),
        ),
        Index("ix_publication_agency_due", "agency_code", "due_at"),
        # Counts by state per campaign (the desk's campaign pages), from the index alone.
        Index("ix_publication_campaign_status", "campaign_id", "status"),
        # A channel's last success and last failure (the channels page); partial, so the
        # bulk insert of planned rows never touches it (migration 0015).
        Index(
            "ix_publication_channel_sent",
            "channel_name",
            "status",
            "due_at",
            sqlite_where=text(SENT_SQL),
            postgresql_where=text(SENT_SQL),
        ),
        # Only rows waiting to retry need this; a partial index keeps bulk inserts cheap.
        Index(
            "ix_publication_retry_due",
            "next_attempt_at",
            sqlite_where=text("status = 'retry_wait'"),
            postgresql_where=text("status = 'retry_wait'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    channel_name: Mapped[str] = mapped_column(ForeignKey("channel.name"))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("unit.code"))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"))
    task_code: Mapped[str] = mapped_column(ForeignKey("task.code"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="planned")
    status_reason: Mapped[str | None] = mapped_column(Text)
    # Derived from the natural key, so it is unique wherever that is; not indexed,
    # because random-order keys would make the bulk insert of a year's rows slow.
    idempotency_key: Mapped[str] = mapped_column(String(64))
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lateness_seconds: Mapped[float | None] = mapped_column(Float)
    external_id: Mapped[str | None] = mapped_column(Text)
    external_url: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryAttempt(Base):
    """One try to deliver a publication; committed before the network call."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (UniqueConstraint("publication_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publication.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    runner: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="sending")
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(Text)
    external_url: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """Append-only, hash-chained: each `hash` covers the event and the previous hash.

    `mac` is HMAC-SHA256 of the hash under the audit key (bantin.core.audit.key), which
    the database never holds; NULL on events written before anchoring or without a key.
    """

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(128), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)


class AuditHead(Base):
    """A single row locked by every appender so the chain stays linear across processes."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditPending(Base):
    """PostgreSQL: an event appended by the hot path without taking the chain head, waiting
    for the sealing step to chain and MAC it (bantin.core.audit.pending). Empty on SQLite."""

    __tablename__ = "audit_pending"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# The natural key: page-wide posts have no unit, and NULLs never collide in a unique
# index, so the key uses '' in their place.
Index(
    "uq_publication_natural_key",
    Publication.campaign_id,
    Publication.channel_name,
    func.coalesce(Publication.unit_code, ""),
    Publication.due_at,
    unique=True,
)


# -- Added for publishing for real (issue 3), content (issue 4) and the auditor (issue 5) --


class Secret(Base):
    """An encrypted secret (Fernet); `secret:NAME` in a channel URL refers to it."""

    __tablename__ = "secret"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgencySetting(Base):
    """Per-agency settings: where its alerts go (a webhook or mailto: URL)."""

    __tablename__ = "agency_setting"
    agency_code: Mapped[str] = mapped_column(
        ForeignKey("agency.code", ondelete="CASCADE"), primary_key=True
    )
    notify_url: Mapped[str | None] = mapped_column(Text)


class Alert(Base):
    """Something a person must know: a broken channel, a failed publication, a late report."""

    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    channel_name: Mapped[str | None] = mapped_column(ForeignKey("channel.name"))
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publication.id"))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notify_error: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BroadcastReceipt(Base):
    """Culture staff confirm that a bulletin was aired in a unit, and when."""

    __tablename__ = "broadcast_receipt"
    __table_args__ = (UniqueConstraint("publication_id", "unit_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int | None] = mapped_column(
        ForeignKey("publication.id", ondelete="SET NULL"), index=True
    )
    unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"), index=True)
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agency.code"))
    aired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    reported_by: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))  # cli | web | api
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReceiptToken(Base):
    """A secret that lets one unit's culture staff post broadcast receipts over the web.

    Only the SHA-256 of the token is kept: `bantin receipts token create` shows the token
    once. The audit actor of a web receipt is this row ("unit 29641 token #3 (label)"),
    never a name from the request body.
    """

    __tablename__ = "receipt_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(128))


class Feed(Base):
    """An outside RSS/Atom feed whose entries templates may quote."""

    __tablename__ = "feed"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agency.code"))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedEntry(Base):
    __tablename__ = "feed_entry"
    __table_args__ = (UniqueConstraint("feed_name", "guid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_name: Mapped[str] = mapped_column(ForeignKey("feed.name", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary_html: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IndicatorValue(Base):
    """A figure an agency reports for an objective bantin cannot observe itself."""

    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("objective_code", "year", "agency_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    objective_code: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    source_document: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AnnualReport(Base):
    """An agency's yearly report to the DIC (due before 5 December)."""

    __tablename__ = "annual_report"
    __table_args__ = (UniqueConstraint("agency_code", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    drafted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(128))
    document_path: Mapped[str | None] = mapped_column(Text)


from bantin.core.account_models import (  # noqa: E402,F401  (one schema for Alembic)
    ApiToken,
    LoginFailure,
    RunnerHeartbeat,
    UserAccount,
    UserScope,
)
from bantin.core.feed_token_models import FeedToken  # noqa: E402,F401  (one schema)
from bantin.core.limit_models import ChannelRate  # noqa: E402,F401  (one schema for Alembic)
