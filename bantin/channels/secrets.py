"""Resolve secret references in channel URLs at send time; values never reach the database.

`env:VAR` reads the environment of the running process. (`secret:NAME`, the encrypted
store, comes with the channels issue.)
"""

from __future__ import annotations

import os

from bantin.channels.base import ConfigError


def resolve(reference: str) -> str:
    """The value behind a reference; raises ConfigError naming the reference, not the value."""
    if reference.startswith("env:"):
        var = reference[4:]
        value = os.environ.get(var)
        if not value:
            raise ConfigError(f"environment variable {var} is not set")
        return value
    if reference.startswith("secret:"):
        raise ConfigError(f"secret store references ({reference}) are not supported yet")
    raise ConfigError("not a secret reference (use env:VAR)")
