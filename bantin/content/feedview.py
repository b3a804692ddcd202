"""What a template sees of the outside feeds: `feed(name, days=7, limit=5)`.

Templates render in a sandbox, in worker threads, without a database session. So the
entries of every feed a template names (`feed('tin-cds')`, found by `sandbox.feed_names`)
are loaded beforehand into `RenderInput.feeds` as plain dicts — the newest `MAX_ENTRIES`
of the last `MAX_DAYS` days before the due time — and `feed()` only filters that list.
Relative to the due time, not to "now": a preview of next Thursday's digest shows what
Thursday's will show, and a re-render after a crash sends the same text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from jinja2.exceptions import TemplateRuntimeError
from markupsafe import Markup

from bantin.content import vietnamese

MAX_DAYS = 31
"""The widest window a template may ask for (`days`)."""
MAX_ENTRIES = 20
"""The most entries a template may ask for (`limit`)."""

FeedEntries = Mapping[str, Sequence[Mapping[str, Any]]]


SAFE_SCHEMES = ("http", "https")


def safe_link(link: object) -> str | None:
    """`link` if it is an absolute http(s) URL, else None: a feed's `javascript:`, `data:`
    or `vbscript:` link must never become a link in an article or the Atom output."""
    if not isinstance(link, str):
        return None
    text = link.strip()
    scheme, sep, rest = text.partition(":")
    if not sep or scheme.lower() not in SAFE_SCHEMES or not rest.startswith("//"):
        return None
    if any(ord(c) < 0x20 or c.isspace() for c in text):
        return None
    return text


def entry_view(
    *,
    feed: str,
    title: str,
    link: str | None,
    summary_html: str | None,
    summary: str,
    published: datetime,
) -> dict[str, Any]:
    """One entry as templates see it. `summary_html` was sanitised when it was fetched, so
    it is marked safe for article templates; `summary` is the plain text for posts and
    radio scripts."""
    return {
        "feed": feed,
        "title": title,
        "link": safe_link(link),
        "summary": summary,
        "summary_html": Markup(summary_html or ""),
        "published": published,
        "published_date": vietnamese.format_date(published.date()),
    }


def feed_global(feeds: FeedEntries, due_local: datetime) -> Callable[..., list[dict[str, Any]]]:
    """The `feed` function of one render's context."""

    def feed(name: str, days: int = 7, limit: int = 5) -> list[dict[str, Any]]:
        """Entries of feed `name` published in the `days` before the due time, newest
        first, at most `limit`."""
        if name not in feeds:
            raise TemplateRuntimeError(
                f"unknown feed {name!r}: add it with `bantin feeds add {name} URL`, and name "
                "it with a literal string, e.g. feed('tin-cds')"
            )
        if not (isinstance(days, int) and 0 < days <= MAX_DAYS):
            raise TemplateRuntimeError(f"feed(): days must be 1 to {MAX_DAYS}, not {days!r}")
        if not (isinstance(limit, int) and 0 < limit <= MAX_ENTRIES):
            raise TemplateRuntimeError(f"feed(): limit must be 1 to {MAX_ENTRIES}, not {limit!r}")
        since = due_local - timedelta(days=days)
        chosen = [e for e in feeds[name] if since <= e["published"] <= due_local]
        return [dict(e) for e in chosen[:limit]]  # copies: a template cannot alter the next

    return feed


def sample_entries(name: str, due_local: datetime, count: int = 3) -> list[dict[str, Any]]:
    """Plausible entries for checking a template when the feed has none yet."""
    topics = [
        (
            "Chính phủ ban hành Chiến lược dữ liệu quốc gia đến năm 2030",
            "Chiến lược đặt mục tiêu 100% cơ sở dữ liệu quốc gia được kết nối, chia sẻ "
            "thông suốt phục vụ người dân và doanh nghiệp.",
        ),
        (
            "Hơn 4.000 thủ tục hành chính được cung cấp trực tuyến toàn trình",
            "Cổng Dịch vụ công quốc gia tiếp tục mở rộng, người dân nộp hồ sơ và thanh toán "
            "lệ phí ngay trên điện thoại.",
        ),
        (
            "Tổ công nghệ số cộng đồng: cánh tay nối dài đưa kỹ năng số đến từng hộ dân",
            "Cả nước có hơn 80.000 tổ với gần 400.000 thành viên hỗ trợ người dân dùng dịch vụ số.",
        ),
    ]
    out = []
    for i in range(count):
        title, summary = topics[i % len(topics)]
        out.append(
            entry_view(
                feed=name,
                title=title,
                link=f"https://example.gov.vn/tin/{i + 1}",
                summary_html=f"<p>{summary}</p>",
                summary=summary,
                published=due_local - timedelta(days=i + 1),
            )
        )
    return out
