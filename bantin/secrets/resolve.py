"""Resolve secret references in channel and notification URLs at send time.

A URL in the database names a secret, it never holds one: `env:VAR` reads the running
process's environment, `secret:NAME` the encrypted store (`bantin.secrets.store`).

Why a process-wide resolver: channels call `resolve(ref)` at send time, deep inside code
that knows nothing of databases, and the store needs one. Rather than thread a database
through every channel constructor, the process that owns the database (the CLI's `App`,
which also builds `bantin run`'s runner) installs a lookup once with `install_store`; code
that already holds a session may pass its own `lookup` instead. This module imports
nothing of the store, so channels stay testable without a database.

The resolver also remembers, in memory only, every value it has handed out, so `scrub` can
mask them in text that came from outside (an HTTP answer echoing a token, an SMTP error)
before that text reaches a log line or an error message.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from bantin.core import scrub as scrubbing
from bantin.core.errors import ConfigError

#: Reads the value of `secret:NAME` given NAME; raises ConfigError naming only NAME.
Lookup = Callable[[str], str]
MASK = scrubbing.MASK


class SecretResolver:
    """The process's way to turn references into values (see the module docstring)."""

    def __init__(self) -> None:
        self._store: Lookup | None = None
        self._lock = threading.Lock()

    def install(self, lookup: Lookup | None) -> Lookup | None:
        """Use `lookup` for `secret:NAME` from now on; returns the previous one."""
        with self._lock:
            previous, self._store = self._store, lookup
        return previous

    def resolve(self, reference: str, lookup: Lookup | None = None) -> str:
        if reference.startswith("env:"):
            var = reference[4:]
            value = os.environ.get(var)
            if not value:
                raise ConfigError(f"environment variable {var} is not set")
        elif reference.startswith("secret:"):
            name = reference[7:]
            fn = lookup or self._store
            if fn is None:
                raise ConfigError(
                    f"{reference}: this process has no secret store set up "
                    "(library callers: bantin.secrets.store.install(db))"
                )
            value = fn(name)
        else:
            raise ConfigError("not a secret reference (use env:VAR or secret:NAME)")
        scrubbing.register(value)
        return value

    def scrub(self, text: str, *values: str) -> str:
        """`text` with every value this process resolved (and `values`) masked, in every
        form (see `bantin.scrub`)."""
        return scrubbing.scrub(text, *values)


resolver = SecretResolver()


def install_store(lookup: Lookup | None) -> Lookup | None:
    """Set the process-wide lookup for `secret:NAME`; returns the previous one."""
    return resolver.install(lookup)


def resolve(reference: str, lookup: Lookup | None = None) -> str:
    """The value behind a reference; raises ConfigError naming the reference, not the value.

    `lookup` reads `secret:NAME` from a store the caller holds (e.g. in its own session);
    without it the process-wide store installed by `install_store` is used.
    """
    return resolver.resolve(reference, lookup)


def scrub(text: str, *values: str) -> str:
    """Mask known secret values (and `values`) in text bound for a log or an error."""
    return resolver.scrub(text, *values)
