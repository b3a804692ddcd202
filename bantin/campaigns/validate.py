"""Validate a campaign file completely, against the schema and the database.

Every problem is collected before anything is written, each naming file, line and
field, e.g. `campaigns/x.yaml:12: schedule[0].cron: invalid cron expression '61 * * * *'`.
A template that does not compile or refers to a missing variable fails here, at review,
because a sample is rendered for every (channel, unit kind) pair.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.campaigns import samples, volume
from bantin.campaigns.errors import CampaignError, CampaignIssue, field_path
from bantin.campaigns.occurrences import first_time, period_bounds
from bantin.campaigns.render_input import render_input
from bantin.campaigns.samples import extreme_units, sample_dues
from bantin.campaigns.spec import CampaignSpec
from bantin.campaigns.yamlsource import LocatedYAML, YAMLSyntax, load_located, read_text
from bantin.channels import open_channel
from bantin.content.limits import MAX_TEMPLATE_BYTES, size_text
from bantin.content.render import RenderFailed, render
from bantin.content.sandbox import make_environment, referenced
from bantin.core.errors import ConfigError
from bantin.core.models import Agency, Channel, Task, Unit, UnitGroup, UnitGroupMember
from bantin.plan.loader import DATA

BUNDLED_TEMPLATES = DATA / "templates"


@dataclass
class ValidatedCampaign:
    spec: CampaignSpec
    source_path: str
    templates: dict[str, str]
    content_hash: str
    unit_codes: list[str | None]
    warnings: list[str] = field(default_factory=list)


def _message(err: Any) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return "unknown field (check its spelling in docs/campaigns.md)"
    if err["type"] == "missing":
        return "required field is missing"
    return msg


class _Collector:
    def __init__(self, display: str, located: LocatedYAML | None) -> None:
        self.display = display
        self.located = located
        self.issues: list[CampaignIssue] = []

    def add(self, loc: tuple[str | int, ...], message: str) -> None:
        line = self.located.line_of(loc) if self.located else None
        self.issues.append(CampaignIssue(self.display, line, field_path(loc) or None, message))


class TemplatePathError(Exception):
    """A template name that cannot be used; the message is the whole sentence."""


def resolve_template(name: str, campaign_dir: Path) -> Path | None:
    """The file a template name means: inside the campaign file's folder or the bundle.

    Names are resolved (symbolic links followed) and must stay inside the folder they
    were found in: an absolute name, `../`, or a link pointing elsewhere would let a
    campaign file publish any file the service can read (its secret key, say). Returns
    None when no such template exists; raises TemplatePathError for a name that leaves
    both folders.
    """
    outside = f"template {name!r} is outside the campaign folder and the bundle"
    if not name or "\0" in name or Path(name).is_absolute() or name.startswith("~"):
        raise TemplatePathError(outside)
    escaped = False
    for base in (campaign_dir, BUNDLED_TEMPLATES):
        root = base.resolve()
        try:
            candidate = (root / name).resolve()
        except (OSError, RuntimeError):  # a symlink loop
            escaped = True
            continue
        if not candidate.is_relative_to(root):
            escaped = True
            continue
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # a name too long for the file system, or not a name at all
            continue
    if escaped:
        raise TemplatePathError(outside)
    return None


def _read_template(name: str, campaign_dir: Path) -> str:
    """The text of template `name`; TemplatePathError says why it cannot be used."""
    path = resolve_template(name, campaign_dir)
    if path is None:
        raise TemplatePathError(
            f"template {name!r} not found next to the campaign file or in the bundle"
        )
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplatePathError(
                f"template {name!r} is over {size_text(MAX_TEMPLATE_BYTES)}: "
                "is it really a template?"
            )
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else exc.strerror
        raise TemplatePathError(f"template {name!r} cannot be read: {reason}") from exc


def _load_templates(
    names: dict[tuple[str | int, ...], str], campaign_dir: Path, c: _Collector
) -> dict[str, str]:
    """Read each named template and everything it includes, keyed by the name used."""
    sources: dict[str, str] = {}
    refused: set[str] = set()
    pending = [(loc, n) for loc, n in names.items()]
    while pending:
        loc, name = pending.pop()
        if name in sources or name in refused:
            continue
        try:
            text = _read_template(name, campaign_dir)
        except TemplatePathError as exc:
            refused.add(name)
            c.add(loc, str(exc))
            continue
        sources[name] = text
        try:
            make_environment({name: text}).parse(text)
        except TemplateSyntaxError as exc:
            c.add(loc, f"{name}:{exc.lineno}: template syntax error: {exc.message}")
            continue
        pending.extend((loc, ref) for ref in referenced(text))
    return sources


def _check_references(session: Session, data: dict[str, Any], c: _Collector) -> list[str | None]:
    """Task, agency, channels and targets must exist; returns the target unit codes."""
    task = data.get("task")
    if task is not None and session.get(Task, str(task)) is None:
        tasks = ", ".join(session.execute(select(Task.code)).scalars())
        c.add(("task",), f"unknown task {str(task)!r} (the plan has {tasks})")
    agency_code = data.get("agency")
    agency = session.get(Agency, str(agency_code)) if agency_code is not None else None
    if agency_code is not None and agency is None:
        c.add(("agency",), f"unknown agency {agency_code!r} (see `bantin agencies list`)")
    channels = data.get("channels")
    for i, name in enumerate(channels if isinstance(channels, list) else []):
        ch = session.get(Channel, str(name))
        if ch is None:
            c.add(("channels", i), f"unknown channel {name!r} (add it with `bantin channel add`)")
        elif agency is not None and ch.agency_code != agency.code:
            c.add(
                ("channels", i),
                f"channel {name!r} belongs to agency {ch.agency_code}, not {agency.code}",
            )
    targets = data.get("targets")
    if targets is None:
        return [None]
    if targets == "all":
        return list(session.execute(select(Unit.code).order_by(Unit.sort_key)).scalars())
    if isinstance(targets, str) and targets.startswith("group:"):
        group = targets.removeprefix("group:")
        if session.get(UnitGroup, group) is None:
            c.add(("targets",), f"unknown unit group {group!r} (see `bantin units groups`)")
            return []
        return list(
            session.execute(
                select(UnitGroupMember.unit_code)
                .join(Unit, Unit.code == UnitGroupMember.unit_code)
                .where(UnitGroupMember.group_name == group)
                .order_by(Unit.sort_key)
            ).scalars()
        )
    codes: list[str | None] = []
    if isinstance(targets, list):
        known = set(
            session.execute(
                select(Unit.code).where(Unit.code.in_([str(t) for t in targets]))
            ).scalars()
        )
        for i, code in enumerate(targets):
            if str(code) not in known:
                c.add(("targets", i), f"unknown unit {str(code)!r} (see `bantin units list`)")
            elif str(code) not in codes:
                codes.append(str(code))
    return codes


def _check_agency_period(session: Session, spec: CampaignSpec, c: _Collector) -> None:
    agency = session.get(Agency, spec.agency)
    if agency and agency.valid_to and spec.period.end > agency.valid_to:
        successor = f"; its successor is {agency.successor_code}" if agency.successor_code else ""
        c.add(
            ("agency",), f"agency {agency.code} ceased on {agency.valid_to.isoformat()}{successor}"
        )


def _check_template_coverage(session: Session, spec: CampaignSpec, c: _Collector) -> None:
    """A template mapping must name a template for every channel it is sent to."""
    if isinstance(spec.template, str):
        return
    for i, name in enumerate(spec.channels):
        row = session.get(Channel, name)
        if row is None:
            continue  # reported with the references
        if not any(key in spec.template for key in (row.name, row.kind, "default")):
            keys = ", ".join(sorted(spec.template)) or "none"
            c.add(
                ("channels", i),
                f"no template for channel {name!r} ({row.kind}): add a `{row.kind}:` or "
                f"`default:` entry to the template mapping (it has {keys})",
            )


def content_hash(spec: CampaignSpec, templates: dict[str, str]) -> str:
    payload = json.dumps(
        [spec.model_dump(mode="json", by_alias=True), sorted(templates.items())],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _template_loc(spec: CampaignSpec, channel: str, kind: str) -> tuple[str, ...]:
    """Where the template a channel uses is named: `template`, or its mapping key."""
    if isinstance(spec.template, str):
        return ("template",)
    key = next((k for k in (channel, kind, "default") if k in spec.template), None)
    return ("template", key) if key else ("template",)


def _render_problem(exc: TemplateError, channel: str, unit_kind: str | None) -> str:
    """One sentence for a failed sample render: cause, template line, which sample."""
    sample = f"sample render for channel {channel}" + (
        f", unit kind {unit_kind}" if unit_kind else ""
    )
    if isinstance(exc, RenderFailed):
        where = f"{exc.template} line {exc.lineno}; " if exc.template and exc.lineno else ""
        return f"{exc.reason} ({where}{sample})"
    return f"{type(exc).__name__}: {exc.message} ({sample})"


def _sample_renders(
    session: Session, v: ValidatedCampaign, c: _Collector, home: Path | None
) -> None:
    spec = v.spec
    start, _ = period_bounds(spec)
    due = first_time(spec) or start  # not the whole list: a dense schedule is long
    kinds: dict[str | None, str | None] = {}
    for code in v.unit_codes:
        kind = session.get_one(Unit, code).kind if code else None
        kinds.setdefault(kind, code)
    for ci, ch_name in enumerate(spec.channels):
        ch = session.get(Channel, ch_name)
        if ch is None:
            continue
        try:
            channel = open_channel(ch.name, ch.url, home)
        except ConfigError as exc:
            c.add(("channels", ci), str(exc))
            continue
        for kind, code in kinds.items():
            inp = render_input(session, spec, v.templates, ch, channel.kind, code, due)
            try:
                render(inp, slot=False)  # the slot is checked on a wider sample below
            except TemplateError as exc:
                c.add(
                    _template_loc(spec, ch_name, channel.kind), _render_problem(exc, ch_name, kind)
                )


def _check_timing(session: Session, v: ValidatedCampaign, c: _Collector, home: Path | None) -> None:
    """A radio script must fit its slot in every sampled render (see `samples`)."""
    spec = v.spec
    if spec.kind != "radio_script" or spec.slot_minutes is None:
        return
    plan = [(due, u) for due in sample_dues(spec) for u in extreme_units(session, v.unit_codes)]
    done: set[str] = set()
    for ch_name in spec.channels:
        ch = session.get(Channel, ch_name)
        if ch is None:
            continue
        try:
            kind = open_channel(ch.name, ch.url, home).kind
        except ConfigError:
            continue  # reported by the sample renders
        if spec.template_for(ch.name, kind) in done:
            continue
        done.add(spec.template_for(ch.name, kind))
        fits, bad = 0, []
        for sample in samples.renders(session, spec, v.templates, ch, kind, plan, checks=False):
            if sample.rendered is None:
                continue  # a template error shows in the sample renders
            fit = samples.slot_fit(sample.rendered, spec.slot_minutes)
            fits += 1
            if not fit.fits:
                bad.append((abs(fit.delta), fit, sample))
        if bad:
            _, fit, worst = max(bad, key=lambda b: b[0])
            local = worst.due.astimezone(spec.tz)
            unit = f", unit {worst.unit_code}" if worst.unit_code else ""
            c.add(
                ("slot_minutes",),
                f"{fit.describe()} (channel {ch_name}{unit}, {local:%Y-%m-%d %H:%M}; "
                f"{len(bad)} of {fits} sample renders do not fit)",
            )


def spec_and_templates(path: Path) -> tuple[CampaignSpec, dict[str, str]]:
    """A campaign file's spec and templates, checked without the database (template check)."""
    c = _Collector(str(path), None)
    try:
        located = load_located(read_text(path))
        c.located = located
        spec = CampaignSpec.model_validate(located.data)
    except YAMLSyntax as exc:
        raise CampaignError([CampaignIssue(str(path), exc.line, None, exc.message)]) from exc
    except ValidationError as exc:
        for err in exc.errors():
            c.add(tuple(err["loc"]), _message(err))
        raise CampaignError(c.issues) from exc
    names: dict[tuple[str | int, ...], str] = (
        {("template",): spec.template}
        if isinstance(spec.template, str)
        else {("template", k): v for k, v in spec.template.items()}
    )
    templates = _load_templates(names, path.parent, c)
    if c.issues:
        raise CampaignError(c.issues)
    return spec, templates


def validate_file(
    session: Session, path: Path, *, home: Path | None = None, display: str | None = None
) -> ValidatedCampaign:
    """Validate one campaign file; raise CampaignError listing every problem."""
    shown = display or str(path)
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CampaignError([CampaignIssue(shown, None, None, f"cannot read file: {exc}")]) from exc
    except YAMLSyntax as exc:
        raise CampaignError([CampaignIssue(shown, exc.line, None, exc.message)]) from exc
    try:
        located = load_located(text)
    except YAMLSyntax as exc:
        raise CampaignError([CampaignIssue(shown, exc.line, None, exc.message)]) from exc
    c = _Collector(shown, located)
    data = located.data
    if not isinstance(data, dict):
        c.add((), "a campaign file must be a YAML mapping (key: value lines)")
        raise CampaignError(c.issues)
    spec: CampaignSpec | None = None
    try:
        spec = CampaignSpec.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            c.add(tuple(err["loc"]), _message(err))
    unit_codes = _check_references(session, data, c)
    template = data.get("template")
    names: dict[tuple[str | int, ...], str] = {}
    if isinstance(template, str):
        names[("template",)] = template
    elif isinstance(template, dict):
        names.update({("template", k): str(v) for k, v in template.items()})
    templates = _load_templates(names, path.parent, c)
    if spec is not None:
        _check_agency_period(session, spec, c)
        _check_template_coverage(session, spec, c)
        volume.check(spec, unit_codes, c.add)
    if c.issues or spec is None:
        raise CampaignError(c.issues)
    v = ValidatedCampaign(spec, str(path), templates, content_hash(spec, templates), unit_codes)
    _sample_renders(session, v, c, home)
    if not c.issues:
        _check_timing(session, v, c, home)
    if c.issues:
        raise CampaignError(c.issues)
    return v
