"""The errors every part of bantin raises, beside nothing else: a user-facing error is a
`BantinError`, and the CLI (and the web) turn one into one sentence in one place.

Messages are scrubbed when the error is made: they often quote a server's answer, and
servers echo credentials (`bantin.scrub`).
"""

from __future__ import annotations

from bantin.core.scrub import scrub


class BantinError(Exception):
    """An error a person can act on; its message is the sentence they read."""

    def __init__(self, message: str = "") -> None:
        super().__init__(scrub(message))


class ConfigError(BantinError, ValueError):
    """A setting, URL or reference that cannot work; raised where it is given (`channel
    add`, `agency notify`, settings), not at send time."""


class RecordsError(BantinError, ValueError):
    """A request the records cannot satisfy: unknown agency, bad indicator value, a missing
    audit key. Commands turn it into a single sentence (`bantin.cli.app.BantinGroup`);
    anything else escaping the records layer is a bug and keeps its traceback."""
