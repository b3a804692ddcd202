"""The service files: systemd accepts the units, they keep bantin to its data folder, and
the alert rules only use metrics bantin exposes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bantin import metrics
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from tests.conftest import T0

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
PREFIX = "/opt/bantin/venv/bin/bantin"


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail(
            "systemd-analyze is missing; scripts/system-deps.sh installs the Debian `systemd` "
            "package (CI runs it), so this is an error, not a skip",
            pytrace=False,
        )
    # `verify` insists the ExecStart binary exists: point it at a stand-in for the venv.
    stub = tmp_path / "bin" / "bantin"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name.replace("@.", "@1.")  # a template verifies as an instance
        copy.write_text(unit.read_text().replace(PREFIX, str(stub)))
        copies.append(str(copy))
    assert len(copies) == 3
    done = subprocess.run(
        [tool, "verify", *copies], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # warnings (unknown keys) count too


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_units_run_as_bantin_with_only_the_data_folder_writable(unit: Path) -> None:
    text = unit.read_text()
    service = dict(
        line.split("=", 1)
        for line in text.split("[Service]", 1)[1].split("[Install]")[0].splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert service["User"] == "bantin" and service["Restart"] == "on-failure"
    assert service["ProtectSystem"] == "strict" and service["PrivateTmp"] == "yes"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectHome"] == "yes"
    writable = service["ReadWritePaths"].split()
    assert writable[0] == "/var/lib/bantin"
    assert set(writable) <= {"/var/lib/bantin", "/var/backups/bantin"}


def test_the_dockerfile_runs_as_a_non_root_user() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1].split(":")[0] == "bantin"
    final_stage = text.rsplit("\nFROM ", 1)[1]
    assert "USER bantin" in final_stage


def test_the_alert_rules_use_only_metrics_bantin_exposes(db: Database) -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "bantin-rules.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    names = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    assert {"BantinQueueStuck", "BantinChannelBroken", "BantinReportLate"} <= names
    exposed = metrics.exposition(metrics.registry(db, FixedClock(T0)))[0].decode()
    for expr in exprs:
        for name in re.findall(r"bantin_\w+", expr):
            assert f"# TYPE {name} " in exposed, f"{name} in {expr!r} is not exposed"


def test_the_operations_guide_carries_the_same_rules() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    rules = (DEPLOY / "prometheus" / "bantin-rules.yml").read_text()
    for alert in re.findall(r"alert: (\w+)", rules):
        assert f"alert: {alert}" in guide


def test_the_runner_template_starts_n_runners_without_racing_the_migrations() -> None:
    template = (DEPLOY / "systemd" / "bantin-runner@.service").read_text()
    single = (DEPLOY / "systemd" / "bantin-runner.service").read_text()
    assert "%i" in template.split("[Service]")[0]  # each instance names itself
    assert "ExecStartPre" not in template  # N instances must not migrate at once
    assert "ExecStart=/opt/bantin/venv/bin/bantin --log-format json run" in template
    hardening = [line for line in single.split("# Hardening")[1].splitlines() if "=" in line]
    assert all(line in template for line in hardening)  # the same sandbox as one runner
