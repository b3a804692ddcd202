"""Campaigns as plain rows: what `bantin campaign list` and `campaign show` print and the
web desk shows, built once here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bantin.campaigns import service
from bantin.core.models import Campaign, Publication

WAITING = ("planned", "pending_approval", "approved")  # not yet sent


def campaign_rows(s: Session) -> list[dict[str, Any]]:
    """Every campaign with its state and publication counts (waiting, published, by status)."""
    rows = []
    for c in service.list_campaigns(s):
        counts = service.counts_by_status(s, c.id)
        rows.append(
            {
                "id": c.id,
                "title": c.title,
                "task": c.task_code,
                "agency": c.agency_code,
                "status": c.status,
                "approval": c.approval,
                "planned": sum(counts.get(k, 0) for k in WAITING),
                "published": counts.get("published", 0),
                "counts": counts,
            }
        )
    return rows


def campaign_document(s: Session, campaign_id: str) -> dict[str, Any]:
    """One campaign: its settings, source, spec and publication counts by status; raises
    CampaignNotFound for an unknown id."""
    c = service.get(s, campaign_id)
    return {
        "id": c.id,
        "title": c.title,
        "status": c.status,
        "task": c.task_code,
        "agency": c.agency_code,
        "kind": c.kind,
        "approval": c.approval,
        "priority": c.priority,
        "source": c.source_path,
        "content_hash": c.content_hash,
        "materialised_until": c.materialised_until.isoformat() if c.materialised_until else None,
        "counts": service.counts_by_status(s, c.id),
        "spec": c.spec,
    }


def desk_rows(s: Session, agency: str | None, limit: int = 200) -> list[dict[str, Any]]:
    """The desk's campaign list: an agency's campaigns (every one for `agency=None`), the
    latest changed first, with counts by status, in two queries whatever the count."""
    query = select(Campaign).order_by(Campaign.updated_at.desc(), Campaign.id).limit(limit)
    if agency is not None:
        query = query.where(Campaign.agency_code == agency)
    campaigns = list(s.scalars(query))
    counts: dict[str, dict[str, int]] = {c.id: {} for c in campaigns}
    if campaigns:
        grouped = s.execute(
            select(Publication.campaign_id, Publication.status, func.count())
            .where(Publication.campaign_id.in_(list(counts)))
            .group_by(Publication.campaign_id, Publication.status)
        )
        for campaign_id, status, n in grouped:
            counts[campaign_id][status] = n
    return [
        {
            "id": c.id,
            "title": c.title,
            "agency": c.agency_code,
            "kind": c.kind,
            "status": c.status,
            "start": c.spec.get("period", {}).get("start"),
            "end": c.spec.get("period", {}).get("end"),
            "counts": counts[c.id],
        }
        for c in campaigns
    ]


MAX_SOURCE_BYTES = 256 * 1024


def source_text(c: Campaign) -> str:
    """The campaign file as applied (its source when still readable and unchanged in
    kind, else the stored spec written out as YAML)."""
    path = Path(c.source_path)
    try:
        if path.suffix in (".yaml", ".yml") and path.stat().st_size <= MAX_SOURCE_BYTES:
            return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    return yaml.safe_dump(c.spec, allow_unicode=True, sort_keys=False)


def approval_queue(
    s: Session, visible: ColumnElement[bool], limit: int = 200
) -> list[dict[str, Any]]:
    """Publications awaiting review that `visible` (a scope condition) lets the reader
    see, soonest first, grouped by campaign: one query on the status index."""
    rows = s.execute(
        select(Publication, Campaign.title, Campaign.kind)
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .where(Publication.status == "pending_approval", visible)
        .order_by(Publication.due_at, Publication.id)
        .limit(limit)
    ).all()
    groups: dict[str, dict[str, Any]] = {}
    for pub, title, kind in rows:
        group = groups.setdefault(
            pub.campaign_id, {"id": pub.campaign_id, "title": title, "kind": kind, "items": []}
        )
        group["items"].append(
            {
                "id": pub.id,
                "channel": pub.channel_name,
                "unit": pub.unit_code,
                "agency": pub.agency_code,
                "due_at": pub.due_at,
                "title": pub.title or title,
                "body": pub.body or "",
            }
        )
    return list(groups.values())
