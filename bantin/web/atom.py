"""The loudspeaker Atom feed: radio scripts for a unit or group, with validators for caching.

A commune's player or a culture centre's PC polls the feed every few minutes over a weak
rural connection, so the answer must be cheap when nothing changed: a strong ETag (a
hash of the feed with its own `<updated>` removed, so an empty or unchanged feed hashes
the same at every request) and an honest Last-Modified (see `last_modified`).

Each entry carries the facts in two forms (docs/loudspeakers.md): Atom categories and a
summary line for any feed reader, and `loa:` elements (namespace `urn:bantin:loa:1`) for
players: `loa:publication`, `loa:unit`, `loa:slot`, `loa:minutes`, `loa:priority`,
`loa:duration` (estimated read time, whole seconds).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from bantin.content import vietnamese
from bantin.records.receipts import ENTRY_ID_PREFIX
from bantin.web.radio_scripts import Audience, ScriptItem, Window

NS = "urn:bantin:loa:1"
PRIORITY_SCHEME = "urn:bantin:loa:priority"
UNIT_SCHEME = "urn:bantin:loa:unit"
_FEED_UPDATED = re.compile(rb"<updated>[^<]*</updated>")


class LoaExtension(BaseExtension):  # type: ignore[misc]  # feedgen is untyped
    """Declares the `loa:` prefix on the feed element."""

    def extend_ns(self) -> dict[str, str]:
        return {"loa": NS}


class LoaEntryExtension(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped
    """Writes `loa:` elements and the entry's links.

    feedgen 1.0 drops `rel`, `type` and `length` from entry links (lkiesow/python-feedgen
    #135), which would turn the audio enclosure into a plain link, so links go here too.
    """

    def __init__(self) -> None:
        self.fields: list[tuple[str, str]] = []
        self.links: list[dict[str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"loa": NS}

    def extend_atom(self, entry: Any) -> Any:
        for attrs in self.links:
            etree.SubElement(entry, "link", attrs)
        for name, value in self.fields:
            etree.SubElement(entry, f"{{{NS}}}{name}").text = value
        return entry


def last_modified(
    window: Window,
    items: list[ScriptItem],
    now: datetime,
    horizon: timedelta,
    last_exit: datetime | None,
) -> datetime | None:
    """When the feed's content last changed, as far as the database can tell.

    Not only the rows' `updated_at`: the window slides, so an old row enters the feed
    when its due time comes within `horizon` (at due - horizon), and the newest row that
    fell out of the look-back left at `last_exit`. Without these an If-Modified-Since
    client would be told 304 while entries had appeared or gone.
    """
    stamps = [window.last_update()]
    stamps += [it.due_at - horizon for it in items]
    stamps.append(last_exit)
    known = [s for s in stamps if s is not None]
    return min(max(known), now) if known else None


def etag_for(body: bytes) -> str:
    """Strong validator: the feed bytes without the feed-level `<updated>` stamp."""
    head, sep, rest = body.partition(b"<entry")
    return hashlib.sha256(_FEED_UPDATED.sub(b"", head, count=1) + sep + rest).hexdigest()[:40]


@dataclass(frozen=True)
class FeedLinks:
    """Absolute URLs the feed points to; built by the view, which knows the host."""

    self_url: str
    sheet_url: Callable[[date], str]
    audio_url: Callable[[ScriptItem], str]


def summary(item: ScriptItem) -> str:
    """One line with the facts, for feed readers that show only the summary."""
    slot = item.slot_local
    parts = [
        f"{item.time_text}, {vietnamese.format_date(slot.date(), weekday=True)}",
        item.unit_name,
        f"Mức ưu tiên: {item.priority_label}",
        f"{item.duration_label}: {item.duration_text}",
    ]
    if item.slot_text:
        parts[-1] += f" ({item.slot_text})"
    return " · ".join(parts)


def _entry(fg: FeedGenerator, item: ScriptItem, links: FeedLinks) -> None:
    fe = fg.add_entry(order="append")
    fe.id(ENTRY_ID_PREFIX + item.key)
    fe.title(item.title)
    fe.updated(item.updated_at)
    fe.content(item.script, type="text")
    fe.summary(summary(item))
    fe.category(
        [
            {"term": item.priority, "scheme": PRIORITY_SCHEME, "label": item.priority_label},
            {"term": item.unit_code, "scheme": UNIT_SCHEME, "label": item.unit_name},
        ]
    )
    ext: LoaEntryExtension = fe.loa
    sheet = links.sheet_url(item.slot_local.date())
    ext.links.append({"href": sheet, "rel": "alternate", "type": "text/html"})
    if item.audio is not None:
        href = item.audio.url or links.audio_url(item)
        enclosure = {"href": href, "rel": "enclosure", "type": item.audio.mime}
        if item.audio.length:
            enclosure["length"] = str(item.audio.length)
        ext.links.append(enclosure)
    ext.fields += [
        ("publication", str(item.publication_id)),
        ("unit", item.unit_code),
        ("slot", item.slot_local.isoformat()),
        ("priority", item.priority),
        ("duration", str(item.estimated_seconds)),
    ]
    if item.slot_minutes:
        ext.fields.append(("minutes", f"{item.slot_minutes:g}"))


def build_feed(
    audience: Audience,
    items: list[ScriptItem],
    links: FeedLinks,
    updated: datetime,
    today: date,
    days: int,
) -> bytes:
    """The Atom document, entries in slot order (feedgen would prepend by default)."""
    fg = FeedGenerator()
    fg.register_extension("loa", LoaExtension, LoaEntryExtension, atom=True, rss=False)
    fg.id(f"urn:bantin:loa:{audience.kind}:{audience.key}")
    fg.title(f"Kịch bản phát thanh – {audience.title}")
    fg.subtitle(f"Bản tin phát trên hệ thống truyền thanh cơ sở: {days} ngày tới và 24 giờ qua")
    fg.author({"name": "bantin"})
    fg.language("vi")
    fg.link(href=links.self_url, rel="self", type="application/atom+xml")
    fg.link(href=links.sheet_url(today), rel="alternate", type="text/html")
    fg.updated(updated)
    for item in items:
        _entry(fg, item, links)
    return bytes(fg.atom_str(pretty=True))
