"""Report periods (whole local months) and the local month as an SQL expression.

Rows store UTC; a person counts by local months (a 05:30 bulletin on 1 January is a
January bulletin even though it is 31 December 22:30 UTC). Grouping happens in SQL, so
the local month is an SQL expression: PostgreSQL converts with the zone name; SQLite has
no zones, so it shifts by the zone's UTC offset, exact for Asia/Ho_Chi_Minh (UTC+7 all
year, no daylight saving since 1975) and any zone without DST.

On SQLite the expression is written with literal constants, never bound parameters,
because migration 0003 indexes exactly `strftime('%Y-%m', due_at, '+25200 seconds')` and
SQLite only uses an expression index for an identical expression. Periods are whole
months for the same reason: the month range is what the index serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column
from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True)
class Period:
    """The local months `first`..`last` ("YYYY-MM", inclusive)."""

    first: str
    last: str
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        y, m = (int(x) for x in self.first.split("-"))
        return datetime.combine(date(y, m, 1), time.min, self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        y, m = (int(x) for x in self.last.split("-"))
        nxt = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
        return datetime.combine(nxt, time.min, self.tz).astimezone(UTC)

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.tz).date()

    @property
    def last_day(self) -> date:
        return (self.end.astimezone(self.tz) - timedelta(days=1)).date()

    @property
    def year(self) -> int:
        return int(self.first[:4])

    def months(self) -> list[str]:
        """Every month of the period, as "YYYY-MM", in order."""
        out, (y, m) = [], (int(x) for x in self.first.split("-"))
        while f"{y:04d}-{m:02d}" <= self.last:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def month_filter(self, month: ColumnElement[str]) -> ColumnElement[bool]:
        return month.between(self.first, self.last)


def year_period(year: int, tz: ZoneInfo) -> Period:
    return Period(f"{year:04d}-01", f"{year:04d}-12", tz)


def local_month(col: Any, dialect: str, tz: ZoneInfo) -> ColumnElement[str]:
    """SQL for the local "YYYY-MM" of a UTC timestamp column."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(tz.key, col), "YYYY-MM")
    offset = datetime(2000, 1, 1, tzinfo=tz).utcoffset() or timedelta(0)
    shift = f"'{int(offset.total_seconds()):+d} seconds'"
    return func.strftime(literal_column("'%Y-%m'"), col, literal_column(shift))
