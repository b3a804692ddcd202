"""Moved to `bantin.core.db`; kept for bantin.channels until the channel kit lands."""

from bantin.core.db import Database

__all__ = ["Database"]
