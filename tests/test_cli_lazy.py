"""Start-up guard (issue 11): `bantin --version` and `--help` load no heavy library, and
the command index that makes that possible stays current."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import bantin
from bantin.cli import cli
from bantin.cli.lazy import INDEX_FILE, render_index

HEAVY = ("sqlalchemy", "jinja2", "requests", "alembic", "weasyprint", "openpyxl", "rich")

PROBE = """
import runpy, sys
sys.argv = ["bantin", *sys.argv[1:]]
try:
    runpy.run_module("bantin", run_name="__main__")
except SystemExit:
    pass
print("LOADED:" + ",".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


def loaded_by(*argv: str) -> set[str]:
    """Top-level packages a fresh interpreter has imported after `bantin ARGV`."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True
    ).stdout
    return set(out.rpartition("LOADED:")[2].strip().split(","))


@pytest.mark.parametrize("argv", [["--version"], ["--help"]], ids=" ".join)
def test_start_imports_no_heavy_library(argv: list[str]) -> None:
    assert loaded_by(*argv) & set(HEAVY) == set()


def test_probe_sees_a_heavy_library_when_a_command_loads_one() -> None:
    assert "sqlalchemy" in loaded_by("campaign", "--help")


@pytest.mark.parametrize("command", ["schedule", "records"])
def test_listing_on_sqlite_loads_no_orm(home: Path, command: str) -> None:
    """`bantin schedule` and `bantin records` on SQLite read through sqlite3
    (bantin.records.sqlite_listing): SQLAlchemy and the models were half a second of it."""
    loaded = loaded_by(command, "--limit", "5", "--status", "planned")
    assert loaded & {"sqlalchemy", "alembic", "jinja2", "requests"} == set()


def test_command_index_is_current() -> None:
    assert INDEX_FILE.read_text(encoding="utf-8") == render_index(cli), (
        "run python scripts/cli_docs.py"
    )


def help_text(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout


def test_help_from_the_index_equals_help_with_every_command_loaded() -> None:
    run = "cli(['--help'], prog_name='bantin')"
    fresh = help_text(f"from bantin.cli import cli; {run}")
    loaded = help_text(f"from bantin.cli import cli; cli.commands.values(); {run}")
    assert "campaign" in fresh
    assert fresh == loaded


def test_version_is_the_installed_package_version() -> None:
    assert bantin.__version__ == importlib.metadata.version("bantin")
