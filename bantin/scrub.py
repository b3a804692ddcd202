"""Moved to `bantin.core.scrub`; kept for bantin.channels until the channel kit lands."""

from bantin.core.scrub import MASK, register, scrub

__all__ = ["MASK", "register", "scrub"]
