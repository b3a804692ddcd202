"""Every command run before `bantin init`: one sentence, exit 1, no database file made."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bantin.cli import cli
from bantin.cli.dates import When
from bantin.core.db import NOT_INITIALISED

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import cli_docs  # noqa: E402

#: Commands that need no database: they make it, read files only, or restore one.
NO_DATABASE = {
    "init",
    "campaign validate",
    "template check",
    "read-aloud",
    "restore",
}

#: Arguments that get past click's own checks, so the database is what stops the command.
ARGS: dict[str, list[str]] = {
    "agency notify": ["SKHCN", "https://example.org/hook"],
    "campaign apply": ["{campaign}"],
    "channel add": ["loa-xa", "outbox://outbox/loa-xa", "--agency", "COMMUNES"],
    "feeds add": ["tin", "https://example.org/feed.xml"],
    "secret set": ["s1"],
    "backup": ["{home}/backups"],
    "receipts add": ["--publication", "1", "--unit", "x"],
}


def leaf_commands() -> list[str]:
    out = []
    for path, cmd in cli_docs.walk(cli, ["bantin"]):
        name = " ".join(path[1:])
        if isinstance(cmd, click.Group) or name in NO_DATABASE:
            continue
        out.append(name)
    return out


def placeholder(param: click.Parameter) -> list[str]:
    """A value click accepts for a required parameter."""
    value = "1"
    if isinstance(param.type, When):
        value = "2026-12-03"
    elif isinstance(param.type, click.Choice):
        value = str(param.type.choices[0])
    elif isinstance(param.type, (click.types.StringParamType, click.Path)):
        value = "x"
    if isinstance(param, click.Option):
        return [param.opts[0]] if param.is_flag else [param.opts[0], value]
    return [value]


def arguments(name: str, cmd: click.Command, home: Path, campaign: Path) -> list[str]:
    if name in ARGS:
        return [a.format(home=home, campaign=campaign) for a in ARGS[name]]
    args: list[str] = []
    for param in cmd.params:
        if param.required:
            args += placeholder(param)
    return args


def command(name: str) -> click.Command:
    cmd: click.Command = cli
    for part in name.split():
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[part]
    return cmd


@pytest.mark.parametrize("name", leaf_commands())
def test_a_command_before_init_says_run_init_and_creates_nothing(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("BANTIN_HOME", str(home))
    monkeypatch.delenv("BANTIN_DB", raising=False)
    monkeypatch.setenv("BANTIN_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.chdir(tmp_path)
    campaign = ROOT / "bantin" / "data" / "campaigns"
    campaign = sorted(campaign.glob("*.yaml"))[0]
    argv = [*name.split(), *arguments(name, command(name), home, campaign)]
    result = CliRunner().invoke(cli, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{argv}: {result.exception!r}"
    )
    assert result.exit_code == 1, f"{argv}: {result.output}"
    assert result.output.strip() == f"Error: {NOT_INITIALISED}", argv
    assert not (home / "bantin.db").exists()
