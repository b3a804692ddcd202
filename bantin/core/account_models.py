"""The tables of the web desk: user accounts, their unit scope, API tokens, failed
logins (for throttling) and the runner's heartbeat.

Kept apart from `models.py` so the desk can grow without touching the core schema file;
`models.py` imports this module, so Alembic and the reports still see one schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bantin.core.db import Base, UTCDateTime

#: Roles a user may hold; `bantin.accounts.scope` says what each may see and change.
ROLES = ("editor", "approver", "culture", "auditor", "admin")


class UserAccount(Base):
    """A person who logs into the desk. Only an argon2/scrypt hash of the password is kept."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            "role IN ('editor', 'approver', 'culture', 'auditor', 'admin')", name="role_valid"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agency.code"))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserScope(Base):
    """A unit or unit group a culture-staff user works for (`kind` is unit or group)."""

    __tablename__ = "user_scope"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)


class LoginFailure(Base):
    """One failed login, keyed `user:<name>` and `addr:<ip>`; old rows only age out."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token of one agency for `/api/v1`; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(64))  # comma-separated: read,write,receipts
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(128))


class RunnerHeartbeat(Base):
    """When each runner last finished a dispatch pass, so `/healthz` in another process
    can tell a live runner from a dead one."""

    __tablename__ = "runner_heartbeat"
    runner: Mapped[str] = mapped_column(String(128), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
