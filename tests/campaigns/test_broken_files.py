"""Every broken campaign file gets its own clear message (file:line: field: message),
exit code 1, and the database is left exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from bantin.core.db import Database
from tests.conftest import T0, Cli
from tests.helpers import OUTBOX_CHANNELS, add_channels, snapshot

BASE = """\
id: thu-nghiem
title: Thử nghiệm chuyển đổi số
task: "1.1"
agency: BAOVL
kind: post
period: {start: 2026-12-01, end: 2026-12-31}
schedule:
  - cron: "0 8 * * *"
targets: [29641]
channels: [baovl-fanpage]
template: t.j2
vars:
  loi: Xin chào bà con
"""
GOOD_TEMPLATE = "{{ vars.loi }} {{ unit.name }}, {{ due_date }}.\n"


def mutate(line: int, new: str) -> str:
    lines = BASE.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


# (case id, campaign text, template text, expected line, expected "field: message" fragment)
CASES = [
    (
        "template-mapping-misses-a-channel",
        mutate(11, "template: {zalo: t.j2}"),
        GOOD_TEMPLATE,
        10,
        "no template for channel 'baovl-fanpage' (outbox)",
    ),
    ("yaml-syntax", mutate(2, "title: [không đóng"), GOOD_TEMPLATE, 3, "YAML syntax error"),
    ("not-a-mapping", "- a\n- b\n", GOOD_TEMPLATE, 1, "must be a YAML mapping"),
    ("duplicate-key", BASE + "title: Lần hai\n", GOOD_TEMPLATE, 14, "duplicate key 'title'"),
    ("unknown-task", mutate(3, 'task: "9.9"'), GOOD_TEMPLATE, 3, "task: unknown task '9.9'"),
    ("unknown-agency", mutate(4, "agency: XYZ"), GOOD_TEMPLATE, 4, "agency: unknown agency 'XYZ'"),
    (
        "ceased-agency",
        mutate(4, "agency: STTTT"),
        GOOD_TEMPLATE,
        4,
        "agency: agency STTTT ceased on 2025-02-28; its successor is SKHCN",
    ),
    ("bad-kind", mutate(5, "kind: tweet"), GOOD_TEMPLATE, 5, "kind: Input should be"),
    (
        "end-before-start",
        mutate(6, "period: {start: 2026-12-01, end: 2026-11-01}"),
        GOOD_TEMPLATE,
        6,
        "period: end 2026-11-01 is before start 2026-12-01",
    ),
    (
        "bad-date",
        mutate(6, "period: {start: 2026-12-01, end: 2026-13-01}"),
        GOOD_TEMPLATE,
        6,
        "period.end:",
    ),
    (
        "bad-cron",
        mutate(8, '  - cron: "61 * * * *"'),
        GOOD_TEMPLATE,
        8,
        "schedule[0].cron: invalid cron expression '61 * * * *'",
    ),
    (
        "short-cron",
        mutate(8, '  - cron: "0 8 * *"'),
        GOOD_TEMPLATE,
        8,
        "schedule[0].cron: invalid cron expression '0 8 * *': expected 5 fields",
    ),
    (
        "bad-rrule",
        mutate(8, '  - rrule: "FREQ=SOMETIMES"'),
        GOOD_TEMPLATE,
        8,
        "schedule[0].rrule: invalid rrule 'FREQ=SOMETIMES'",
    ),
    (
        "rrule-without-freq",
        mutate(8, '  - rrule: "BYDAY=MO"'),
        GOOD_TEMPLATE,
        8,
        "schedule[0].rrule: invalid rrule 'BYDAY=MO': FREQ is required",
    ),
    (
        "two-kinds-in-entry",
        mutate(8, '  - {cron: "0 8 * * *", at: 2026-12-02T08:00}'),
        GOOD_TEMPLATE,
        8,
        "schedule[0]: each schedule entry needs exactly one of cron, rrule or at",
    ),
    ("bad-at", mutate(8, "  - at: 2026-12-32T08:00"), GOOD_TEMPLATE, 8, "schedule[0].at:"),
    (
        "empty-schedule",
        mutate(8, "  []").replace("schedule:\n  []", "schedule: []"),
        GOOD_TEMPLATE,
        7,
        "schedule: List should have at least 1 item",
    ),
    (
        "unknown-unit",
        mutate(9, "targets: [29641, 99999]"),
        GOOD_TEMPLATE,
        9,
        "targets[1]: unknown unit '99999'",
    ),
    (
        "unknown-group",
        mutate(9, "targets: group:khong-co"),
        GOOD_TEMPLATE,
        9,
        "targets: unknown unit group 'khong-co'",
    ),
    (
        "bad-targets",
        mutate(9, "targets: mot-vai"),
        GOOD_TEMPLATE,
        9,
        "targets: targets must be 'all', 'group:NAME' or a list of unit codes",
    ),
    (
        "unknown-channel",
        mutate(10, "channels: [khong-co]"),
        GOOD_TEMPLATE,
        10,
        "channels[0]: unknown channel 'khong-co'",
    ),
    (
        "channel-of-other-agency",
        mutate(10, "channels: [loa-xa]"),
        GOOD_TEMPLATE,
        10,
        "channels[0]: channel 'loa-xa' belongs to agency COMMUNES, not BAOVL",
    ),
    (
        "template-missing",
        mutate(11, "template: khong-co.j2"),
        GOOD_TEMPLATE,
        11,
        "template: template 'khong-co.j2' not found",
    ),
    (
        "template-syntax",
        BASE,
        "{{ vars.loi }}\n{% if unit %}\n{{ unit.name }}\n",
        11,
        "template: t.j2:3: template syntax error",
    ),
    (
        "missing-variable",
        BASE,
        "{{ vars.loi }} {{ vars.khong_co }}\n",
        11,
        "template: template needs `vars.khong_co`",
    ),
    ("sandbox-escape", BASE, "{{ ''.__class__.__mro__ }}\n", 11, "template: SecurityError"),
    (
        "unknown-field",
        BASE + "chanels: [baovl-fanpage]\n",
        GOOD_TEMPLATE,
        14,
        "chanels: unknown field",
    ),
    (
        "missing-id",
        BASE.replace("id: thu-nghiem\n", ""),
        GOOD_TEMPLATE,
        1,
        "id: required field is missing",
    ),
    ("bad-id", mutate(1, "id: Thử Nghiệm"), GOOD_TEMPLATE, 1, "id: String should match pattern"),
    (
        "bad-timezone",
        BASE + "timezone: Asia/Hanoi\n",
        GOOD_TEMPLATE,
        14,
        "timezone: unknown time zone 'Asia/Hanoi'",
    ),
    ("bad-priority", BASE + "priority: khan\n", GOOD_TEMPLATE, 14, "priority: Input should be"),
    (
        "bad-approval",
        BASE + "approval: maybe\n",
        GOOD_TEMPLATE,
        14,
        "approval: Input should be 'required' or 'none'",
    ),
    (
        "bad-blackout",
        BASE + "blackout: [Tết]\n",
        GOOD_TEMPLATE,
        14,
        "blackout[0]: invalid blackout 'Tết'",
    ),
]


@pytest.fixture
def folder(tmp_path: Path, db: Database, home: Path) -> Path:
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    return tmp_path / "campaigns"


def write(folder: Path, campaign: str, template: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "t.j2").write_text(template, encoding="utf-8")
    path = folder / "x.yaml"
    path.write_text(campaign, encoding="utf-8")
    return path


def test_base_file_is_valid(folder: Path, run_cli: Cli) -> None:
    path = write(folder, BASE, GOOD_TEMPLATE)
    result = run_cli("campaign", "validate", str(path))
    assert result.exit_code == 0, result.output
    assert "ok (thu-nghiem" in result.output


@pytest.mark.parametrize(
    ("case", "text", "template", "line", "fragment"), CASES, ids=[c[0] for c in CASES]
)
def test_broken_file_is_refused_with_its_line_and_field(
    case: str,
    text: str,
    template: str,
    line: int,
    fragment: str,
    folder: Path,
    run_cli: Cli,
    db: Database,
) -> None:
    path = write(folder, text, template)
    before = snapshot(db)
    result = run_cli("campaign", "apply", str(path), "--now", "2026-11-28T08:00")
    assert result.exit_code == 1, result.output
    expected_prefix = f"{path}:{line}: "
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith(str(path))]
    assert any(ln.startswith(expected_prefix) and fragment in ln for ln in lines), result.stderr
    assert "nothing was changed" in result.stderr
    assert snapshot(db) == before


def test_table_covers_at_least_twenty_cases() -> None:
    assert len({c[0] for c in CASES}) >= 20


def test_every_error_in_a_file_is_reported_at_once(folder: Path, run_cli: Cli) -> None:
    text = mutate(8, '  - cron: "61 * * * *"').replace('task: "1.1"', 'task: "9.9"')
    path = write(folder, text + "chanels: []\n", GOOD_TEMPLATE)
    result = run_cli("campaign", "validate", str(path))
    assert result.exit_code == 1
    assert f"{path}:3: task: unknown task '9.9'" in result.stderr
    assert f"{path}:8: schedule[0].cron: invalid cron expression" in result.stderr
    assert f"{path}:14: chanels: unknown field" in result.stderr
    assert "3 problems found" in result.stderr


def test_one_bad_file_stops_the_whole_apply(folder: Path, run_cli: Cli, db: Database) -> None:
    good = write(folder, BASE, GOOD_TEMPLATE)
    bad = folder / "y.yaml"
    bad.write_text(BASE.replace("thu-nghiem", "hai").replace("0 8 * * *", "61 * * * *"), "utf-8")
    before = snapshot(db)
    result = run_cli("campaign", "apply", str(good), str(bad))
    assert result.exit_code == 1
    assert snapshot(db) == before


def test_missing_file_is_named(folder: Path, run_cli: Cli) -> None:
    result = run_cli("campaign", "validate", str(folder / "khong-co.yaml"))
    assert result.exit_code == 1
    assert "khong-co.yaml: cannot read file" in result.stderr
