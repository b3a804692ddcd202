"""`bantin template check`: every bundled template, for every channel variant and every
unit, within its limits, and every bundled radio programme within its slot.

Templates are only meaningful with the data of a campaign (`vars`), so the bundled
example campaigns (`bantin/data/campaigns/**/*.yaml`) are the fixtures: each is rendered
for every channel kind it may publish on (the kinds its `template:` mapping names, plus
the usual kinds for its kind of content), for every target unit at its first due time,
and for the sampled due times of its first weeks (`samples`). A bundled template no
example uses is rendered with an empty `vars`. No channel needs to be configured; the
units come from the database (`bantin init`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bantin.campaigns import samples
from bantin.campaigns.errors import CampaignError
from bantin.campaigns.materialise import target_units
from bantin.campaigns.spec import CampaignSpec
from bantin.campaigns.validate import BUNDLED_TEMPLATES, spec_and_templates
from bantin.channels import kinds
from bantin.content import timing
from bantin.content.render import RenderFailed
from bantin.content.timing import SlotMismatch
from bantin.core.errors import ConfigError
from bantin.core.models import Unit
from bantin.plan.loader import DATA

BUNDLED_CAMPAIGNS = DATA / "campaigns"


def usual_kinds(content_kind: str) -> list[str]:
    """Channel kinds a campaign of this content kind is checked for, besides its mapping's:
    the channels that declare it in `usual_for` (channel facts, `bantin.channels`)."""
    return [kind for kind, cls in kinds().items() if content_kind in cls.usual_for]


FOLDER_KINDS = {"radio": "radio_script", "articles": "article", "posts": "post"}


@dataclass(frozen=True)
class Problem:
    source: str
    template: str
    channel_kind: str
    unit_code: str | None
    due: datetime | None
    message: str

    def __str__(self) -> str:
        where = [f"channel kind {self.channel_kind}"]
        if self.unit_code:
            where.append(f"unit {self.unit_code}")
        if self.due is not None:
            where.append(f"{self.due:%Y-%m-%d %H:%M}")
        return f"{self.source}: {self.template} ({', '.join(where)}): {self.message}"


@dataclass(frozen=True)
class SlotSummary:
    campaign: str
    slot_minutes: float
    shortest: float
    longest: float
    tolerance: float

    @property
    def fits(self) -> bool:
        slot = self.slot_minutes * 60
        return slot - self.tolerance <= self.shortest and self.longest <= slot + self.tolerance

    def __str__(self) -> str:
        slot = f"{self.slot_minutes:g}".replace(".", ",")
        return (
            f"{self.campaign}: {slot}-minute slot, scripts "
            f"{timing.duration_text(self.shortest)} to {timing.duration_text(self.longest)} "
            f"(allowed ±{self.tolerance:.1f} s): {'fits' if self.fits else 'DOES NOT FIT'}"
        )


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    slots: list[SlotSummary] = field(default_factory=list)
    templates: set[str] = field(default_factory=set)
    campaigns: list[str] = field(default_factory=list)
    renders: int = 0
    #: Tokens the read-aloud rules left as written, per campaign file (listed, not failed).
    unread: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.fits for s in self.slots)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "campaigns": self.campaigns,
            "templates": sorted(self.templates),
            "renders": self.renders,
            "unread": self.unread,
            "problems": [str(p) for p in self.problems],
            "slots": [
                {
                    "campaign": s.campaign,
                    "slot_minutes": s.slot_minutes,
                    "shortest_seconds": round(s.shortest, 1),
                    "longest_seconds": round(s.longest, 1),
                    "tolerance_seconds": round(s.tolerance, 1),
                    "fits": s.fits,
                }
                for s in self.slots
            ],
        }


def bundled_campaign_files() -> list[Path]:
    return sorted(BUNDLED_CAMPAIGNS.rglob("*.yaml"))


def variants(spec: CampaignSpec) -> list[tuple[str, str]]:
    """(channel kind, template) pairs to check; kinds with the same template and limits
    render the same text against the same rules, so only one of them is kept."""
    classes = kinds()
    wanted = usual_kinds(spec.kind)
    if isinstance(spec.template, dict):
        wanted += [k for k in spec.template if k in classes and k not in wanted]
    seen: set[tuple[str, tuple[tuple[str, int], ...]]] = set()
    out = []
    for kind in wanted:
        template = spec.template_for(kind, kind)
        key = (template, tuple(sorted(classes[kind].length_limits.items())))
        if key not in seen:
            seen.add(key)
            out.append((kind, template))
    return out


def _describe(error: Exception) -> str:
    """One line for a failed render: the cause and, when known, the template line."""
    if isinstance(error, RenderFailed):
        return f"{error.reason}{error.where}"
    message = getattr(error, "message", None) or str(error)
    return f"{type(error).__name__}: {message}"


def check_campaign(
    session: Session, spec: CampaignSpec, templates: dict[str, str], source: str, report: Report
) -> None:
    """Render one campaign for every variant and unit, and its sampled due times."""
    units = target_units(session, spec)
    dues = samples.sample_dues(spec)
    plan = [(dues[0], u) for u in units]
    plan += [(d, u) for d in dues[1:] for u in samples.extreme_units(session, units)]
    seconds: list[float] = []
    seen: set[tuple[str, str, str]] = set()
    report.templates.update(templates)  # includes and imports count as used
    for kind, template in variants(spec):
        report.templates.add(template)
        channel = samples.sample_channel(f"{kind}-mau", kind, spec.agency)
        for s in samples.renders(
            session, spec, templates, channel, kind, plan, checks=True, sample_feeds=True
        ):
            report.renders += 1
            if isinstance(s.error, SlotMismatch) and s.error.fit is not None:
                seconds.append(s.error.fit.seconds)  # summarised per campaign below
                continue
            due = s.due.astimezone(spec.tz)
            if s.error is not None:
                error = _describe(s.error)
                if (template, kind, error) not in seen:  # the same fault in every unit: once
                    seen.add((template, kind, error))
                    report.problems.append(Problem(source, template, kind, s.unit_code, due, error))
            elif s.rendered is not None and spec.slot_minutes is not None:
                seconds.append(samples.slot_fit(s.rendered, spec.slot_minutes).seconds)
            if s.rendered is not None and s.rendered.meta.get("unread"):
                found = report.unread.setdefault(source, [])
                for token in str(s.rendered.meta["unread"]).split(", "):
                    if token not in found:
                        found.append(token)
    if spec.slot_minutes is not None and seconds:
        tolerance = timing.SlotFit(0, 0, spec.slot_minutes * 60, 1).tolerance
        summary = SlotSummary(spec.id, spec.slot_minutes, min(seconds), max(seconds), tolerance)
        report.slots.append(summary)


def _orphan_spec(name: str) -> CampaignSpec:
    kind = FOLDER_KINDS.get(name.split("/", 1)[0], "post")
    return CampaignSpec.model_validate(
        {
            "id": "mau-" + Path(name).name.split(".", 1)[0],
            "title": "Mẫu kiểm tra",
            "task": "1.3" if kind == "radio_script" else "1.1",
            "agency": "COMMUNES" if kind == "radio_script" else "BAOVL",
            "kind": kind,
            "period": {"start": date(2026, 1, 1), "end": date(2026, 12, 31)},
            "schedule": [{"cron": "30 5 * * *"}],
            "targets": "all" if kind == "radio_script" else None,
            "channels": ["mau"],
            "template": name,
        }
    )


def check(session: Session, files: Iterable[Path] | None = None) -> Report:
    """Check the given campaign files (default: the bundled examples) and, by default,
    every bundled template none of them uses."""
    try:
        units = session.scalar(select(func.count()).select_from(Unit))
    except OperationalError:  # no tables yet
        units = 0
    if not units:
        raise ConfigError("no units in the database: run `bantin init` first")
    bundled = files is None
    report = Report()
    for path in bundled_campaign_files() if files is None else files:
        shown = str(path.relative_to(DATA)) if path.is_relative_to(DATA) else str(path)
        try:
            spec, templates = spec_and_templates(path)
        except CampaignError as exc:
            report.problems += [Problem(shown, "-", "-", None, None, str(i)) for i in exc.issues]
            continue
        report.campaigns.append(spec.id)
        check_campaign(session, spec, templates, shown, report)
    if bundled:
        for path in sorted(BUNDLED_TEMPLATES.rglob("*.j2")):
            name = path.relative_to(BUNDLED_TEMPLATES).as_posix()
            if name not in report.templates and not Path(name).name.startswith("_"):
                source = {name: path.read_text(encoding="utf-8")}
                check_campaign(session, _orphan_spec(name), source, f"templates/{name}", report)
    return report
