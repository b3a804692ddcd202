"""Moved to `bantin.core.audit`; kept for bantin.channels (and the secret store and alerts)
until the channel kit lands."""

from bantin.core.audit import append, current_actor

__all__ = ["append", "current_actor"]
