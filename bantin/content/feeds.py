"""Feeds in: news of the national digital-transformation programme, from outside RSS/Atom.

Templates quote it (`feed('tin-cds')`, see `feedview`). The outside world is hostile by
default, so every fetch is bounded: a total deadline (a server dripping a byte at a time
is abandoned when it passes, not after each read's timeout), at most 5 redirects (a loop
is an error, not a hang), a 5 MB body read in chunks with a hard cap, a feed content type,
and the outbound policy (`bantin.outbound`) on every hop: no internal addresses, https
when the URL holds a password. The fetch happens outside any database transaction: the
feeds are read in one short session, fetched, and each result stored in its own short
session, so a slow feed never holds SQLite's write lock. Requests
are conditional (ETag, Last-Modified kept on the `Feed` row), so an unchanged feed costs
a 304. Entries are parsed by feedparser from the bytes, de-duplicated by guid or link,
their HTML sanitised with nh3 and every text made NFC.

A failure is recorded on its feed (`last_status`, `last_error`) and never raised out of
`ingest`: one broken feed must not stop the others, or the scheduler.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import nh3
import requests
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bantin import outbound
from bantin.content.feedfetch import (
    DEADLINE,
    MAX_BYTES,
    MAX_REDIRECTS,
    FeedError,
    Fetched,
    fetch,
    has_password,
    http_session,
)
from bantin.content.feedview import MAX_DAYS, MAX_ENTRIES, entry_view, safe_link
from bantin.content.limits import plain_text
from bantin.core import audit
from bantin.core.clock import Clock
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import Agency, Feed, FeedEntry
from bantin.core.scrub import mask_url

log = logging.getLogger(__name__)
__all__ = ["MAX_BYTES", "MAX_REDIRECTS", "FeedError", "Fetched", "fetch", "http_session"]

MAX_NEW_PER_FETCH = 200
MAX_SUMMARY = 20_000
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "a", "blockquote"}


@dataclass(frozen=True)
class FeedRef:
    """What a fetch needs of a `Feed` row, read before the session closes."""

    name: str
    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Outcome:
    """A fetch and parse, done outside the database, waiting to be stored."""

    status: str
    entries: tuple[ParsedEntry, ...] = ()
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class ParsedEntry:
    guid: str
    link: str | None
    title: str
    summary_html: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class IngestResult:
    name: str
    status: str
    new: int = 0
    error: str | None = None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _plain(text: str) -> str:
    return _nfc(" ".join(html.unescape(nh3.clean(text, tags=set())).split()))


def sanitise(markup: str) -> str:
    """HTML from outside, reduced to a few text tags; links get rel=noopener."""
    clean = nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return _nfc(clean.strip())[:MAX_SUMMARY]


def _when(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        year, month, day, hour, minute, second = parsed[:6]
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _entry(entry: Any) -> ParsedEntry:
    link = safe_link(entry.get("link"))
    title = _plain(entry.get("title") or "") or (link or "(không có tiêu đề)")
    content = entry.get("content") or []
    raw = content[0].get("value") if content else entry.get("summary")
    published = _when(entry)
    guid = entry.get("id") or link
    if not guid:
        seed = f"{title}\0{published.isoformat() if published else ''}"
        guid = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    return ParsedEntry(_nfc(str(guid)), link, title, sanitise(raw) if raw else None, published)


def parse(
    body: bytes, content_type: str = "", url: str = ""
) -> tuple[list[ParsedEntry], str | None]:
    """Entries of a feed document, and a warning when it was read despite being malformed.

    feedparser reads RSS 0.9x/1.0/2.0 and Atom; a document that is not well-formed is
    "bozo". If nothing usable comes out of it, that is an error; if entries do, they are
    kept and the problem is reported.
    """
    headers = {"content-type": content_type} if content_type else {}
    if url:
        headers["content-location"] = url
    try:
        doc = feedparser.parse(body, response_headers=headers)
    except Exception as exc:  # feedparser lets some hostile bytes through as raw errors
        why = f"not a readable RSS or Atom feed: {type(exc).__name__}"
        raise FeedError("malformed", why) from None
    problem = doc.get("bozo_exception") if doc.get("bozo") else None
    if isinstance(problem, feedparser.CharacterEncodingOverride):
        problem = None  # "text/xml" without a charset: harmless and common
    entries = [_entry(e) for e in doc.entries]
    if not entries and (problem is not None or not doc.get("version")):
        why = f": {problem}" if problem is not None else ""
        raise FeedError("malformed", f"not a readable RSS or Atom feed{why}"[:300])
    warning = None
    if problem is not None:
        warning = f"not well-formed ({problem}); {len(entries)} entries read anyway"[:300]
    return entries, warning


def store(session: Session, feed_name: str, entries: Iterable[ParsedEntry], now: datetime) -> int:
    """Insert entries not seen before (same guid, or same link); returns how many."""
    batch = list(entries)[:MAX_NEW_PER_FETCH]
    guids = {e.guid for e in batch}
    links = {e.link for e in batch if e.link}
    seen_guids: set[str] = set()
    seen_links: set[str] = set()
    if batch:
        rows = session.execute(
            select(FeedEntry.guid, FeedEntry.link).where(
                FeedEntry.feed_name == feed_name,
                or_(FeedEntry.guid.in_(guids), FeedEntry.link.in_(links)),
            )
        ).all()
        seen_guids = {g for g, _ in rows}
        seen_links = {link for _, link in rows if link}
    new = 0
    for e in batch:
        if e.guid in seen_guids or (e.link and e.link in seen_links):
            continue
        seen_guids.add(e.guid)
        if e.link:
            seen_links.add(e.link)
        session.add(
            FeedEntry(
                feed_name=feed_name,
                guid=e.guid,
                link=e.link,
                title=e.title,
                summary_html=e.summary_html,
                published_at=e.published_at,
                fetched_at=now,
            )
        )
        new += 1
    return new


def fetch_and_parse(
    ref: FeedRef, http: requests.Session | None = None, deadline: float = DEADLINE
) -> Outcome:
    """Fetch and parse one feed, touching no database. Never raises for what the outside
    world does: a failure is an `Outcome` with its status and reason."""
    try:
        got = fetch(
            ref.url,
            etag=ref.etag,
            last_modified=ref.last_modified,
            session=http,
            deadline=deadline,
        )
        if got.status == "not-modified":
            return Outcome("not-modified", etag=ref.etag, last_modified=ref.last_modified)
        entries, warning = parse(got.body, got.content_type, got.url)
        status = "bozo" if warning else "ok"
        return Outcome(status, tuple(entries), warning, got.etag, got.last_modified)
    except FeedError as exc:
        return Outcome(exc.status, error=exc.reason)
    except Exception as exc:  # a parser bug on odd input must not stop the other feeds
        log.exception("feed %s: unexpected error", ref.name)
        return Outcome("error", error=f"{type(exc).__name__}: {exc}"[:300])


def record(session: Session, ref: FeedRef, outcome: Outcome, now: datetime) -> IngestResult:
    """Store an outcome on its feed row (and new entries), in the caller's short session."""
    feed = session.get(Feed, ref.name)
    if feed is None or feed.url != ref.url:  # removed or readdressed while fetching
        return IngestResult(ref.name, "changed", 0, "the feed changed while it was fetched")
    feed.last_fetched_at = now
    feed.last_status, feed.last_error = outcome.status, outcome.error
    if outcome.status in ("ok", "bozo"):
        new = store(session, feed.name, outcome.entries, now)
        feed.etag, feed.last_modified = outcome.etag, outcome.last_modified
        return IngestResult(feed.name, outcome.status, new, outcome.error)
    if outcome.status != "not-modified":
        log.warning("feed %s: %s (%s)", feed.name, outcome.status, outcome.error)
    return IngestResult(feed.name, outcome.status, 0, outcome.error)


def ingest(
    db: Database, now: datetime, name: str | None = None, *, deadline: float | None = None
) -> list[IngestResult]:
    """Ingest every feed (or one by name): read the rows, close the session, fetch each
    feed, and store each outcome in its own short transaction."""
    limit = deadline if deadline is not None else _setting_deadline()
    with db.session() as s:
        query = select(Feed).order_by(Feed.name)
        if name is not None:
            if s.get(Feed, name) is None:
                raise ConfigError(f"no feed named {name!r} (see `bantin feeds list`)")
            query = query.where(Feed.name == name)
        refs = [FeedRef(f.name, f.url, f.etag, f.last_modified) for f in s.scalars(query)]
    http = http_session()
    results = []
    try:
        for ref in refs:
            outcome = fetch_and_parse(ref, http, limit)
            with db.session() as s:
                results.append(record(s, ref, outcome, now))
    finally:
        http.close()
    return results


def _setting_deadline() -> float:
    from bantin.config import load_settings

    return load_settings().feed_deadline_seconds


def ingest_all(db: Database, clock: Clock) -> None:
    """The scheduler job: every feed, none fetched inside a transaction; never raises."""
    try:
        ingest(db, clock.now())
    except Exception:
        log.exception("feed ingestion failed; the next run will try again")


def add_feed(
    session: Session, name: str, url: str, agency: str | None, now: datetime, actor: str
) -> tuple[Feed, str]:
    """Register (or change) a feed; returns the row and "added", "updated" or "unchanged"."""
    if not NAME.match(name):
        raise ConfigError(f"invalid feed name {name!r}: lower-case letters, digits and -")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"a feed URL must be http(s)://…, not {mask_url(url)!r}")
    try:
        outbound.check_static(url, secret=has_password(url))
    except ConfigError as exc:
        raise ConfigError(f"feed {name}: {exc}") from None
    if agency is not None and session.get(Agency, agency) is None:
        raise ConfigError(f"unknown agency {agency!r} (see `bantin agencies list`)")
    feed = session.get(Feed, name)
    if feed is not None and feed.url == url and feed.agency_code == agency:
        return feed, "unchanged"
    action = "updated" if feed is not None else "added"
    if feed is None:
        feed = Feed(name=name, url=url, agency_code=agency, created_at=now)
        session.add(feed)
    else:  # a new address starts afresh: its validators belong to the old one
        feed.url, feed.agency_code, feed.etag, feed.last_modified = url, agency, None, None
    audit.append(session, now, actor, f"feed.{action}", "feed", name, {"url": mask_url(url)})
    return feed, action


def list_feeds(session: Session) -> list[dict[str, Any]]:
    counts = dict(
        session.execute(
            select(FeedEntry.feed_name, func.count()).group_by(FeedEntry.feed_name)
        ).all()
    )
    return [
        {
            "name": f.name,
            "url": mask_url(f.url),
            "agency": f.agency_code,
            "entries": counts.get(f.name, 0),
            "last_fetched_at": f.last_fetched_at.isoformat() if f.last_fetched_at else None,
            "last_status": f.last_status,
            "last_error": f.last_error,
        }
        for f in session.execute(select(Feed).order_by(Feed.name)).scalars()
    ]


def entries_for(
    session: Session, names: Iterable[str], due_at: datetime, tz: ZoneInfo
) -> dict[str, list[dict[str, Any]]]:
    """What `feed()` may return at `due_at`, for each registered feed among `names`."""
    out: dict[str, list[dict[str, Any]]] = {}
    when = func.coalesce(FeedEntry.published_at, FeedEntry.fetched_at)
    for name in sorted(names):
        if session.get(Feed, name) is None:
            continue  # feed() then says the name is unknown
        rows = session.execute(
            select(FeedEntry)
            .where(
                FeedEntry.feed_name == name,
                when <= due_at,
                when > due_at - timedelta(days=MAX_DAYS),
            )
            .order_by(when.desc(), FeedEntry.id.desc())
            .limit(MAX_ENTRIES)
        ).scalars()
        out[name] = [
            entry_view(
                feed=name,
                title=e.title,
                link=e.link,
                summary_html=e.summary_html,
                summary=plain_text(e.summary_html or ""),
                published=(e.published_at or e.fetched_at).astimezone(tz),
            )
            for e in rows
        ]
    return out
