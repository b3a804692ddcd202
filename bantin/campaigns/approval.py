"""Approval: publications of `approval: required` campaigns wait for a person.

A configurable lead time before they are due (default 24 h), they are rendered and put
in `pending_approval`, so the reviewer approves the exact text that will go out. One
still unapproved at its due time is not sent: dispatch records it `missed`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.campaigns.render_input import publication_input, render_publication
from bantin.channels import channel_class
from bantin.content import timing
from bantin.content.limits import LimitExceeded, check_limits
from bantin.content.render import Meta, Rendered, render
from bantin.core import audit, statemachine
from bantin.core.db import Database
from bantin.core.errors import BantinError, ConfigError
from bantin.core.models import Campaign, Channel, Publication

log = logging.getLogger(__name__)


def prepare_reviews(db: Database, now: datetime, lead: timedelta, actor: str = "bantin") -> int:
    """Render the publications due within `lead` that need approval; returns how many.

    Read, render with no transaction open, then one short write: a slow template must not
    hold SQLite's write lock while the dispatcher and the desk wait.
    """
    with db.read() as s:
        rows = s.execute(
            select(Publication, Campaign.content_hash, Channel.url)
            .join(Campaign, Campaign.id == Publication.campaign_id)
            .join(Channel, Channel.name == Publication.channel_name)
            .where(
                Publication.status == "planned",
                Publication.needs_approval.is_(True),
                Publication.due_at > now,
                Publication.due_at <= now + lead,
                Campaign.status == "active",
            )
            .order_by(Publication.due_at)
        ).all()
        inputs = []
        for pub, campaign_hash, url in rows:
            try:
                inputs.append(
                    (pub.id, campaign_hash, publication_input(s, pub, channel_class(url).kind))
                )
            except (ConfigError, TemplateError) as exc:  # dispatch records it when due
                log.error("publication %s cannot be rendered for review: %s", pub.id, exc)
    ready = []
    for pub_id, campaign_hash, inp in inputs:
        try:
            ready.append((pub_id, campaign_hash, render(inp)))
        except Exception as exc:  # dispatch records the failure when the publication is due
            log.error("publication %s cannot be rendered for review: %s", pub_id, exc)
    if not ready:
        return 0
    done = 0
    with db.session() as s:
        for pub_id, campaign_hash, rendered in ready:
            pub = s.get_one(Publication, pub_id)
            if pub.status != "planned":
                continue  # changed while we rendered (cancelled, claimed, re-planned)
            statemachine.move(
                s,
                pub,
                "pending_approval",
                now,
                actor,
                "rendered for review",
                title=rendered.title,
                body=rendered.body,
                content_hash=campaign_hash,
            )
            done += 1
    return done


def approve(session: Session, ids: Sequence[int], now: datetime, actor: str) -> list[int]:
    """Approve publications awaiting review; returns the ids approved."""
    return statemachine.move_many(
        session,
        list(ids),
        ("pending_approval",),
        "approved",
        now,
        actor,
        f"approved by {actor}",
        approved_by=actor,
        approved_at=now,
    )


def approve_campaign(
    session: Session, campaign_id: str, until: datetime, now: datetime, actor: str
) -> list[int]:
    """Approve every publication of a campaign awaiting review and due before `until`."""
    ids = session.execute(
        select(Publication.id).where(
            Publication.campaign_id == campaign_id,
            Publication.status == "pending_approval",
            Publication.due_at < until,
        )
    ).scalars()
    return approve(session, list(ids), now, actor)


def reject(
    session: Session, ids: Sequence[int], reason: str, now: datetime, actor: str
) -> list[int]:
    """Reject: the publication is cancelled with the reviewer's reason on record."""
    return statemachine.move_many(
        session,
        list(ids),
        ("pending_approval", "approved", "planned"),
        "cancelled",
        now,
        actor,
        f"rejected by {actor}: {reason}",
        approved_by=None,
        approved_at=None,
    )


def with_approved_text(rendered: Rendered, title: str | None, body: str) -> Rendered:
    """The render as approved: the reviewer's title and body replace the template's, and a
    radio script's read-aloud form and read time are made from the approved body (the
    loudspeaker reads what was approved, not the template's first draft)."""
    meta = dict(rendered.meta)
    if rendered.kind == "radio_script":
        rate = float(meta.get("read_rate_spm") or timing.configured_rate())
        meta.update(timing.script_meta(body, rate))
    return replace(rendered, title=title or rendered.title, body=body, meta=Meta.of(meta))


class EditRefused(BantinError):
    """The edited text cannot be approved (not awaiting review, empty, over a limit)."""


def _digest(title: str | None, body: str | None) -> str:
    return hashlib.sha256(f"{title or ''}\n{body or ''}".encode()).hexdigest()


def edit_and_approve(
    session: Session, pub_id: int, title: str, body: str, now: datetime, actor: str
) -> None:
    """Store the reviewer's edited text on a publication awaiting review and approve it:
    dispatch sends exactly this text (`with_approved_text`). The edit is an audit event
    with hashes of the text before and after; a text over the channel's limits is refused
    here rather than failing at its due time."""
    pub = session.get(Publication, pub_id)
    if pub is None or pub.status != "pending_approval":
        raise EditRefused("bài này không còn chờ duyệt")
    body = body.replace("\r\n", "\n").strip()
    title = " ".join(title.split())
    if not body:
        raise EditRefused("nội dung không được để trống")
    url = session.get_one(Channel, pub.channel_name).url
    kind = channel_class(url).kind
    rendered = with_approved_text(render_publication(session, pub, kind), title, body)
    try:
        check_limits(rendered, kind, template="(bản đã sửa)")
    except LimitExceeded as exc:
        raise EditRefused(str(exc)) from exc
    before = _digest(pub.title, pub.body)
    if before != _digest(title or pub.title, body):
        data = {"before_sha256": before, "after_sha256": _digest(title or pub.title, body)}
        audit.append(session, now, actor, "publication.edited", "publication", pub.id, data)
        pub.title, pub.body = title or pub.title, body
    approve(session, [pub.id], now, actor)


def not_approved(session: Session, ids: Sequence[int]) -> str:
    """Why these publications were not approved or rejected: the ones that do not exist
    ("no such publication") apart from the ones in another state."""
    rows = session.execute(
        select(Publication.id, Publication.status).where(Publication.id.in_(ids))
    )
    found = {pub_id: status for pub_id, status in rows}
    parts = []
    missing = [str(i) for i in ids if i not in found]
    if missing:
        parts.append(f"no such publication: {', '.join(missing)}")
    other = [f"{i} ({found[i]})" for i in ids if i in found]
    if other:
        parts.append(f"not awaiting approval: {', '.join(other)}")
    return "; ".join(parts)


def next_review(
    session: Session, now: datetime, lead: timedelta, campaign_id: str | None = None
) -> tuple[Publication, datetime] | None:
    """The next publication that will need approval and when it enters review (its due
    time less the lead time): what to tell a reviewer who finds nothing to approve."""
    query = (
        select(Publication)
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .where(
            Publication.status == "planned",
            Publication.needs_approval.is_(True),
            Publication.due_at > now,
            Campaign.status == "active",
        )
        .order_by(Publication.due_at)
        .limit(1)
    )
    if campaign_id:
        query = query.where(Publication.campaign_id == campaign_id)
    pub = session.scalars(query).first()
    return (pub, pub.due_at - lead) if pub else None


def review_hint(
    session: Session, now: datetime, lead: timedelta, tz: tzinfo, campaign_id: str | None = None
) -> str:
    """One line for a reviewer who found nothing to approve: when review next opens."""
    found = next_review(session, now, lead, campaign_id)
    if found is None:
        return "nothing awaits approval, and no planned publication needs it"
    pub, opens = found
    return (
        f"nothing awaits approval now; next: publication {pub.id} ({pub.campaign_id}) due "
        f"{pub.due_at.astimezone(tz):%Y-%m-%d %H:%M}, rendered for review from "
        f"{opens.astimezone(tz):%Y-%m-%d %H:%M} ({lead.total_seconds() / 3600:g} h before; "
        "the next `dispatch` or `run` after that does it)"
    )
