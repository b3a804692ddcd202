"""What `/healthz` reports: is the database reachable, is a runner alive, is the queue
moving, which channels are broken. The runner writes a heartbeat row after every
dispatch pass (at least every safety interval), so a web process on another host sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bantin.core.account_models import RunnerHeartbeat
from bantin.core.db import Database
from bantin.core.models import Channel, Publication

#: Publications still waiting this long after they were due mean the queue is stuck.
STUCK_AFTER = timedelta(minutes=10)
#: States a due publication waits in until a runner takes it.
WAITING = ("planned", "approved", "retry_wait")


def stale_after(safety_interval_seconds: int) -> timedelta:
    """How old a heartbeat may be: a few safety passes, never under two minutes."""
    return max(timedelta(minutes=2), timedelta(seconds=4 * safety_interval_seconds))


def beat(db: Database, runner: str, at: datetime) -> None:
    """Record that `runner` finished a dispatch pass at `at` (one small upsert)."""
    with db.session() as s:
        row = s.get(RunnerHeartbeat, runner)
        if row is None:
            s.add(RunnerHeartbeat(runner=runner, beat_at=at))
        else:
            row.beat_at = at


@dataclass
class Health:
    ok: bool
    checks: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check(db: Database, now: datetime, safety_interval_seconds: int = 30) -> Health:
    """The state of this installation; `ok` is False when the database cannot be read,
    no runner beat lately, or a due publication has waited longer than STUCK_AFTER."""
    health = Health(ok=True)
    try:
        with db.read() as s:
            last = s.scalar(select(func.max(RunnerHeartbeat.beat_at)))
            oldest = s.scalar(
                select(func.min(Publication.due_at)).where(
                    Publication.status.in_(WAITING), Publication.due_at <= now
                )
            )
            broken = list(
                s.execute(
                    select(Channel.name, Channel.status)
                    .where(Channel.status != "ok")
                    .order_by(Channel.name)
                )
            )
    except SQLAlchemyError as exc:
        health.ok = False
        health.checks["database"] = "unreachable"
        health.problems.append(f"database: {type(exc).__name__}")
        return health
    health.checks["database"] = "ok"
    age = (now - last).total_seconds() if last else None
    health.checks["runner_heartbeat_age_seconds"] = round(age, 1) if age is not None else None
    if age is None or age > stale_after(safety_interval_seconds).total_seconds():
        health.ok = False
        health.problems.append("runner: no recent heartbeat")
    overdue = (now - oldest).total_seconds() if oldest else None
    health.checks["oldest_overdue_seconds"] = round(overdue, 1) if overdue is not None else None
    if overdue is not None and overdue > STUCK_AFTER.total_seconds():
        health.ok = False
        health.problems.append("queue: a due publication has waited too long")
    # Names and states only: the reason is agency data (page ids, vendor messages) and
    # /healthz answers anyone; operators read it with `bantin channels list` or on /kenh.
    health.checks["broken_channels"] = [{"name": n, "status": st} for n, st in broken]
    return health
