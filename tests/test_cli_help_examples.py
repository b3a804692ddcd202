"""Every command's help shows how it is typed: an "Example" (or "Ví dụ") section."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pytest

from bantin.cli import cli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import cli_docs  # noqa: E402

LEAVES = [
    (" ".join(path[1:]), cmd)
    for path, cmd in cli_docs.walk(cli, ["bantin"])
    if not isinstance(cmd, click.Group)
]


@pytest.mark.parametrize("cmd", [c for _, c in LEAVES], ids=[n for n, _ in LEAVES])
def test_every_command_help_has_an_example(cmd: click.Command) -> None:
    text = cmd.help or ""
    assert "Example" in text or "Ví dụ" in text


def test_demo_setup_help_says_what_it_does_and_for_how_long() -> None:
    text = cli.commands["demo"].commands["setup"].help or ""  # type: ignore[attr-defined]
    assert "one short bulletin a minute" in text and "10" in text
