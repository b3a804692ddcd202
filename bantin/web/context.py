"""What a request handler reads from the app: settings, database and clock (injected by
`create_app`, so tests and embedders pass their own)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from bantin.config import Settings
from bantin.core.db import Database


def settings() -> Settings:
    value: Settings = current_app.config["BANTIN_SETTINGS"]
    return value


def database() -> Database:
    value: Database = current_app.config["BANTIN_DB"]
    return value


def now() -> datetime:
    """The app's clock: a test's FixedClock, or the system's."""
    value: datetime = current_app.config["CLOCK"].now()
    return value
