"""The `bantin` command line: thin commands that parse, call the library and print."""

from __future__ import annotations

from bantin.cli import campaigns, channels, plan, records, runtime  # noqa: F401  (register)
from bantin.cli.app import cli, main

__all__ = ["cli", "main"]
