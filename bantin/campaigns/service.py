"""Campaign operations behind the CLI: apply, list, pause, resume, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bantin.campaigns import timeline
from bantin.campaigns.errors import CampaignError, CampaignIssue
from bantin.campaigns.materialise import MaterialiseResult, materialise, upsert_campaign
from bantin.campaigns.validate import ValidatedCampaign, validate_file
from bantin.campaigns.volume import volume_problem
from bantin.campaigns.yamlsource import YAMLSyntax, load_located, read_text
from bantin.core import audit, statemachine
from bantin.core.db import Database
from bantin.core.errors import BantinError
from bantin.core.models import Campaign, Publication

CANCEL_CHUNK = 2000  # publications cancelled per transaction


class CampaignNotFound(BantinError, KeyError):
    """No campaign has this id (a KeyError too, for callers that look things up)."""

    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"no campaign with id {campaign_id!r} (see `bantin campaign list`)")
        self.campaign_id = campaign_id

    def __str__(self) -> str:  # KeyError would quote the sentence
        return str(self.args[0])


def validate_files(
    session: Session,
    paths: Sequence[Path],
    home: Path | None = None,
    now: datetime | None = None,
    lang: str = "vi",
) -> list[ValidatedCampaign]:
    """Validate every file; raise one CampaignError with all problems of all files.

    Given `now`, a campaign whose period is already over is valid but carries a warning
    (`timeline.ended_warning`): applying it would plan nothing."""
    issues: list[CampaignIssue] = []
    validated: list[ValidatedCampaign] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            v = validate_file(session, path, home=home)
        except CampaignError as exc:
            issues.extend(exc.issues)
            continue
        if v.spec.id in seen:
            issues.append(
                CampaignIssue(
                    str(path),
                    None,
                    "id",
                    f"campaign id {v.spec.id!r} is also used by {seen[v.spec.id]}",
                )
            )
        seen[v.spec.id] = str(path)
        ended = timeline.ended_warning(v.spec, now, lang) if now is not None else None
        if ended:
            v.warnings.append(ended)
        validated.append(v)
    if issues:
        raise CampaignError(issues)
    return validated


@dataclass(frozen=True)
class ApplyResult:
    campaign: str
    action: str  # created | updated | unchanged
    materialised: MaterialiseResult
    warnings: tuple[str, ...] = ()


def _window_issue(v: ValidatedCampaign, now: datetime, horizon: timedelta) -> CampaignIssue | None:
    """The publication cap over the window this apply writes (validation checked 35 days
    from the period start; `--horizon 337` asks for more)."""
    problem = volume_problem(v.spec, v.unit_codes, now, now + horizon)
    if problem is None:
        return None
    try:
        line = load_located(read_text(Path(v.source_path))).line_of(("schedule",))
    except (OSError, UnicodeDecodeError, YAMLSyntax):
        line = None
    return CampaignIssue(v.source_path, line, "schedule", problem)


def apply_files(
    db: Database,
    paths: Sequence[Path],
    now: datetime,
    horizon: timedelta,
    actor: str,
    home: Path | None = None,
    lang: str = "vi",
) -> list[ApplyResult]:
    """Validate all files first (nothing is written if any fails), then upsert and
    materialise each campaign, in short transactions (see `materialise`)."""
    with db.session() as s:
        validated = validate_files(s, paths, home, now, lang)
        s.rollback()  # validation only reads
    issues = [i for v in validated if (i := _window_issue(v, now, horizon)) is not None]
    if issues:
        raise CampaignError(issues)
    results = []
    for v in validated:
        with db.session() as s:
            campaign, action = upsert_campaign(s, v, now, actor)
            campaign_id = campaign.id
        materialised = materialise(db, campaign_id, now, horizon, actor)
        results.append(ApplyResult(campaign_id, action, materialised, tuple(v.warnings)))
    return results


def get(session: Session, campaign_id: str) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    return campaign


def counts_by_status(session: Session, campaign_id: str) -> dict[str, int]:
    rows = session.execute(
        select(Publication.status, func.count())
        .where(Publication.campaign_id == campaign_id)
        .group_by(Publication.status)
    ).all()
    return {status: n for status, n in rows}


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.execute(select(Campaign).order_by(Campaign.id)).scalars())


def set_status(
    session: Session,
    campaign_id: str,
    status: str,
    now: datetime,
    actor: str,
    reason: str | None = None,
    *,
    cancel_rows: bool = True,
) -> int:
    """Pause, resume or cancel. Cancelling also cancels every future unsent publication
    (in this transaction; `cancel_campaign` does it in short ones)."""
    campaign = get(session, campaign_id)
    if campaign.status == "cancelled" and status != "cancelled":
        raise ValueError(f"campaign {campaign_id} is cancelled; apply it under a new id to restart")
    previous = campaign.status
    campaign.status = status
    campaign.updated_at = now
    action = {"active": "resumed", "paused": "paused", "cancelled": "cancelled"}[status]
    data = {"from": previous, "reason": reason} if reason else {"from": previous}
    audit.append(session, now, actor, f"campaign.{action}", "campaign", campaign_id, data)
    if status != "cancelled" or not cancel_rows:
        return 0
    return len(_cancel_some(session, _cancellable(session, campaign_id), now, actor, reason))


CANCEL_FROM = (*statemachine.UNSENT, "retry_wait")


def _cancellable(session: Session, campaign_id: str, limit: int | None = None) -> list[int]:
    query = select(Publication.id).where(
        Publication.campaign_id == campaign_id, Publication.status.in_(CANCEL_FROM)
    )
    return list(session.execute(query.limit(limit)).scalars())


def _cancel_some(
    session: Session, ids: list[int], now: datetime, actor: str, reason: str | None
) -> list[int]:
    return statemachine.move_many(
        session, ids, CANCEL_FROM, "cancelled", now, actor, reason or "campaign cancelled"
    )


def cancel_campaign(
    db: Database, campaign_id: str, now: datetime, actor: str, reason: str | None = None
) -> int:
    """Cancel a campaign, then its unsent publications a chunk per transaction: the
    campaign is cancelled first, so nothing of it is sent or added meanwhile, and a
    large campaign never holds the write lock for long."""
    with db.session() as s:
        set_status(s, campaign_id, "cancelled", now, actor, reason, cancel_rows=False)
    done = 0
    while True:
        with db.session() as s:
            moved = _cancel_some(s, _cancellable(s, campaign_id, CANCEL_CHUNK), now, actor, reason)
        done += len(moved)
        if not moved:
            return done
