"""Channel configuration rows: add, update, list. URLs hold secret references only."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.channels import open_channel
from bantin.channels.base import ChannelError
from bantin.core import audit
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import Agency, Channel
from bantin.core.scrub import scrub_data


def add_channel(
    session: Session,
    name: str,
    url: str,
    agency: str,
    now: datetime,
    actor: str,
    *,
    replace: bool = False,
    home: Path | None = None,
) -> tuple[Channel, str]:
    """Validate the URL by opening it, then store it; returns the row and what happened."""
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"invalid channel name {name!r}: use letters, digits, - and _")
    if session.get(Agency, agency) is None:
        raise ConfigError(f"unknown agency {agency!r} (see `bantin agencies list`)")
    channel = open_channel(name, url, home)
    existing = session.get(Channel, name)
    if existing is not None:
        # A broken channel with the same URL is a repair (its secret was fixed), not a no-op.
        if existing.url == url and existing.agency_code == agency and existing.status == "ok":
            return existing, "unchanged"
        if not replace:
            raise ConfigError(f"channel {name!r} exists; use --replace to change it")
        existing.url, existing.agency_code, existing.kind = url, agency, channel.kind
        existing.status, existing.status_reason = "ok", None
        audit.append(
            session,
            now,
            actor,
            "channel.updated",
            "channel",
            name,
            {"url": channel.url(privacy=True), "agency": agency},
        )
        return existing, "updated"
    row = Channel(
        name=name, agency_code=agency, kind=channel.kind, url=url, status="ok", created_at=now
    )
    session.add(row)
    audit.append(
        session,
        now,
        actor,
        "channel.added",
        "channel",
        name,
        {"url": channel.url(privacy=True), "agency": agency},
    )
    return row, "added"


def describe(row: Channel, home: Path | None = None) -> dict[str, Any]:
    try:
        shown = open_channel(row.name, row.url, home).url(privacy=True)
    except ConfigError as exc:
        shown = f"(invalid: {exc})"
    return {
        "name": row.name,
        "kind": row.kind,
        "agency": row.agency_code,
        "url": shown,
        "status": row.status,
        "reason": row.status_reason,
    }


def list_channels(session: Session, home: Path | None = None) -> list[dict[str, Any]]:
    return [
        describe(r, home) for r in session.execute(select(Channel).order_by(Channel.name)).scalars()
    ]


def check_channel(name: str, url: str, home: Path | None = None) -> dict[str, Any]:
    """Open a channel and run its `check()` if it has one: reachability, what the
    credentials can do. Never publishes; every secret value is masked in the answer."""
    channel = open_channel(name, url, home)
    try:
        try:
            result: dict[str, Any] = dict(channel.check())
        except (ChannelError, ConfigError) as exc:
            result = {"ok": False, "error": str(exc)}
    finally:
        channel.close()
    answer: dict[str, Any] = scrub_data(
        {"kind": channel.kind, "url": channel.url(privacy=True), **result}
    )
    return answer


class ChannelNotFound(ConfigError):
    """No channel of that name."""


def test_channel(db: Database, name: str, home: Path | None = None) -> dict[str, Any]:
    """`bantin channel test NAME`: the stored row, read without holding the database, then
    the channel's own check (network) with no transaction open."""
    with db.read() as s:
        row = s.get(Channel, name)
        if row is None:
            raise ChannelNotFound(f"no channel named {name!r} (see `bantin channel list`)")
        url, status, reason = row.url, row.status, row.status_reason
    result = {"channel": name, "status": status, **check_channel(name, url, home)}
    if status != "ok":
        result["status_reason"] = reason
    return result
