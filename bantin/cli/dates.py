"""Dates and times as people type them: ISO (2026-12-03, 2026-12-03T05:30) or the
Vietnamese way, day first (03/12/2026, 3/12/2026 05:30). One click type for every
option that takes one, so every command accepts the same forms and refuses the same.

The value stays text in ISO form: commands turn it into an aware time with the
settings' time zone (`bantin.cli.app.parse_when`), where `--to` also means "to the end
of that day". A form that could be read two ways (a two-digit year, dots or dashes
between day and month, year last with month first) is refused with the forms that work.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import click

FORMS = "2026-12-03, 2026-12-03T05:30, 03/12/2026 or 03/12/2026 05:30 (day/month/year)"
_VIETNAMESE = re.compile(
    r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d+)(?:[ T](?P<h>\d{1,2}):(?P<mi>\d{2}))?$"
)


def to_iso(text: str) -> str:
    """ISO text for a date or date-time typed either way; ValueError with one sentence."""
    text = text.strip()
    found = _VIETNAMESE.match(text)
    if found:
        if len(found["y"]) != 4:
            raise ValueError(f"{text!r}: write the year in full ({FORMS})")
        try:
            day = date(int(found["y"]), int(found["m"]), int(found["d"]))
        except ValueError:
            raise ValueError(
                f"{text!r} is not a date: dates are day/month/year ({FORMS})"
            ) from None
        if found["h"] is None:
            return day.isoformat()
        return f"{day.isoformat()}T{int(found['h']):02d}:{found['mi']}"
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date or time bantin reads: write {FORMS}") from None
    return text


class When(click.ParamType[str]):
    """A date or date-time, ISO or day/month/year; converted to ISO text."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return to_iso(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


WHEN = When()
