"""Publications made ready ahead of their second, so that a burst leaves on time.

A morning burst (2,000 bulletins due at 06:00:00) used to spend its first second
claiming, rendering and marking rows before the first byte went out; the last receiver
heard its bulletin seconds late. Within `dispatch_lead_seconds` (5 s) before their due
time, a runner now claims the rows of channels that deduplicate by key and have no rate
limit, renders them, and commits them `sending` with their attempt, all before the due
second; it keeps them in memory (`Waiting`) and hands them to the senders when their
second comes. At the due second only the network calls and their group commit remain.

Why only such channels: a row is `sending` seconds before its network call. If the
runner dies in between, recovery resends it with its idempotency key, which a
deduplicating receiver takes as a repeat at worst; a channel that cannot deduplicate
would get an `unknown` row for a bulletin that was never sent. A rate limit's turn taken
seconds early would be a turn the provider never saw.

What a person sees: a row is `sending` (đang gửi) up to the lead before its time and is
no longer cancellable then; a campaign paused or cancelled during those seconds is still
honoured: when their second comes its rows are put back unsent (`withdrawn`) and, for a
cancelled campaign, cancelled. The attempt's `started_at` is the moment of the network
call, not of the marking (bantin.batchwrite.record_sent).
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from bantin.batchwrite import Ready
from bantin.channels.base import Channel
from bantin.claim import CLAIM_RANK
from bantin.core import statemachine
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import Campaign, Publication
from bantin.core.models import Channel as ChannelRow
from bantin.core.statemachine import Move, apply_moves

#: Rows held ready at most (about 2 MB of rendered text per thousand): a bigger burst is
#: prepared as the first ones leave, never all of it ahead.
MAX_WAITING = 4096
#: The longest a runner sleeps for a waiting row's second, so that rows of other channels
#: coming due meanwhile are not held up behind it.
NAP = 0.25


def eligible_channels(
    db: Database, open_channel: Callable[[str, str], Channel], held: Iterable[str]
) -> list[str]:
    """Channels whose rows may be made ready ahead: working, deduplicating, no rate limit,
    not in a hold."""
    skip = set(held)
    with db.read() as s:
        rows = s.execute(select(ChannelRow.name, ChannelRow.url, ChannelRow.status)).all()
    names = []
    for name, url, status in rows:
        if status == "broken" or name in skip:
            continue
        try:
            channel = open_channel(name, url)
        except ConfigError:
            continue
        if channel.dedupes and not channel.rate_per_sec:
            names.append(name)
    return names


def claim_ahead(
    db: Database,
    runner_id: str,
    batch: int,
    lease_seconds: float,
    now: datetime,
    until: datetime,
    channels: list[str],
) -> list[int]:
    """Claim up to `batch` rows due after `now` and by `until` on `channels`, in due order:
    only rows that need nothing more (approved when approval is needed) of active
    campaigns. Their moves to `claimed` are audited like any claim."""
    if not channels:
        return []
    query = (
        select(Publication.id, Publication.status)
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .where(
            Publication.status.in_(("planned", "approved")),
            or_(Publication.needs_approval.is_(False), Publication.approved_by.is_not(None)),
            Publication.due_at > now,
            Publication.due_at <= until,
            Publication.channel_name.in_(channels),
            Campaign.status == "active",
        )
        .order_by(Publication.due_at, CLAIM_RANK, Publication.id)
        .limit(batch)
    )
    lease = now + timedelta(seconds=lease_seconds)
    with db.session() as s:
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=Publication)
        rows = s.execute(query).all()
        moves = [
            Move(pub_id, status, "claimed", None, claimed_by=runner_id, lease_until=lease)
            for pub_id, status in rows
        ]
        apply_moves(s, moves, now, runner_id)
    return [pub_id for pub_id, _ in rows]


class Waiting:
    """Rows marked `sending`, waiting for their second: earliest first, claim order kept
    within a second."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Ready]] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, ready: Ready) -> None:
        heapq.heappush(self._heap, (ready.rendered.due_at, next(self._seq), ready))

    def next_due(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: datetime) -> list[Ready]:
        """The rows whose second has come."""
        out = []
        while self._heap and self._heap[0][0] <= now:
            out.append(heapq.heappop(self._heap)[2])
        return out

    def channels(self) -> Counter[Channel]:
        """How many waiting rows each channel has."""
        return Counter(item[2].channel for item in self._heap)

    def pop_all(self) -> list[Ready]:
        out = [item[2] for item in sorted(self._heap)]
        self._heap.clear()
        return out


def connections_to_open(rows: Counter[Channel], workers: int) -> dict[Channel, int]:
    """How many connections to open ahead for each channel: no more than its waiting rows,
    and no more than the workers in all (a send holds one connection), shared by rows."""
    total = sum(rows.values())
    if total <= workers:
        return dict(rows)
    share = {ch: n * workers // total for ch, n in rows.items()}
    left = workers - sum(share.values())
    for ch, n in rows.most_common():  # what rounding left over, busiest channels first
        if left <= 0:
            break
        if share[ch] < n:
            share[ch], left = share[ch] + 1, left - 1
    return {ch: k for ch, k in share.items() if k}


def inactive_campaigns(db: Database, campaign_ids: Iterable[str]) -> dict[str, str]:
    """campaign id -> status, for those of `campaign_ids` no longer active."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    with db.read() as s:
        query = select(Campaign.id, Campaign.status).where(
            Campaign.id.in_(ids), Campaign.status != "active"
        )
        return {cid: status for cid, status in s.execute(query).all()}


def cancel_withdrawn(db: Database, ids: list[int], now: datetime, actor: str) -> int:
    """Rows of a cancelled campaign put back unsent: cancelled, as the campaign's own
    sweep would have done had they not been `sending` then."""
    if not ids:
        return 0
    with db.session() as s:
        moved = statemachine.move_many(
            s, ids, ("retry_wait",), "cancelled", now, actor, "campaign cancelled"
        )
    return len(moved)
