"""The command line: help everywhere, JSON where lists are printed, set-up idempotent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from bantin.cli import cli
from tests.conftest import EXAMPLES, Cli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import cli_docs  # noqa: E402

COMMANDS = [path for path, _ in cli_docs.walk(cli, ["bantin"])]


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_has_help(path: list[str]) -> None:
    cmd: click.Command = cli
    for name in path[1:]:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    assert cmd.help and len(cmd.help.strip()) > 20, f"{' '.join(path)} needs a help text"


def test_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli_docs.render(), (
        "run python scripts/cli_docs.py"
    )


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bantin", "--help"], capture_output=True, text=True, check=True
    )
    assert "bantin" in out.stdout and "campaign" in out.stdout


def test_init_twice_changes_nothing(run_cli: Cli, home: Path) -> None:
    first = run_cli("init")
    second = run_cli("init")
    assert first.exit_code == 0 and second.exit_code == 0
    assert "already current" in second.output
    assert (home / "bantin.db").is_file()


def test_init_creates_a_fresh_database_in_bantin_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    monkeypatch.setenv("BANTIN_HOME", str(tmp_path / "new"))
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert "11 tasks" in result.output and "124 units" in result.output
    assert (tmp_path / "new" / "bantin.db").is_file()


def test_plan_show_json_has_every_task(run_cli: Cli) -> None:
    doc = json.loads(run_cli("plan", "show", "--json").output)
    assert [t["code"] for t in doc["tasks"]] == [
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "1.5",
        "2.1",
        "2.2",
        "3.1a",
        "3.1b",
        "3.2",
        "3.3",
    ]
    assert doc["number"] == "618/QĐ-UBND"
    assert {(o["year"], o["value"]) for o in doc["objectives"]} >= {(2025, 70.0), (2030, 90.0)}


def test_units_list_json_has_the_124_units_in_vietnamese_order(run_cli: Cli) -> None:
    rows = json.loads(run_cli("units", "list", "--json").output)
    assert len(rows) == 124
    names = [r["name"].split(" ", 1)[1] if r["name"].startswith("Xã") else r["name"] for r in rows]
    assert names[0].startswith("An")


def test_units_list_by_group(run_cli: Cli) -> None:
    rows = json.loads(run_cli("units", "list", "--group", "phuong", "--json").output)
    assert len(rows) == 19 and all(r["kind"] == "phuong" for r in rows)


def test_unknown_group_is_a_clear_error(run_cli: Cli) -> None:
    result = run_cli("units", "list", "--group", "khong-co")
    assert result.exit_code == 1 and "unknown unit group 'khong-co'" in result.stderr


def test_agencies_list_shows_successors(run_cli: Cli) -> None:
    rows = {r["code"]: r for r in json.loads(run_cli("agencies", "list", "--json").output)}
    assert rows["STTTT"]["successor"] == "SKHCN"
    assert rows["STTTT"]["valid_to"] == "2025-02-28"


def test_channel_add_refuses_an_inline_secret(run_cli: Cli) -> None:
    result = run_cli(
        "channel", "add", "w", "webhook+https://x.vn/a?secret=abc123", "--agency", "BAOVL"
    )
    assert result.exit_code == 1
    assert "must be a secret reference" in result.stderr
    assert "abc123" not in result.stderr


def test_channel_list_hides_secret_references(run_cli: Cli) -> None:
    run_cli(
        "channel", "add", "w", "webhook+https://x.vn/a?secret=env:LOA_SECRET", "--agency", "BAOVL"
    )
    out = run_cli("channel", "list", "--json").output
    assert json.loads(out)[0]["url"] == "webhook+https://x.vn/a?secret=***"


def test_channel_add_twice_needs_replace(run_cli: Cli) -> None:
    assert run_cli("channel", "add", "o", "outbox://a", "--agency", "BAOVL").exit_code == 0
    assert "unchanged" in run_cli("channel", "add", "o", "outbox://a", "--agency", "BAOVL").output
    again = run_cli("channel", "add", "o", "outbox://b", "--agency", "BAOVL")
    assert again.exit_code == 1 and "--replace" in again.stderr


@pytest.fixture
def applied(run_cli: Cli) -> Cli:
    for name, url, agency in [
        ("baovl-fanpage", "outbox://outbox/f", "BAOVL"),
        ("baovl-portal", "outbox://outbox/p", "BAOVL"),
        ("loa-xa", "outbox://outbox/loa", "COMMUNES"),
    ]:
        run_cli("channel", "add", name, url, "--agency", agency)
    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    result = run_cli("campaign", "apply", *files, "--now", "2026-11-28T08:00")
    assert result.exit_code == 0, result.output
    return run_cli


def test_apply_reports_each_campaign(applied: Cli) -> None:
    out = applied("campaign", "list", "--json").output
    assert {c["id"] for c in json.loads(out)} == {
        "loa-cds",
        "huong-dan-dvc",
        "mang-xa-hoi-cds",
        "chuyen-muc-cds",
    }


def test_apply_again_reports_unchanged(applied: Cli) -> None:
    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    out = applied("campaign", "apply", *files, "--now", "2026-11-28T08:00").output
    assert out.count("unchanged; 0 new") == 4


def test_schedule_filters_by_unit_and_day(applied: Cli) -> None:
    rows = json.loads(
        applied(
            "schedule", "--unit", "29641", "--from", "2026-12-03", "--to", "2026-12-03", "--json"
        ).output
    )
    assert len(rows) == 2 and {r["campaign"] for r in rows} == {"loa-cds"}


def test_render_previews_a_radio_script(applied: Cli) -> None:
    out = applied("render", "loa-cds", "--at", "2026-12-03T05:30", "--unit", "29641").output
    assert "Kính thưa bà con nhân dân xã Cái Nhum!" in out
    assert "thứ Năm, ngày 3 tháng 12 năm 2026" in out


def test_campaign_show_and_pause_resume(applied: Cli) -> None:
    assert applied("campaign", "pause", "loa-cds").exit_code == 0
    assert json.loads(applied("campaign", "show", "loa-cds", "--json").output)["status"] == "paused"
    assert applied("campaign", "resume", "loa-cds").exit_code == 0


def test_cancel_cancels_unsent_publications(applied: Cli) -> None:
    out = applied("campaign", "cancel", "mang-xa-hoi-cds", "--reason", "thay đổi kế hoạch").output
    assert "publications cancelled" in out
    counts = json.loads(applied("campaign", "show", "mang-xa-hoi-cds", "--json").output)["counts"]
    assert set(counts) == {"cancelled"}


def test_unknown_campaign_is_a_clear_error(applied: Cli) -> None:
    result = applied("campaign", "show", "khong-co")
    assert result.exit_code == 1 and "no campaign with id 'khong-co'" in result.stderr


def test_dispatch_once_with_an_injected_clock(applied: Cli, home: Path) -> None:
    out = applied("dispatch", "--once", "--now", "2026-11-29T08:00:30").output
    assert "1 published" in out  # the 08:00 post; earlier bulletins are past their budget
    assert list((home / "outbox" / "f").rglob("*.txt"))


def test_records_csv_and_summary(applied: Cli) -> None:
    applied("dispatch", "--once", "--now", "2026-11-29T08:00:30")
    csv_out = applied("records", "--status", "published", "--csv").output
    assert csv_out.splitlines()[0].startswith("id,due_local,campaign")
    assert len(csv_out.splitlines()) == 2
    summary = json.loads(applied("records", "summary", "--by", "campaign", "--json").output)
    by = {r["campaign"]: r for r in summary}
    assert by["mang-xa-hoi-cds"]["published"] == 1


def test_approve_and_reject_by_id(applied: Cli) -> None:
    applied("dispatch", "--once", "--now", "2026-12-02T08:00")  # renders Thursday's article
    rows = json.loads(applied("schedule", "--status", "pending_approval", "--json").output)
    assert len(rows) == 1
    result = applied("reject", str(rows[0]["id"]), "--reason", "sai số liệu", "--actor", "bientap")
    assert result.exit_code == 0 and "rejected 1" in result.output
    again = applied("approve", str(rows[0]["id"]))
    assert again.exit_code == 1 and "not awaiting approval" in again.stderr


def test_demo_setup_writes_a_campaign_due_every_minute(run_cli: Cli, home: Path) -> None:
    result = run_cli("demo", "setup", "--now", "2026-11-28T08:00:30", "--minutes", "3")
    assert result.exit_code == 0, result.output
    assert "demo-moi-phut: created, 15 new publications" in result.output
    assert "output goes to" in result.output


def test_a_locked_database_is_one_sentence_not_a_traceback(
    run_cli: Cli, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from sqlalchemy import event

    import bantin.core.db

    real = bantin.core.db.make_engine

    def impatient(url: str) -> Any:
        engine = real(url)  # then wait 0.2 s for the lock instead of 30 s
        event.listen(engine, "connect", lambda c, _r: c.execute("PRAGMA busy_timeout=200"))
        return engine

    monkeypatch.setattr(bantin.core.db, "make_engine", impatient)
    holder = sqlite3.connect(home / "bantin.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run_cli("campaign", "pause", "loa-cds")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: the database is busy (another bantin process is writing); try again"
    )
