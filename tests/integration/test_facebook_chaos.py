"""Issue 3's chaos run: dispatch posts to a Graph-shaped server that answers 30% of calls
with errors 1, 2, 4, 17, 32, 613, HTTP 500 or a timeout, then revokes the token once.
Every publication before the revocation ends `published`, every one after ends `failed`
with an alert, and no post appears twice on the Page."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bantin.channels.facebook import marker
from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Alert, Publication
from bantin.core.models import Channel as ChannelRow
from bantin.dispatch import Dispatcher
from tests.channels.graph_server import GraphServer
from tests.conftest import T0
from tests.helpers import add_channels, apply, write_campaign

START = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 10:00 in Vĩnh Long
POSTS = 30
REVOKE_AFTER = 20


def campaign(folder: Path) -> Path:
    times = "\n".join(
        f"  - at: {(START + timedelta(minutes=10 * i)).isoformat()}" for i in range(POSTS)
    )
    write_campaign(
        folder,
        "t.j2",
        "{% set title = 'Chuyển đổi số mỗi ngày' %}"
        "Bà con làm thủ tục trực tuyến, {{ due_date }}, lúc {{ due_time }}.\n",
    )
    return write_campaign(
        folder,
        "fb.yaml",
        f"""
id: fb-chaos
title: Tin chuyển đổi số trên trang Báo Vĩnh Long
task: "1.1"
agency: BAOVL
kind: post
period: {{start: 2026-11-28, end: 2026-11-29}}
schedule:
{times}
channels: [fb]
template: t.j2
""",
    )


def statuses(db: Database) -> Counter[str]:
    with db.session() as s:
        return Counter(
            dict(
                s.execute(
                    select(Publication.status, func.count()).group_by(Publication.status)
                ).all()
            )
        )


def next_time(db: Database, now: datetime) -> datetime | None:
    with db.session() as s:
        retry = s.scalar(
            select(func.min(Publication.next_attempt_at)).where(Publication.status == "retry_wait")
        )
        due = s.scalar(select(func.min(Publication.due_at)).where(Publication.status == "planned"))
    found = [t for t in (retry, due) if t is not None]
    return max(min(found), now) if found else None


def test_chaos_then_revocation(
    db: Database, settings: Settings, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with GraphServer(chaos=0.3, late=0.5) as graph:
        monkeypatch.setenv("FB_TOKEN_BAOVL", graph.page_token)
        url = f"facebook://{graph.page_id}?token=env:FB_TOKEN_BAOVL&base={graph.url}&timeout=0.25"
        add_channels(db, T0, [("fb", url, "BAOVL")], home)
        apply(db, [campaign(tmp_path / "c")], T0, home)

        clock = FixedClock(START)
        dispatcher = Dispatcher(db, settings, clock, "chaos")
        revoked = False
        for _ in range(2000):
            counts = statuses(db)
            if not revoked and counts["published"] >= REVOKE_AFTER and not counts["retry_wait"]:
                graph.revoke_token()
                revoked = True
            nxt = next_time(db, clock.now())
            if nxt is None:
                break
            clock.set(nxt + timedelta(seconds=1))
            dispatcher.run_pass()
        dispatcher.close()

        counts = statuses(db)
        assert revoked
        assert counts["published"] >= REVOKE_AFTER
        assert counts["published"] + counts["failed"] == POSTS, counts
        assert counts["failed"] >= 1

        with db.session() as s:
            rows = s.execute(select(Publication).order_by(Publication.due_at)).scalars().all()
            broken = s.get_one(ChannelRow, "fb")
            alerts = s.execute(select(Alert)).scalars().all()
        # Published ones come first, then the failures: nothing after the revocation
        # went out, and nothing before it was given up.
        outcome = [r.status for r in rows]
        assert outcome == sorted(outcome, key=lambda st: st != "published")
        assert broken.status == "broken"
        assert any(a.kind == "channel_broken" and a.agency_code == "BAOVL" for a in alerts)

        # The Page: one post per published publication, each exactly once.
        markers = Counter(
            m
            for post in graph.posts
            for m in [p.idempotency_key for p in rows]
            if marker(m) in post["message"]
        )
        published_keys = {r.idempotency_key for r in rows if r.status == "published"}
        assert set(markers) == published_keys
        assert all(n == 1 for n in markers.values())
        assert len(graph.posts) == len(published_keys)
        served = {f.split(":", 1)[1] for f in graph.faults_served}
        assert len(served & {"1", "2", "4", "17", "32", "613", "http500", "late"}) >= 4, served
