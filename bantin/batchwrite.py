"""The hot path's writes for a whole batch: few transactions, many publications each.

`settle_batch` is the one write transaction before the sends: every claimed row of the
batch that goes out becomes `sending` with its attempt row (committed before any network
call, as docs/guarantees.md promises), and the rows that do not go out end, wait for
their channel or go back, all in the same transaction. `record_sent` is the group commit
after the sends: the outcomes of many publications in one transaction.

Each transaction reads the rows it moves under lock first (FOR UPDATE on PostgreSQL; the
write lock of BEGIN IMMEDIATE on SQLite) and moves only those still this runner's, so a
recovery sweep of another runner can never be overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.orm import Session

from bantin.channels.base import Channel, ChannelError, Receipt
from bantin.content.render import Rendered
from bantin.core.clock import Clock
from bantin.core.db import Database
from bantin.core.models import DeliveryAttempt, Publication
from bantin.core.statemachine import Move, apply_moves
from bantin.gates import Outcome, Verdict
from bantin.outcomes import Facts, failure, success
from bantin.records import alerts
from bantin.recovery import Releasable, released_status

log = logging.getLogger("bantin.dispatch")


@dataclass
class Ready:
    """A claimed publication rendered and cleared to go; `number` and `key` once marked."""

    pub_id: int
    channel: Channel
    rendered: Rendered
    number: int = 0
    key: str = ""
    #: What the channel built of the send ahead of its second (Channel.prebuild), if any.
    built: Any = None
    #: Made ready ahead of its second (bantin.ahead).
    ahead: bool = False


@dataclass
class Plan:
    """What one batch does, decided outside any transaction."""

    ready: list[Ready] = field(default_factory=list)
    ends: list[tuple[int, Verdict]] = field(default_factory=list)
    #: (publication, channel name, seconds until its turn)
    defers: list[tuple[int, str, float]] = field(default_factory=list)
    releases: list[tuple[int, str]] = field(default_factory=list)

    def ids(self) -> list[int]:
        return [
            *(r.pub_id for r in self.ready),
            *(i for i, _ in self.ends),
            *(i for i, _, _ in self.defers),
            *(i for i, _ in self.releases),
        ]


@dataclass
class Sent:
    """One send's result, waiting for its group commit; `done` hears the final state."""

    pub_id: int
    number: int
    channel_name: str
    receipt: Receipt | None
    error: ChannelError | None = None
    outcome: Outcome | None = None
    done: Callable[[str], None] = lambda _state: None
    #: When the network call began (None: not made); the attempt's `started_at` becomes it.
    started_at: datetime | None = None


_PUB = cast(Table, Publication.__table__)
#: What the batch writes read of each row they move: plain columns, not ORM objects (an
#: ORM load of whole rows was a third of a group commit's time).
LOCK_COLUMNS = [
    _PUB.c[name]
    for name in ("id", "status", "claimed_by", "attempts", "idempotency_key", "agency_code",
                 "channel_name", "campaign_id", "due_at", "needs_approval", "approved_by",
                 "body")
]  # fmt: skip


class Locked(Facts, Releasable, Protocol):
    @property
    def status(self) -> str: ...
    @property
    def claimed_by(self) -> str | None: ...
    @property
    def idempotency_key(self) -> str: ...


def _locked(s: Session, ids: Sequence[int]) -> dict[int, Locked]:
    """The rows `ids`, locked until the transaction ends (FOR UPDATE on PostgreSQL; the
    write lock of BEGIN IMMEDIATE on SQLite)."""
    query = select(*LOCK_COLUMNS).where(_PUB.c.id.in_(ids)).with_for_update()
    return {row.id: cast(Locked, row) for row in s.connection().execute(query)}


def settle_batch(
    db: Database, clock: Clock, runner_id: str, lease_seconds: float, plan: Plan
) -> dict[int, str]:
    """Apply a batch's plan in ONE write transaction; returns each publication's new state
    ("skipped" when it is no longer this runner's). Rows in `plan.ready` get their attempt
    number and idempotency key filled in."""
    with db.session() as s:
        batch = _Settling(s, clock.now(), runner_id, _locked(s, plan.ids()))
        batch.end(plan.ends)
        for pub_id, name, wait in plan.defers:
            why = f"channel {name} is rate-limited for {wait:.0f} s more"
            batch.back(pub_id, lambda _pub: "retry_wait", why, wait, "deferred")
        for pub_id, why in plan.releases:
            batch.back(pub_id, released_status, why, 0.0, "released")
        batch.send(plan.ready, lease_seconds)
        batch.write()
    return batch.result


@dataclass
class _Settling:
    """One batch's moves, collected in its transaction and written together."""

    s: Session
    now: datetime
    runner_id: str
    pubs: dict[int, Locked]
    result: dict[int, str] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def mine(self, pub_id: int) -> Locked | None:
        pub = self.pubs.get(pub_id)
        if pub is None or pub.status != "claimed" or pub.claimed_by != self.runner_id:
            self.result[pub_id] = "skipped"
            return None
        return pub

    def end(self, ends: list[tuple[int, Verdict]]) -> None:
        for pub_id, verdict in ends:
            if (pub := self.mine(pub_id)) is None:
                continue
            self.moves.append(Move(pub_id, "claimed", verdict.to, verdict.why))
            if verdict.alert:
                alerts.raise_alert(
                    self.s,
                    self.now,
                    pub.agency_code,
                    verdict.alert,
                    verdict.why,
                    channel_name=pub.channel_name,
                    publication_id=pub.id,
                    actor=self.runner_id,
                )
            self.result[pub_id] = verdict.to

    def back(
        self, pub_id: int, to: Callable[[Locked], str], why: str, wait: float, state: str
    ) -> None:
        """Unclaim a row: to `to(row)`, due again in `wait` seconds."""
        if (pub := self.mine(pub_id)) is not None:
            due = self.now + timedelta(seconds=wait)
            self.moves.append(_back(pub_id, to(pub), why, due))
            self.result[pub_id] = state

    def send(self, ready: list[Ready], lease_seconds: float) -> None:
        lease = self.now + timedelta(seconds=lease_seconds)
        for r in ready:
            if (pub := self.mine(r.pub_id)) is None:
                continue
            r.number, r.key = pub.attempts + 1, pub.idempotency_key
            self.attempts.append(
                {
                    "publication_id": r.pub_id,
                    "number": r.number,
                    "runner": self.runner_id,
                    "started_at": self.now,
                    "outcome": "sending",
                }
            )
            self.moves.append(
                Move(r.pub_id, "claimed", "sending", None, attempts=r.number,
                     lease_until=lease, title=r.rendered.title, body=r.rendered.body)
            )  # fmt: skip
            self.result[r.pub_id] = "sending"

    def write(self) -> None:
        if self.attempts:
            self.s.execute(insert(DeliveryAttempt), self.attempts)
        apply_moves(self.s, self.moves, self.now, self.runner_id)


def _back(pub_id: int, to: str, why: str, due: datetime) -> Move:
    return Move(pub_id, "claimed", to, why, next_attempt_at=due, claimed_by=None, lease_until=None)


_ATTEMPT = cast(Table, DeliveryAttempt.__table__)
_END_ATTEMPT = (
    _ATTEMPT.update()
    .where(_ATTEMPT.c.publication_id == bindparam("b_pub"), _ATTEMPT.c.number == bindparam("b_num"))
    .values(
        started_at=func.coalesce(
            bindparam("b_start", type_=_ATTEMPT.c.started_at.type), _ATTEMPT.c.started_at
        ),
        ended_at=bindparam("b_end"),
        outcome=bindparam("b_outcome"),
        http_status=bindparam("b_http"),
        external_id=bindparam("b_ext"),
        external_url=bindparam("b_url"),
        error=bindparam("b_error"),
    )
)


def record_sent(db: Database, clock: Clock, runner_id: str, sent: Sequence[Sent]) -> dict[int, str]:
    """Group commit: the outcomes of many sends in ONE write transaction.

    A row that is no longer `sending` (another runner's recovery reconciled it after our
    lease ran out) is left as it is and reported "skipped".
    """
    result: dict[int, str] = {}
    with db.session() as s:
        now = clock.now()
        pubs = _locked(s, [x.pub_id for x in sent])
        moves: list[Move] = []
        ended: list[dict[str, Any]] = []
        for x in sent:
            pub = pubs.get(x.pub_id)
            if pub is None or pub.status != "sending":
                log.warning("publication %s is no longer sending; outcome not recorded", x.pub_id)
                result[x.pub_id] = "skipped"
                continue
            if x.receipt is not None:
                move, attempt = success(pub, x.number, x.channel_name, x.receipt, now)
            else:
                assert x.error is not None and x.outcome is not None
                move, attempt = failure(s, pub, x.number, x.error, x.outcome, now, runner_id)
            moves.append(move)
            ended.append(attempt | {"b_start": x.started_at})
            result[x.pub_id] = move.to
        if ended:
            s.connection().execute(_END_ATTEMPT, ended)
        apply_moves(s, moves, now, runner_id)
    return result
