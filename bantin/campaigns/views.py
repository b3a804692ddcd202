"""Campaigns as plain rows: what `bantin campaign list` and `campaign show` print and the
web desk shows, built once here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bantin.campaigns import service

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
