"""Record the radio scripts due in the next hours, ahead of time.

Synthesis costs about 0.4 s a bulletin; 248 bulletins at 05:30 would make the burst late if
it happened while sending. The runner calls `presynthesise` every few minutes; dispatch
then only attaches recordings that already exist for exactly the text being sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import TemplateError
from sqlalchemy import select

from bantin.campaigns.render_input import publication_input
from bantin.channels import channel_class
from bantin.content import audio
from bantin.content.render import render
from bantin.core import statemachine
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import Campaign, Channel, Publication

log = logging.getLogger(__name__)

AHEAD = timedelta(hours=3)


def presynthesise(db: Database, now: datetime, home: Path, ahead: timedelta = AHEAD) -> int:
    """Make the recordings of radio scripts due before now + `ahead`; returns how many are
    ready. Does nothing on a machine without espeak-ng (the default engine; campaigns
    naming another voice still need it as the fallback): bulletins go out as text."""
    try:
        audio.espeak()
    except audio.AudioUnavailable as exc:
        log.debug("no pre-synthesis: %s", exc)
        return 0
    # Read, then synthesise with no transaction open: a recording takes seconds, and a
    # write transaction held that long would make dispatch and every command wait.
    with db.read() as s:
        rows = s.execute(
            select(Publication, Channel.url)
            .join(Campaign, Campaign.id == Publication.campaign_id)
            .join(Channel, Channel.name == Publication.channel_name)
            .where(
                Campaign.kind == "radio_script",
                Campaign.status == "active",
                Publication.status.in_((*statemachine.UNSENT, "retry_wait")),
                Publication.due_at >= now,
                Publication.due_at < now + ahead,
            )
            .order_by(Publication.due_at)
        ).all()
        inputs = []
        for pub, url in rows:
            try:
                inputs.append(
                    (
                        pub.id,
                        pub.idempotency_key,
                        publication_input(s, pub, channel_class(url).kind),
                    )
                )
            except (TemplateError, ConfigError):
                continue  # dispatch records the failure when the publication is due
    ready = 0
    for pub_id, key, inp in inputs:
        try:
            rendered = render(inp)
        except TemplateError:
            continue  # dispatch records the failure when the publication is due
        try:
            audio.synthesize(
                str(rendered.meta.get("read_aloud") or rendered.body),
                audio.audio_dir(home),
                key,
                voice=str(rendered.meta.get("voice") or audio.DEFAULT_VOICE),
                rate=float(rendered.meta.get("read_rate_spm") or 0) or None,
                spoken=bool(rendered.meta.get("read_aloud")),
                jingle=audio.resolve_jingle(str(rendered.meta.get("jingle") or ""), home),
            )
        except audio.AudioUnavailable as exc:
            log.warning("audio synthesis failed for %s: %s", pub_id, exc)
            continue
        ready += 1
    return ready
