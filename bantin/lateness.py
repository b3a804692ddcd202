"""Saying how late a dispatch pass sent what was overdue.

A runner that was down (a restart, the demo stopped and started again) finds bulletins
whose time has passed and sends those still within their lateness budget at once. An
operator must see that in the log: each one sent late gets a line with how late it was,
and the pass ends with one summary ("sent 25 overdue bulletins, up to 5 min late").

`summarise` is pure (rows in, lines out); `log_overdue` reads the lateness the recorder
stored with each publish (`Publication.lateness_seconds`) and logs the lines. The
dispatcher calls `log_overdue` once at the end of its pass.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bantin.core.db import Database

log = logging.getLogger("bantin.dispatch")

#: Sent this long or more after its due time, a publication counts as overdue: a pass
#: that is on time sends within seconds of the due time.
OVERDUE_SECONDS = 60.0


@dataclass(frozen=True)
class Sent:
    """One publication this pass published, and how late."""

    pub_id: int
    campaign_id: str
    channel: str
    lateness_seconds: float


def late_text(seconds: float) -> str:
    """4 min 05 s late → "4 min 5 s"; an hour or more in hours and minutes."""
    total = math.floor(seconds)
    if total >= 3600:
        return f"{total // 3600} h {total % 3600 // 60} min"
    minutes, rest = divmod(total, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def summarise(sent: Iterable[Sent], threshold: float = OVERDUE_SECONDS) -> list[str]:
    """The log lines for a pass: one per overdue publication, then the summary; nothing
    when everything went out on time."""
    late = sorted((s for s in sent if s.lateness_seconds >= threshold), key=lambda s: s.pub_id)
    if not late:
        return []
    lines = [
        f"sent overdue publication {s.pub_id} ({s.campaign_id} on {s.channel}) "
        f"{late_text(s.lateness_seconds)} late"
        for s in late
    ]
    worst = max(s.lateness_seconds for s in late)
    noun = "bulletin" if len(late) == 1 else "bulletins"
    lines.append(f"sent {len(late)} overdue {noun}, up to {math.ceil(worst / 60)} min late")
    return lines


def _published(db: Database, outcomes: Mapping[int, str]) -> list[Sent]:
    from sqlalchemy import select

    from bantin.core.models import Publication

    ids = [pub_id for pub_id, outcome in outcomes.items() if outcome == "published"]
    found: list[Sent] = []
    with db.read() as s:
        for start in range(0, len(ids), 500):  # a morning burst is thousands of ids
            rows = s.execute(
                select(
                    Publication.id,
                    Publication.campaign_id,
                    Publication.channel_name,
                    Publication.lateness_seconds,
                ).where(
                    Publication.id.in_(ids[start : start + 500]),
                    Publication.lateness_seconds >= OVERDUE_SECONDS,
                )
            ).all()
            found += [Sent(i, c, ch, float(late or 0.0)) for i, c, ch, late in rows]
    return found


def log_overdue(db: Database, outcomes: Mapping[int, str]) -> list[str]:
    """Log the pass's overdue sends (`PassStats.outcomes`: id → outcome); returns the lines."""
    lines = summarise(_published(db, outcomes))
    for line in lines:
        log.warning("%s", line)
    return lines
