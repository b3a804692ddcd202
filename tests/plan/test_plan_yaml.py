"""The bundled plan (Decision 618/QĐ-UBND) and unit groups, read as plain YAML.

These check the data files themselves, independent of the loader: every reference resolves,
the figures are the decision's, every string is NFC, and every unit code exists.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from vietnam_provinces import ProvinceCode, Ward

DATA = Path(__file__).resolve().parents[2] / "bantin" / "data"
PLAN_PATH = DATA / "plans" / "vinh-long-618.yaml"
GROUPS_PATH = DATA / "units" / "groups-86.yaml"

TASK_CODES = ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "3.1a", "3.1b", "3.2", "3.3"]
TARGETS = {
    2025: [
        ("officials-trained", 100, "percent"),
        ("citizens-digital-services", 70, "percent"),
        ("commune-network", 80, "percent"),
        ("dts-staff-trained", 100, "percent"),
        ("dts-experts", 2, "count"),
        ("schools-stem", 50, "percent"),
    ],
    2030: [
        ("officials-trained", 100, "percent"),
        ("citizens-digital-services", 90, "percent"),
        ("commune-network", 100, "percent"),
        ("dts-staff-trained", 100, "percent"),
        ("schools-stem", 80, "percent"),
    ],
}


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return _load(PLAN_PATH)


@pytest.fixture(scope="module")
def groups() -> list[dict[str, Any]]:
    return _load(GROUPS_PATH)["groups"]


@pytest.fixture(scope="module")
def province_codes() -> set[int]:
    return {int(w.code) for w in Ward.iter_by_province(ProvinceCode(86))}


@pytest.fixture(scope="module")
def agency_codes(plan: dict[str, Any]) -> set[str]:
    return {a["code"] for a in plan["agencies"]}


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _duplicates(values: list[Any]) -> list[Any]:
    return [v for v, n in Counter(values).items() if n > 1]


def test_plan_header(plan: dict[str, Any]) -> None:
    p = plan["plan"]
    assert p["code"] == "vinh-long-618"
    assert p["number"] == "618/QĐ-UBND"
    assert p["date"].isoformat() == "2022-03-30"
    assert p["report_deadline"] == "12-05"
    assert len(p["goals"]) == 2
    assert len(p["contents"]) == 5


def test_all_eleven_tasks_in_order(plan: dict[str, Any]) -> None:
    assert [t["code"] for t in plan["tasks"]] == TASK_CODES


def test_task_fields(plan: dict[str, Any]) -> None:
    for t in plan["tasks"]:
        assert t["group"] in {"awareness", "skills", "workforce"}, t["code"]
        assert t["frequency"] in {"continuous", "yearly", "yearly_or_triennial"}, t["code"]
        assert t["lead"], f"task {t['code']} has no lead agency"
        if t["period"] is not None:
            assert 2022 <= t["period"]["start"] <= t["period"]["end"] <= 2030, t["code"]
        assert (t["parent"] == "3.1") == t["code"].startswith("3.1"), t["code"]
    publishing = {t["code"] for t in plan["tasks"] if t["publishes"]}
    assert publishing == {"1.1", "1.2", "1.3", "1.4", "1.5", "2.2"}


def test_task_agencies_exist(plan: dict[str, Any], agency_codes: set[str]) -> None:
    for t in plan["tasks"]:
        for code in [*t["lead"], *(t["coordinating"] or [])]:
            assert code in agency_codes, f"task {t['code']} names unknown agency {code}"


def test_successors_exist_and_follow(plan: dict[str, Any], agency_codes: set[str]) -> None:
    by_code = {a["code"]: a for a in plan["agencies"]}
    for a in plan["agencies"]:
        successor = a.get("successor")
        if successor is None:
            continue
        assert successor in agency_codes, f"{a['code']} has unknown successor {successor}"
        assert successor != a["code"]
        assert a["valid_to"] is not None, f"{a['code']} has a successor but no valid_to"
        start = by_code[successor].get("valid_from")
        assert start is None or start > a["valid_to"], a["code"]


def test_agency_fields(plan: dict[str, Any]) -> None:
    kinds = {"department", "people_committee", "press", "education", "enterprise", "other"}
    for a in plan["agencies"]:
        assert a["code"] == a["code"].upper(), a["code"]
        assert a["kind"] in kinds, a["code"]
        assert a["level"] in {"province", "district", "commune"}, a["code"]
        if a.get("valid_from") and a.get("valid_to"):
            assert a["valid_from"] <= a["valid_to"], a["code"]
        if a.get("successor") or a.get("valid_to"):
            assert a.get("note"), f"{a['code']} states a history without a note"


def test_reorganisations(plan: dict[str, Any]) -> None:
    by_code = {a["code"]: a for a in plan["agencies"]}
    assert by_code["STTTT"]["successor"] == "SKHCN"
    assert by_code["STTTT"]["valid_to"].isoformat() == "2025-02-28"
    districts = [a for a in plan["agencies"] if a["level"] == "district"]
    assert len(districts) == 9  # the collective DISTRICTS and the 8 former district committees
    for a in districts:
        assert a["valid_to"].isoformat() == "2025-06-30", a["code"]
        assert a["successor"] == "COMMUNES", a["code"]
    assert by_code["COMMUNES"]["valid_from"].isoformat() == "2025-07-01"


def test_duties_name_known_agencies(plan: dict[str, Any], agency_codes: set[str]) -> None:
    duties = plan["duties"]
    assert [d["agency"] for d in duties] == [
        "STTTT", "SLDTBXH", "STC", "SKHDT", "SNV", "DEPARTMENTS", "DISTRICTS", "PRESS",
    ]  # fmt: skip
    for d in duties:
        assert d["agency"] in agency_codes
        assert d["items"] and all(isinstance(i, str) and i for i in d["items"])


@pytest.mark.parametrize("year", sorted(TARGETS))
def test_objectives_match_the_decision(plan: dict[str, Any], year: int) -> None:
    got = [(o["code"], o["value"], o["unit"]) for o in plan["objectives"] if o["year"] == year]
    assert got == TARGETS[year]


def test_objective_fields(plan: dict[str, Any]) -> None:
    assert {o["year"] for o in plan["objectives"]} == {2025, 2030}
    for o in plan["objectives"]:
        assert o["comparator"] == ">="
        assert o["observable"] is False
        assert o["text"] and o["metric"]
        if o["unit"] == "percent":
            assert 0 < o["value"] <= 100, o["code"]


def test_no_duplicate_codes(plan: dict[str, Any], groups: list[dict[str, Any]]) -> None:
    assert _duplicates([a["code"] for a in plan["agencies"]]) == []
    assert _duplicates([t["code"] for t in plan["tasks"]]) == []
    assert _duplicates([(o["code"], o["year"]) for o in plan["objectives"]]) == []
    assert _duplicates([d["agency"] for d in plan["duties"]]) == []
    assert _duplicates([g["name"] for g in groups]) == []
    for g in groups:
        assert _duplicates(g["units"]) == [], g["name"]


@pytest.mark.parametrize("path", [PLAN_PATH, GROUPS_PATH], ids=lambda p: p.name)
def test_every_string_is_nfc(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", raw)
    for s in _strings(_load(path)):
        assert unicodedata.is_normalized("NFC", s), s


def test_group_units_exist(groups: list[dict[str, Any]], province_codes: set[int]) -> None:
    assert len(province_codes) == 124
    for g in groups:
        assert g["units"], g["name"]
        assert g["name"] == g["name"].lower()
        unknown = [u for u in g["units"] if not isinstance(u, int) or u not in province_codes]
        assert unknown == [], f"group {g['name']} names unknown units {unknown}"


def test_group_partitions(groups: list[dict[str, Any]], province_codes: set[int]) -> None:
    by_name = {g["name"]: set(g["units"]) for g in groups}
    assert len(by_name["phuong"]) == 19
    assert len(by_name["xa"]) == 105
    assert by_name["phuong"] | by_name["xa"] == province_codes
    assert len(by_name["thi-diem"]) == 5
    former = [by_name[n] for n in ("vinh-long-cu", "ben-tre-cu", "tra-vinh-cu")]
    assert sum(len(s) for s in former) == 124
    assert set().union(*former) == province_codes
    districts = [s for n, s in by_name.items() if n.startswith(("tp-", "tx-", "huyen-"))]
    assert len(districts) == 8
    assert set().union(*districts) == by_name["vinh-long-cu"]
