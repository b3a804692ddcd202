"""`bantin alerts …` and `bantin agency notify`."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from bantin.core.db import Database
from bantin.records import alerts
from tests.conftest import T0, Cli


def raise_alert(db: Database, agency: str = "BAOVL", message: str = "token expired") -> int:
    with db.session() as s:
        return alerts.raise_alert(s, T0, agency, "channel_broken", message, None, None).id


def test_agency_notify_stores_the_url_and_shows_it_masked(run_cli: Cli) -> None:
    url = "mailto:a@baovl.vn?smtp=127.0.0.1:25&user=u&password=secret:SMTP"
    result = run_cli("agency", "notify", "BAOVL", url)
    assert result.exit_code == 0
    assert "BAOVL: alerts go to mailto:a@baovl.vn?smtp=127.0.0.1:25&user=u&password=***" in (
        result.stdout
    )


def test_agency_notify_refuses_an_inline_password(run_cli: Cli) -> None:
    result = run_cli("agency", "notify", "BAOVL", "mailto:a@b.vn?user=u&password=hunter22")
    assert result.exit_code == 1 and "secret reference" in result.stderr
    assert "hunter22" not in result.output


def test_alerts_list_json_filters_by_agency(run_cli: Cli, db: Database) -> None:
    raise_alert(db, "BAOVL")
    raise_alert(db, "SKHCN", "other")
    rows = json.loads(run_cli("alerts", "list", "--agency", "BAOVL", "--json").stdout)
    assert [(r["agency"], r["kind"], r["message"]) for r in rows] == [
        ("BAOVL", "channel_broken", "token expired")
    ]
    assert rows[0]["notified"] == "pending" and rows[0]["at_local"] == "2026-11-28 08:00"


def test_resolved_alerts_show_only_with_all(run_cli: Cli, db: Database) -> None:
    alert_id = raise_alert(db)
    result = run_cli("alerts", "resolve", str(alert_id), "--actor", "truc-ban")
    assert result.exit_code == 0 and f"alert {alert_id} resolved" in result.stdout
    assert json.loads(run_cli("alerts", "list", "--json").stdout) == []
    [row] = json.loads(run_cli("alerts", "list", "--all", "--json").stdout)
    assert row["resolved_at"] is not None


def test_resolving_an_unknown_alert_is_a_clear_error(run_cli: Cli) -> None:
    result = run_cli("alerts", "resolve", "999")
    assert result.exit_code == 1 and "no alert with id 999" in result.stderr


def test_alerts_notify_sends_now_and_reports_failures(
    run_cli: Cli, db: Database, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_SECRET", "ops-secret-value-1")
    httpserver.expect_request("/alerts").respond_with_data("{}")
    url = "webhook+" + httpserver.url_for("/alerts") + "?secret=env:OPS_SECRET"
    run_cli("agency", "notify", "BAOVL", url)
    raise_alert(db, "BAOVL")
    raise_alert(db, "SKHCN")
    result = run_cli("alerts", "notify")
    assert "1 alert(s) notified, 1 not yet" in result.stdout
    assert "bantin agency notify" in result.stderr
    rows = {r["agency"]: r for r in json.loads(run_cli("alerts", "list", "--json").stdout)}
    assert rows["BAOVL"]["notified_at"] is not None
    assert rows["SKHCN"]["notified"].startswith("not yet: no notify address")
