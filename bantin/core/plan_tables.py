"""The plan as data: the decision's plan, its objectives and tasks, the agencies that
lead and coordinate them, and the administrative units with their groups.

Loaded from the bundled YAML by `bantin init`; everything else refers to these rows. A
module of its own so `bantin.core.models` stays one screenful per concern; import the
tables from `bantin.core.models`, which re-exports them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bantin.core.db import Base


class Plan(Base):
    __tablename__ = "plan"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    signed_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Agency(Base):
    __tablename__ = "agency"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_code: Mapped[str | None] = mapped_column(
        ForeignKey("agency.code", ondelete="SET NULL", use_alter=True)
    )
    note: Mapped[str | None] = mapped_column(Text)


class Objective(Base):
    __tablename__ = "objective"
    __table_args__ = (UniqueConstraint("plan_code", "code", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_code: Mapped[str] = mapped_column(ForeignKey("plan.code", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(Text)
    comparator: Mapped[str] = mapped_column(String(4))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))


class Task(Base):
    __tablename__ = "task"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    plan_code: Mapped[str] = mapped_column(ForeignKey("plan.code", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    period_start: Mapped[int | None] = mapped_column(Integer)
    period_end: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[str | None] = mapped_column(String(32))
    publishes: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TaskAgency(Base):
    """Lead (`chủ trì`) and coordinating (`phối hợp`) agencies of a task."""

    __tablename__ = "task_agency"
    task_code: Mapped[str] = mapped_column(
        ForeignKey("task.code", ondelete="CASCADE"), primary_key=True
    )
    agency_code: Mapped[str] = mapped_column(
        ForeignKey("agency.code", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class Unit(Base):
    """A commune-level administrative unit (xã, phường) with its national code."""

    __tablename__ = "unit"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    sort_key: Mapped[str] = mapped_column(Text)


class UnitGroup(Base):
    __tablename__ = "unit_group"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)


class UnitGroupMember(Base):
    __tablename__ = "unit_group_member"
    group_name: Mapped[str] = mapped_column(
        ForeignKey("unit_group.name", ondelete="CASCADE"), primary_key=True
    )
    unit_code: Mapped[str] = mapped_column(
        ForeignKey("unit.code", ondelete="CASCADE"), primary_key=True
    )
