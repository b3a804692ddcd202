"""Fixtures for the operations tests: a channel whose sends a test can hold, and a
campaign with an early and a late due time for every commune of the pilot group."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from bantin import channels as channel_registry
from bantin.channels.base import Channel, Receipt
from bantin.content.render import Rendered
from bantin.core.db import Database
from tests.conftest import T0
from tests.helpers import add_channels, apply, write_campaign

EARLY = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 09:00 in Vĩnh Long
LATE = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)  # 09:30


class GatedChannel(Channel):
    """Publishes at once, except what is due at or after `hold_from`: those sends wait
    until the test opens `gate`, so a test can look at bantin in the middle of a burst."""

    schemes = ("gated",)
    kind = "gated"
    hold_from: ClassVar[datetime | None] = None
    gate: ClassVar[threading.Event] = threading.Event()
    held: ClassVar[threading.Semaphore] = threading.Semaphore(0)
    sent: ClassVar[list[str]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        if self.hold_from is not None and rendered.due_at >= self.hold_from:
            self.held.release()
            if not self.gate.wait(timeout=60):
                raise AssertionError("the test never opened the gate")
        with self.lock:
            self.sent.append(idempotency_key)
            return Receipt(external_id=f"g-{len(self.sent)}", url=None, http_status=200)


@pytest.fixture
def gated() -> Iterator[type[GatedChannel]]:
    GatedChannel.hold_from, GatedChannel.sent = None, []
    GatedChannel.gate = threading.Event()
    GatedChannel.held = threading.Semaphore(0)
    channel_registry.CHANNEL_TYPES["gated"] = GatedChannel
    yield GatedChannel
    GatedChannel.gate.set()
    channel_registry.CHANNEL_TYPES.pop("gated", None)


CAMPAIGN = """
id: loa-thu
title: Bản tin thử
task: "1.3"
agency: COMMUNES
kind: radio_script
period: {start: 2026-11-28, end: 2026-11-28}
schedule:
  - at: 2026-11-28T09:00
  - at: 2026-11-28T09:30
targets: all
channels: [loa]
template: t.j2
"""


def burst_campaign(db: Database, home: Path, folder: Path) -> int:
    """Two due times for every unit of the province; returns the number of publications."""
    from sqlalchemy import func, select

    from bantin.core.models import Publication

    add_channels(db, T0, [("loa", "gated://x", "COMMUNES")], home)
    write_campaign(folder, "t.j2", "Bà con {{ unit.name }} chú ý, {{ due_date }}.\n")
    apply(db, [write_campaign(folder, "loa-thu.yaml", CAMPAIGN)], T0, home)
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Publication)) or 0
