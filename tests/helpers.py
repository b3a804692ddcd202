"""Small builders shared by tests (not fixtures: plain functions with explicit inputs)."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bantin.campaigns.service import apply_files
from bantin.channels.service import add_channel
from bantin.core.db import Database
from bantin.core.models import AuditHead, Campaign, Publication

OUTBOX_CHANNELS = [
    ("baovl-fanpage", "outbox://outbox/baovl-fanpage", "BAOVL"),
    ("baovl-portal", "outbox://outbox/baovl-portal", "BAOVL"),
    ("loa-xa", "outbox://outbox/loa-xa", "COMMUNES"),
]


def add_channels(
    db: Database, now: datetime, channels: list[tuple[str, str, str]], home: Path
) -> None:
    with db.session() as s:
        for name, url, agency in channels:
            add_channel(s, name, url, agency, now, "test", replace=True, home=home)


def write_campaign(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def apply(db: Database, paths: list[Path], now: datetime, home: Path, days: int = 35) -> None:
    apply_files(db, paths, now, timedelta(days=days), "test", home)


def snapshot(db: Database) -> tuple[int, int, int]:
    """Counts that must not move when a command fails: campaigns, publications, audit head."""
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Campaign)) or 0,
            s.scalar(select(func.count()).select_from(Publication)) or 0,
            s.scalar(select(AuditHead.seq)) or 0,
        )
