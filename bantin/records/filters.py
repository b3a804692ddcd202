"""What a listing of publications is narrowed by: `bantin records`, `bantin schedule`, the
desk and the API share one `Filters`.

Kept free of SQLAlchemy (its ORM methods import the models when called) so that
`bantin schedule` on SQLite can build filters and read through the standard library's
sqlite3 alone (`bantin.records.sqlite_listing`, issue 11: start in 0.3 s or less).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bantin.core.errors import RecordsError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: What `records summary --by` groups by (`bantin.records.query.GROUP_COLUMNS` maps each
#: to its column; tests/records/test_sqlite_listing.py keeps the two the same).
GROUP_NAMES: tuple[str, ...] = ("agency", "task", "channel", "unit", "campaign")


def unknown(what: str, value: str, known: Sequence[str]) -> RecordsError:
    """The error for a filter naming an agency or channel that does not exist."""
    shown = ", ".join(known[:20]) + (", …" if len(known) > 20 else "")
    return RecordsError(f"unknown {what} {value} (known: {shown or 'none'})")


@dataclass(frozen=True)
class Filters:
    agency: str | None = None
    task: str | None = None
    channel: str | None = None
    unit: str | None = None
    campaign: str | None = None
    status: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None

    def normalised(self) -> Filters:
        """These filters with the agency code upper-cased, as agencies are stored."""
        return replace(self, agency=self.agency.upper()) if self.agency else self

    def checked(self, session: Session) -> Filters:
        """These filters with agency codes upper-cased, or `RecordsError` naming an agency
        or channel that does not exist (an empty table would read as "nothing planned")."""
        from sqlalchemy import select

        from bantin.core.models import Agency, Channel

        out = self.normalised()
        for what, value, column in (
            ("agency", out.agency, Agency.code),
            ("channel", out.channel, Channel.name),
        ):
            if value is None:
                continue
            known = list(session.scalars(select(column).order_by(column)))
            if value not in known:
                raise unknown(what, value, known)
        return out

    def apply(self, q: Any) -> Any:
        """`q` narrowed to the rows these filters select (an ORM select over Publication)."""
        from bantin.core.models import Publication

        if self.agency:
            q = q.where(Publication.agency_code == self.agency)
        if self.task:
            q = q.where(Publication.task_code == self.task)
        if self.channel:
            q = q.where(Publication.channel_name == self.channel)
        if self.unit:
            q = q.where(Publication.unit_code == self.unit)
        if self.campaign:
            q = q.where(Publication.campaign_id == self.campaign)
        if self.status:
            q = q.where(Publication.status.in_(list(self.status)))
        if self.start:
            q = q.where(Publication.due_at >= self.start)
        if self.end:
            q = q.where(Publication.due_at < self.end)
        return q
