"""The publication states and the legal moves between them: one vocabulary for the
models (and their CHECK constraint), the state machine, dispatch and the reports."""

from __future__ import annotations

from enum import StrEnum


class PublicationState(StrEnum):
    """Where one publication is; every change between them is an audit event.

    A `StrEnum`, so a member compares equal to the string the database stores and older
    code and stored JSON keep working.
    """

    PLANNED = "planned"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    CLAIMED = "claimed"
    SENDING = "sending"
    PUBLISHED = "published"
    RETRY_WAIT = "retry_wait"
    FAILED = "failed"
    UNKNOWN = "unknown"
    MISSED = "missed"
    CANCELLED = "cancelled"


S = PublicationState

ALL: tuple[PublicationState, ...] = tuple(PublicationState)
#: Not yet sent and waiting for their time.
UNSENT: tuple[PublicationState, ...] = (S.PLANNED, S.PENDING_APPROVAL, S.APPROVED)
#: A runner may claim these once due.
CLAIMABLE: tuple[PublicationState, ...] = (*UNSENT, S.RETRY_WAIT)
#: Held by a runner under a lease.
IN_FLIGHT: tuple[PublicationState, ...] = (S.CLAIMED, S.SENDING)
#: Outcomes a report counts as done (cancelled rows are not outputs at all).
OUTCOMES: tuple[PublicationState, ...] = (S.PUBLISHED, S.MISSED, S.FAILED, S.UNKNOWN)
#: No move leaves these, except a person settling `unknown`.
FINAL: tuple[PublicationState, ...] = (*OUTCOMES, S.CANCELLED)

ALLOWED: dict[PublicationState, frozenset[PublicationState]] = {
    S.PLANNED: frozenset({S.PENDING_APPROVAL, S.CLAIMED, S.CANCELLED, S.MISSED}),
    S.PENDING_APPROVAL: frozenset({S.APPROVED, S.PLANNED, S.CLAIMED, S.CANCELLED, S.MISSED}),
    S.APPROVED: frozenset({S.PLANNED, S.CLAIMED, S.CANCELLED, S.MISSED}),
    S.CLAIMED: frozenset(
        {
            S.SENDING,
            S.MISSED,
            S.FAILED,
            S.PLANNED,
            S.PENDING_APPROVAL,
            S.APPROVED,
            S.RETRY_WAIT,
            S.CANCELLED,
        }
    ),
    S.SENDING: frozenset({S.PUBLISHED, S.RETRY_WAIT, S.FAILED, S.UNKNOWN, S.MISSED}),
    S.RETRY_WAIT: frozenset({S.CLAIMED, S.CANCELLED, S.MISSED}),
    S.UNKNOWN: frozenset({S.PUBLISHED, S.FAILED}),
    S.CANCELLED: frozenset({S.PLANNED}),
    S.PUBLISHED: frozenset(),
    S.FAILED: frozenset(),
    S.MISSED: frozenset(),
}


def check_sql(column: str = "status") -> str:
    """The CHECK constraint's condition: only the vocabulary above may be stored."""
    return f"{column} IN ({', '.join(repr(str(s)) for s in ALL)})"
