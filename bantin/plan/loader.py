"""Load the bundled plan, its agencies, the province's units and unit groups.

Idempotent: rows are merged by their natural keys, so `bantin init` twice changes
nothing, and an edited YAML file updates the rows it names.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete
from sqlalchemy.orm import Session

from bantin.core import audit
from bantin.core.models import (
    Agency,
    Objective,
    Plan,
    Task,
    TaskAgency,
    Unit,
    UnitGroup,
    UnitGroupMember,
)
from bantin.plan.units import province_units

DATA = Path(str(resources.files("bantin") / "data"))
DEFAULT_PLAN = DATA / "plans" / "vinh-long-618.yaml"
DEFAULT_GROUPS = DATA / "units" / "groups-86.yaml"
PROVINCE_CODE = 86


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


def read_yaml(path: Path) -> Any:
    return _nfc(yaml.safe_load(path.read_text(encoding="utf-8")))


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True)
class LoadResult:
    plan: str
    changed: bool
    agencies: int
    tasks: int
    objectives: int
    units: int
    groups: int


def _fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for p in paths:
        digest.update(p.read_bytes())
    return digest.hexdigest()


def load_plan(
    session: Session,
    now: datetime,
    plan_path: Path = DEFAULT_PLAN,
    groups_path: Path = DEFAULT_GROUPS,
    province_code: int = PROVINCE_CODE,
    actor: str = "bantin",
) -> LoadResult:
    """Upsert the plan and reference data; records one audit event when anything changed."""
    doc = read_yaml(plan_path)
    groups_doc = read_yaml(groups_path) if groups_path.is_file() else {"groups": []}
    fingerprint = _fingerprint(plan_path, *([groups_path] if groups_path.is_file() else []))
    code = doc["plan"]["code"]
    existing = session.get(Plan, code)
    unit_records = province_units(province_code)
    counts = dict(
        agencies=len(doc.get("agencies", [])),
        tasks=len(doc.get("tasks", [])),
        objectives=len(doc.get("objectives", [])),
        units=len(unit_records),
        groups=len(groups_doc.get("groups", [])),
    )
    if existing is not None and existing.data.get("source_hash") == fingerprint:
        return LoadResult(plan=code, changed=False, **counts)

    _load_agencies(session, doc.get("agencies", []))
    p = doc["plan"]
    session.merge(
        Plan(
            code=code,
            number=p["number"],
            signed_on=_as_date(p["date"]),
            title=p["title"],
            data={
                **{k: v for k, v in p.items() if k not in ("date",)},
                "source_hash": fingerprint,
                "duties": doc.get("duties", []),
                "province_code": province_code,
            },
        )
    )
    session.flush()
    _load_objectives(session, code, doc.get("objectives", []))
    _load_tasks(session, code, doc.get("tasks", []))
    for u in unit_records:
        session.merge(
            Unit(
                code=u.code,
                name=u.name,
                kind=u.kind,
                province_code=u.province_code,
                sort_key=u.sort_key,
            )
        )
    session.flush()
    _load_groups(session, groups_doc.get("groups", []), {u.code for u in unit_records})
    audit.append(
        session, now, actor, "plan.loaded", "plan", code, {"source_hash": fingerprint, **counts}
    )
    return LoadResult(plan=code, changed=True, **counts)


def _load_agencies(session: Session, agencies: list[dict[str, Any]]) -> None:
    # Insert without successors first: a successor may be listed after its predecessor.
    for a in agencies:
        session.merge(
            Agency(
                code=a["code"],
                name=a["name"],
                name_en=a.get("name_en"),
                kind=a.get("kind", "other"),
                level=a.get("level", "province"),
                valid_from=_as_date(a.get("valid_from")),
                valid_to=_as_date(a.get("valid_to")),
                successor_code=None,
                note=a.get("note"),
            )
        )
    session.flush()
    for a in agencies:
        if a.get("successor"):
            session.get_one(Agency, a["code"]).successor_code = a["successor"]
    session.flush()


def _load_objectives(session: Session, plan_code: str, objectives: list[dict[str, Any]]) -> None:
    session.execute(delete(Objective).where(Objective.plan_code == plan_code))
    for o in objectives:
        session.add(
            Objective(
                plan_code=plan_code,
                code=o["code"],
                year=int(o["year"]),
                text=o["text"],
                metric=o.get("metric", o["code"]),
                comparator=o.get("comparator", ">="),
                value=float(o["value"]),
                unit=o.get("unit", "percent"),
            )
        )
    session.flush()


def _load_tasks(session: Session, plan_code: str, tasks: list[dict[str, Any]]) -> None:
    for t in tasks:
        period = t.get("period") or {}
        session.merge(
            Task(
                code=str(t["code"]),
                plan_code=plan_code,
                group=t.get("group", ""),
                title=t["title"],
                period_start=period.get("start"),
                period_end=period.get("end"),
                frequency=t.get("frequency"),
                publishes=bool(t.get("publishes", False)),
                data={k: v for k, v in t.items() if k not in ("code", "title", "period")},
            )
        )
        session.flush()
        session.execute(delete(TaskAgency).where(TaskAgency.task_code == str(t["code"])))
        for role, key in (("lead", "lead"), ("coordinating", "coordinating")):
            for agency_code in t.get(key) or []:
                session.add(
                    TaskAgency(task_code=str(t["code"]), agency_code=agency_code, role=role)
                )
    session.flush()


def _load_groups(session: Session, groups: list[dict[str, Any]], known: set[str]) -> None:
    for g in groups:
        unknown = [str(c) for c in g["units"] if str(c) not in known]
        if unknown:
            raise ValueError(f"unit group {g['name']!r} names unknown units: {', '.join(unknown)}")
        session.merge(UnitGroup(name=g["name"], title=g.get("title", g["name"])))
        session.flush()
        session.execute(delete(UnitGroupMember).where(UnitGroupMember.group_name == g["name"]))
        session.add_all(UnitGroupMember(group_name=g["name"], unit_code=str(c)) for c in g["units"])
    session.flush()
