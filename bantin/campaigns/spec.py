"""The campaign file format as pydantic models: the schema a reviewer reads in docs/campaigns.md.

Only structure and self-contained rules live here (a cron expression parses, end is not
before start). Rules that need the database (the task exists, the channel is configured)
live in `validate.py`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from dateutil.rrule import rrule, rrulestr
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bantin.campaigns import limits

Kind = Literal["article", "post", "radio_script"]
Priority = Literal["normal", "priority", "emergency"]
Approval = Literal["required", "none"]
CampaignId = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", strip_whitespace=True)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Period(_Strict):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"end {self.end.isoformat()} is before start {self.start.isoformat()}")
        problem = limits.period_problem(self.start, self.end)
        if problem:
            raise ValueError(problem)
        return self


def check_cron(expr: str) -> str:
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"invalid cron expression {expr!r}: expected 5 fields, got {len(fields)}")
    try:
        CronTrigger.from_crontab(expr, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {expr!r} ({exc})") from None
    return expr


def check_rrule(rule: str) -> str:
    """One RRULE line; it starts with the campaign period, so DTSTART is not allowed,
    and COUNT may not exceed the publication cap (it is counted from the period start)."""
    body = rule.removeprefix("RRULE:")
    upper = body.upper()
    if "\n" in body or "DTSTART" in upper or ":" in body:
        raise ValueError(
            f"invalid rrule {rule!r}: write one RRULE line without DTSTART "
            "(the rule starts with the campaign period)"
        )
    if "FREQ=" not in upper:
        raise ValueError(f"invalid rrule {rule!r}: FREQ is required")
    try:
        parsed = rrulestr(body, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"invalid rrule {rule!r} ({exc})") from None
    if not isinstance(parsed, rrule):
        raise ValueError(f"invalid rrule {rule!r}: write a single RRULE")
    count: int | None = getattr(parsed, "_count", None)  # dateutil keeps COUNT only here
    if count is not None and count > limits.max_publications():
        raise ValueError(
            f"rrule COUNT={count:,} is over the limit of {limits.max_publications():,}"
        )
    return body


class ScheduleEntry(_Strict):
    """Exactly one of `cron`, `rrule` or `at`, read in the campaign's time zone."""

    cron: str | None = None
    rrule: str | None = None
    at: datetime | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        return None if v is None else check_cron(v)

    @field_validator("rrule")
    @classmethod
    def _rrule(cls, v: str | None) -> str | None:
        return None if v is None else check_rrule(v)

    @field_validator("at")
    @classmethod
    def _at_in_range(cls, v: datetime | None) -> datetime | None:
        if v is not None and not limits.EARLIEST <= v.date() <= limits.LATEST:
            span = f"{limits.EARLIEST.isoformat()}..{limits.LATEST.isoformat()}"
            raise ValueError(f"{v.isoformat()} is outside {span}")
        return v

    @model_validator(mode="after")
    def _exactly_one(self) -> ScheduleEntry:
        given = [k for k in ("cron", "rrule", "at") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("each schedule entry needs exactly one of cron, rrule or at")
        return self


_RANGE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(?:\.\.|–|/)\s*(\d{4}-\d{2}-\d{2})\s*$")


class Blackout(_Strict):
    """Days with no publication (Tết, a day of mourning), inclusive, in local dates."""

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    reason: str | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, date):
            return {"from": v, "to": v}
        if isinstance(v, str):
            m = _RANGE.match(v)
            if m:
                return {"from": m.group(1), "to": m.group(2)}
            try:
                d = date.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(
                    f"invalid blackout {v!r}: use a date (2027-02-06) or a range "
                    "(2027-02-05..2027-02-11)"
                ) from None
            return {"from": d, "to": d}
        return v

    @model_validator(mode="after")
    def _ordered(self) -> Blackout:
        if self.end < self.start:
            raise ValueError("blackout ends before it starts")
        return self

    def covers(self, d: date) -> bool:
        return self.start <= d <= self.end


class CampaignSpec(_Strict):
    id: CampaignId
    title: str = Field(min_length=1)
    task: str
    agency: str
    kind: Kind = "post"
    period: Period
    timezone: str = "Asia/Ho_Chi_Minh"
    schedule: list[ScheduleEntry] = Field(min_length=1)
    blackout: list[Blackout] = []
    targets: str | list[str] | None = None
    channels: list[str] = Field(min_length=1)
    template: str | dict[str, str]
    approval: Approval = "none"
    priority: Priority = "normal"
    slot_minutes: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    #: Radio voice, `engine:voice` (bantin.content.voices), or {unit code: voice, default: …}.
    voice: str | dict[str, str] | None = None
    #: Radio jingle played before and after the script: a path inside the bundle or $BANTIN_HOME.
    jingle: str | None = None
    vars: dict[str, Any] = {}

    @field_validator("voice")
    @classmethod
    def _voice(cls, v: str | dict[str, str] | None) -> str | dict[str, str] | None:
        from bantin.content.voices import VoiceError, parse_voice

        for name in [v] if isinstance(v, str) else list((v or {}).values()):
            try:
                parse_voice(name)
            except VoiceError as exc:
                raise ValueError(str(exc)) from None
        return v

    @field_validator("jingle")
    @classmethod
    def _jingle(cls, v: str | None) -> str | None:
        if v is not None and (v.startswith("/") or ".." in v.split("/")):
            raise ValueError("jingle must be a relative path inside the bundle or $BANTIN_HOME")
        return v

    @field_validator("task", mode="before")
    @classmethod
    def _task_as_text(cls, v: Any) -> Any:
        # YAML reads `task: 1.1` as a float; the plan's codes are text.
        return str(v) if isinstance(v, int | float) else v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [str(x) for x in v]
        if isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit()):
            return [str(v).strip()]
        return v

    @field_validator("targets")
    @classmethod
    def _targets_shape(cls, v: str | list[str] | None) -> str | list[str] | None:
        if isinstance(v, str) and v != "all" and not v.startswith("group:"):
            raise ValueError(
                f"targets must be 'all', 'group:NAME' or a list of unit codes, not {v!r}"
            )
        if isinstance(v, list) and not v:
            raise ValueError("targets list is empty; omit targets for page-wide posts")
        return v

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a channel is listed twice")
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def template_for(self, channel: str, channel_kind: str) -> str:
        """The template path for a channel: by channel name, then kind, then `default`."""
        if isinstance(self.template, str):
            return self.template
        for key in (channel, channel_kind, "default"):
            if key in self.template:
                return self.template[key]
        raise KeyError(channel)
