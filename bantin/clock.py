"""Moved to `bantin.core.clock`; kept for tests/channels until the channel kit lands."""

from bantin.core.clock import FixedClock

__all__ = ["FixedClock"]
