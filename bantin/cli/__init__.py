"""The `bantin` command line: thin commands that parse, call the library and print."""

from __future__ import annotations

from bantin.cli import (  # noqa: F401  (register)
    alerts,
    audit,
    campaigns,
    channels,
    content,
    feed_tokens,
    feeds,
    ops,
    plan,
    receipts,
    records,
    reports,
    runtime,
    secrets,
    users,
    web,
)
from bantin.cli.app import cli, main

__all__ = ["cli", "main"]
