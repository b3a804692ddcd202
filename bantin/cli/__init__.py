"""The `bantin` command line: thin commands that parse, call the library and print.

Command modules load when their command runs (`bantin.cli.lazy`), so that importing
this package, `bantin --version` and `bantin --help` stay fast."""

from __future__ import annotations

from bantin.cli.app import cli, main

__all__ = ["cli", "main"]
