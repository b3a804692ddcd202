"""Feeds in, against real HTTP servers on 127.0.0.1: RSS 2.0, RSS 1.0, Atom 1.0, bozo
feeds, conditional GET (304) and every kind of failure, each recorded with its reason."""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from werkzeug import Request, Response

from bantin.content import feeds
from bantin.content.feedview import entry_view
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import Feed, FeedEntry
from tests.channels.recording_server import recording_server
from tests.conftest import T0, Cli
from tests.helpers import write_campaign

RSS2 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tin chuyển đổi số</title><link>https://x.vn/</link>
<item><guid>tin-1</guid><title>Chiến lược dữ liệu quốc gia</title>
<link>https://x.vn/tin-1</link><pubDate>Thu, 26 Nov 2026 08:00:00 +0700</pubDate>
<description>&lt;p&gt;Mục tiêu &lt;b&gt;100%&lt;/b&gt; cơ sở dữ liệu kết nối.&lt;/p&gt;
&lt;script&gt;alert(1)&lt;/script&gt;
&lt;a href="javascript:x()" onclick="y()"&gt;xem&lt;/a&gt;</description>
</item>
<item><guid>tin-2</guid><title>Tổ công nghệ số cộng đồng</title><link>https://x.vn/tin-2</link>
<pubDate>Wed, 25 Nov 2026 08:00:00 +0700</pubDate><description>Hơn 80.000 tổ.</description></item>
</channel></rss>"""

RSS1 = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://x.vn/"><title>RSS 1.0</title><link>https://x.vn/</link>
<description>d</description><items><rdf:Seq><rdf:li rdf:resource="https://x.vn/a"/></rdf:Seq></items>
</channel>
<item rdf:about="https://x.vn/a"><title>Bản tin RSS một chấm không</title><link>https://x.vn/a</link>
<description>Nội dung.</description><dc:date>2026-11-26T01:00:00Z</dc:date></item>
</rdf:RDF>"""

# "Hội nghị" with a combining tone mark (NFD): stored NFC.
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><id>urn:x</id>
<updated>2026-11-26T01:00:00Z</updated>
<entry><id>urn:x:1</id><title>Ho\u0302\u0323i nghi\u0323 tri\u0301 thức</title>
<link href="https://x.vn/atom-1"/><updated>2026-11-26T01:00:00Z</updated>
<content type="html">&lt;p&gt;Hội nghị &lt;em&gt;trực tuyến&lt;/em&gt;.&lt;/p&gt;</content></entry>
</feed>"""

BOZO = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Lỗi</title>
<item><guid>b-1</guid><title>Tin & sự kiện</title><link>https://x.vn/b-1</link></item>
</channel></rss>"""

XML = "application/rss+xml; charset=utf-8"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


@pytest.fixture
def server(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    yield httpserver
    httpserver.clear()


def add(db: Database, name: str, url: str) -> None:
    with db.session() as s:
        feeds.add_feed(s, name, url, "BAOVL", T0, "test")


def ingest(
    db: Database, name: str | None = None, deadline: float | None = None
) -> list[feeds.IngestResult]:
    return feeds.ingest(db, T0, name, deadline=deadline)


def row(db: Database, name: str) -> Feed:
    with db.session() as s:
        feed = s.get_one(Feed, name)
        s.expunge(feed)
        return feed


def entries(db: Database, name: str) -> list[FeedEntry]:
    with db.session() as s:
        rows = list(s.scalars(select(FeedEntry).where(FeedEntry.feed_name == name)))
        for r in rows:
            s.expunge(r)
        return sorted(rows, key=lambda e: e.guid)


def test_rss2_entries_are_stored_with_sanitised_html(db: Database, server: HTTPServer) -> None:
    server.expect_request("/rss").respond_with_data(RSS2, content_type=XML)
    add(db, "tin", server.url_for("/rss"))
    assert [(r.status, r.new) for r in ingest(db)] == [("ok", 2)]
    first = entries(db, "tin")[0]
    assert first.title == "Chiến lược dữ liệu quốc gia"
    assert first.link == "https://x.vn/tin-1"
    assert first.published_at == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    html = first.summary_html or ""
    assert "<b>100%</b>" in html
    assert "script" not in html and "javascript" not in html and "onclick" not in html


def test_rss1_is_read(db: Database, server: HTTPServer) -> None:
    server.expect_request("/rdf").respond_with_data(RSS1, content_type="application/rdf+xml")
    add(db, "rdf", server.url_for("/rdf"))
    assert ingest(db)[0].status == "ok"
    (entry,) = entries(db, "rdf")
    assert entry.title == "Bản tin RSS một chấm không"
    assert entry.guid == "https://x.vn/a"  # no guid: the link identifies it


def test_atom_titles_are_nfc(db: Database, server: HTTPServer) -> None:
    server.expect_request("/atom").respond_with_data(ATOM, content_type="application/atom+xml")
    add(db, "atom", server.url_for("/atom"))
    assert ingest(db)[0].status == "ok"
    (entry,) = entries(db, "atom")
    assert entry.title == unicodedata.normalize("NFC", "Hội nghị trí thức")
    assert entry.summary_html == "<p>Hội nghị <em>trực tuyến</em>.</p>"


def test_a_bozo_feed_is_read_and_the_problem_recorded(db: Database, server: HTTPServer) -> None:
    server.expect_request("/bozo").respond_with_data(BOZO, content_type=XML)
    add(db, "bozo", server.url_for("/bozo"))
    (result,) = ingest(db)
    assert result.status == "bozo" and result.new == 1
    assert "not well-formed" in (row(db, "bozo").last_error or "")


def test_entries_are_deduplicated_by_guid_and_by_link(db: Database, server: HTTPServer) -> None:
    server.expect_request("/rss").respond_with_data(RSS2, content_type=XML)
    add(db, "tin", server.url_for("/rss"))
    ingest(db)
    changed = RSS2.replace("<guid>tin-2</guid>", "<guid>tin-2-moi</guid>")  # same link
    server.clear()
    server.expect_request("/rss").respond_with_data(changed, content_type=XML)
    assert ingest(db)[0].new == 0
    assert len(entries(db, "tin")) == 2


def test_conditional_get_answers_304(db: Database, server: HTTPServer) -> None:
    headers = {"ETag": '"v1"', "Last-Modified": "Thu, 26 Nov 2026 01:00:00 GMT"}
    server.expect_ordered_request("/rss").respond_with_data(RSS2, content_type=XML, headers=headers)
    server.expect_ordered_request(
        "/rss", headers={"If-None-Match": '"v1"', "If-Modified-Since": headers["Last-Modified"]}
    ).respond_with_data("", status=304)
    add(db, "tin", server.url_for("/rss"))
    assert ingest(db)[0].status == "ok"
    assert row(db, "tin").etag == '"v1"'
    assert [(r.status, r.new) for r in ingest(db)] == [("not-modified", 0)]
    server.check_assertions()
    assert row(db, "tin").last_error is None


def _loop(request: Request) -> Response:
    return Response(status=302, headers={"Location": request.url})


def _endless(_request: Request) -> Response:
    def chunks() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><rss version="2.0"><channel>'
        for _ in range(200):
            yield b"<item><title>" + b"x" * 65536 + b"</title></item>"

    return Response(chunks(), content_type=XML)  # streamed: no Content-Length


@pytest.mark.parametrize(
    ("path", "setup", "status", "reason"),
    [
        ("/missing", lambda r: r.respond_with_data("no", status=404), "http-error", "HTTP 404"),
        ("/broken", lambda r: r.respond_with_data("x", status=500), "http-error", "HTTP 500"),
        (
            "/page",
            lambda r: r.respond_with_data("<html></html>", content_type="text/html"),
            "wrong-type",
            "content type text/html is not a feed",
        ),
        (
            "/garbage",
            lambda r: r.respond_with_data("<<<not xml at all", content_type=XML),
            "malformed",
            "not a readable RSS or Atom feed",
        ),
        ("/loop", lambda r: r.respond_with_handler(_loop), "too-many-redirects", "redirects"),
        (
            "/big",
            lambda r: r.respond_with_data(b"x" * (feeds.MAX_BYTES + 1), content_type=XML),
            "too-large",
            "exceeds",
        ),
        ("/stream", lambda r: r.respond_with_handler(_endless), "too-large", "stopped reading"),
    ],
)
def test_failures_are_recorded_with_their_reason(
    db: Database, server: HTTPServer, path: str, setup, status: str, reason: str
) -> None:
    setup(server.expect_request(path))
    add(db, "hong", server.url_for(path))
    add(db, "tot", server.url_for("/rss"))
    server.expect_request("/rss").respond_with_data(RSS2, content_type=XML)
    results = {r.name: r for r in ingest(db)}
    assert results["tot"].status == "ok"  # one broken feed does not stop the others
    assert results["hong"].status == status
    feed = row(db, "hong")
    assert feed.last_status == status and reason in (feed.last_error or "")


def test_an_unreachable_feed_is_a_network_error(db: Database) -> None:
    add(db, "xa", "http://127.0.0.1:9/rss")  # discard port: connection refused
    (result,) = ingest(db)
    assert result.status == "network-error"


def test_feeds_list_shows_the_reason_of_a_failure(run_cli: Cli, server: HTTPServer) -> None:
    server.expect_request("/missing").respond_with_data("no", status=404)
    assert run_cli("feeds", "add", "hong", server.url_for("/missing")).exit_code == 0
    out = run_cli("feeds", "ingest", "--once").output
    assert "hong: http-error, 0 new, HTTP 404 NOT FOUND" in out
    (listed,) = json.loads(run_cli("feeds", "list", "--json").output)
    assert listed["last_status"] == "http-error"
    assert listed["last_error"] == "HTTP 404 NOT FOUND"
    table = run_cli("feeds", "list").output
    assert "http-error" in table and "HTTP 404" in table


def test_feeds_add_refuses_what_is_not_a_feed_address(run_cli: Cli) -> None:
    result = run_cli("feeds", "add", "x", "ftp://x.vn/rss")
    assert result.exit_code == 1 and "must be http(s)" in result.stderr
    assert run_cli("feeds", "ingest", "--once", "--name", "khong-co").exit_code == 1


def test_the_scheduler_job_never_raises(db: Database, server: HTTPServer) -> None:
    server.expect_request("/rss").respond_with_data(RSS2, content_type=XML)
    add(db, "a-hong", "http://127.0.0.1:9/rss")
    add(db, "b-tot", server.url_for("/rss"))
    feeds.ingest_all(db, FixedClock(T0))
    assert row(db, "a-hong").last_status == "network-error"
    assert len(entries(db, "b-tot")) == 2


def test_the_runner_ingests_feeds_every_30_minutes(
    db: Database, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bantin import scheduler
    from bantin.config import load_settings

    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(scheduler, "ingest_all", lambda *args: calls.append(args))
    runner = scheduler.Runner(db, load_settings(), FixedClock(T0))
    runner.start()
    try:
        job = runner.scheduler.get_job("feeds")
        job.func()  # the duty guard runs it: SQLite's single runner holds every duty
    finally:
        runner.shutdown()
    assert job.trigger.interval == timedelta(minutes=30)
    assert calls == [(db, runner.clock)]


def test_ingest_all_logs_a_broken_database_and_carries_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The scheduler job must not die (the next run tries again), nor fail silently."""
    broken = Database(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables at all
    try:
        with caplog.at_level(logging.ERROR, logger=feeds.log.name):
            feeds.ingest_all(broken, FixedClock(T0))  # raising here fails the test
    finally:
        broken.dispose()
    (record,) = [r for r in caplog.records if r.name == feeds.log.name]
    assert record.levelno == logging.ERROR and "feed ingestion failed" in record.getMessage()
    assert record.exc_info is not None and "no such table" in str(record.exc_info[1])


# --- templates quote feeds -------------------------------------------------------------

DIGEST = """
id: diem-tin
title: Điểm tin
task: "1.2"
agency: BAOVL
kind: article
period: {start: 2026-11-01, end: 2026-12-31}
schedule:
  - cron: "0 7 * * 1"
channels: [baovl-portal]
template: digest.html.j2
"""
DIGEST_TEMPLATE = """{% set title = "Điểm tin" %}
{% for t in feed('tin', days=7, limit=1) %}<h3>{{ t.title }}</h3>{{ t.summary_html }}
<p>{{ t.published_date }}</p>{% endfor %}
"""


def _digest(tmp_path: Path) -> Path:
    (tmp_path / "c").mkdir(exist_ok=True)
    (tmp_path / "c" / "digest.html.j2").write_text(DIGEST_TEMPLATE, encoding="utf-8")
    return write_campaign(tmp_path / "c", "diem-tin.yaml", DIGEST)


def test_templates_read_entries_through_feed(
    run_cli: Cli, server: HTTPServer, tmp_path: Path, db: Database
) -> None:
    server.expect_request("/rss").respond_with_data(RSS2, content_type=XML)
    run_cli("channel", "add", "baovl-portal", "outbox://outbox/p", "--agency", "BAOVL")
    run_cli("feeds", "add", "tin", server.url_for("/rss"))
    run_cli("feeds", "ingest", "--once")
    path = _digest(tmp_path)
    assert run_cli("campaign", "apply", str(path), "--now", "2026-11-28T08:00").exit_code == 0
    out = run_cli("render", "diem-tin", "--at", "2026-11-30T07:00").output
    assert "<h3>Chiến lược dữ liệu quốc gia</h3>" in out  # the newest only (limit=1)
    assert "Tổ công nghệ số" not in out
    assert "<b>100%</b>" in out  # sanitised HTML is inserted as it is
    assert "ngày 26 tháng 11 năm 2026" in out
    # A week later the entries are older than `days`: the loop is empty.
    later = run_cli("render", "diem-tin", "--at", "2026-12-14T07:00").output
    assert "<h3>" not in later


def test_an_unknown_feed_fails_validation(run_cli: Cli, tmp_path: Path) -> None:
    run_cli("channel", "add", "baovl-portal", "outbox://outbox/p", "--agency", "BAOVL")
    result = run_cli("campaign", "validate", str(_digest(tmp_path)))
    assert result.exit_code == 1
    assert "unknown feed 'tin'" in result.stderr and "bantin feeds add" in result.stderr


def test_feed_arguments_are_bounded() -> None:
    from jinja2.exceptions import TemplateRuntimeError

    from bantin.content.feedview import feed_global

    feed = feed_global({"tin": []}, datetime(2026, 11, 30, tzinfo=UTC))
    assert feed("tin") == []
    with pytest.raises(TemplateRuntimeError, match="days must be 1 to 31"):
        feed("tin", days=400)
    with pytest.raises(TemplateRuntimeError, match="limit must be 1 to 20"):
        feed("tin", limit=0)


def test_feed_names_are_found_in_templates() -> None:
    from bantin.content.sandbox import feed_names

    sources = {
        "a": "{% for t in feed('tin-a') %}{% endfor %}{{ feed(name='tin-b', days=3) }}",
        "b": "{% include 'a' %}{{ feed(vars.ten) }}",  # a variable name cannot be prepared
    }
    assert feed_names(sources) == {"tin-a", "tin-b"}
    assert feed_names({"c": "no feeds here"}) == frozenset()


def test_entries_for_is_relative_to_the_due_time(db: Database, server: HTTPServer) -> None:
    server.expect_request("/rss").respond_with_data(RSS2, content_type=XML)
    add(db, "tin", server.url_for("/rss"))
    ingest(db)
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    with db.session() as s:
        early = datetime(2026, 11, 25, 12, tzinfo=UTC)
        before = feeds.entries_for(s, ["tin", "khong-co"], early, tz)
        after = feeds.entries_for(s, ["tin"], T0 + timedelta(days=1), tz)
        count = s.scalar(select(func.count()).select_from(FeedEntry))
    assert set(before) == {"tin"}  # an unregistered name is left out: feed() says so
    assert [e["title"] for e in before["tin"]] == ["Tổ công nghệ số cộng đồng"]
    assert after["tin"][0]["title"] == "Chiến lược dữ liệu quốc gia"
    assert count == 2


# -- hostile servers and addresses (issue 8) --------------------------------------------


def test_a_redirect_to_an_internal_address_is_not_followed(
    db: Database, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "127.0.0.1/32")  # the feed host only
    with recording_server("127.0.0.2") as internal:
        server.expect_request("/rss").respond_with_data(
            "", status=302, headers={"Location": internal.url("/admin")}
        )
        add(db, "tin", server.url_for("/rss"))
        (result,) = ingest(db)
        assert internal.requests == []
    assert result.status == "refused"
    assert "127.0.0.2" in (result.error or "") and "loopback" in (result.error or "")


def test_an_internal_feed_is_refused_without_the_allowance(
    db: Database, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.expect_request("/rss").respond_with_data(RSS2, content_type=XML)
    add(db, "tin", server.url_for("/rss"))
    monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "")
    (result,) = ingest(db)
    assert result.status == "refused" and "BANTIN_OUTBOUND_ALLOW" in (result.error or "")
    assert server.log == []


class Drip:
    """A feed server that sends its headers, then one byte every 0.2 s for a minute (or,
    with `headers_too`, drips its header lines as well, so the answer never starts)."""

    def __init__(self, headers_too: bool = False) -> None:
        self.headers_too = headers_too
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n")
            if not self.headers_too:
                conn.sendall(b"\r\n")
            for _ in range(300):
                if self.stop.wait(0.2):
                    return
                try:
                    conn.sendall(b"X" if self.headers_too else b" ")
                except OSError:
                    return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def drip() -> Iterator[Drip]:
    server = Drip()
    yield server
    server.close()


def test_a_dripping_feed_is_abandoned_at_the_deadline(db: Database, drip: Drip) -> None:
    add(db, "cham", f"http://127.0.0.1:{drip.port}/rss")
    started = time.monotonic()
    (result,) = ingest(db, deadline=1.0)
    assert time.monotonic() - started < 2.5
    assert result.status == "too-slow" and "1 s" in (result.error or "")


def test_a_feed_dripping_its_headers_is_abandoned_at_the_deadline(db: Database) -> None:
    server = Drip(headers_too=True)
    try:
        add(db, "cham", f"http://127.0.0.1:{server.port}/rss")
        started = time.monotonic()
        (result,) = ingest(db, deadline=1.0)
        assert time.monotonic() - started < 2.5
        assert result.status == "too-slow"
    finally:
        server.close()


def test_the_database_stays_writable_while_a_feed_is_fetched(
    db: Database, drip: Drip, home: Path
) -> None:
    add(db, "cham", f"http://127.0.0.1:{drip.port}/rss")
    fetching = threading.Thread(target=ingest, args=(db, None, 2.0))
    fetching.start()
    time.sleep(0.5)  # the fetch is under way (it lasts 2 s)
    try:
        with sqlite3.connect(home / "bantin.db", timeout=0.3) as other:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE feed SET agency_code = agency_code")
            other.execute("COMMIT")
    finally:
        fetching.join()
    assert row(db, "cham").last_status == "too-slow"


def test_feed_credentials_are_masked_wherever_the_url_is_shown(db: Database, run_cli: Cli) -> None:
    url = "http://reader:pa55word@127.0.0.1:9/rss"  # nothing listens: a failure to record
    add(db, "kin", url)
    ingest(db)
    listed = run_cli("feeds", "list").output + run_cli("feeds", "list", "--json").output
    assert "pa55word" not in listed and "reader" not in listed
    assert "***@127.0.0.1:9/rss" in listed
    with db.session() as s:
        assert "pa55word" not in (s.get_one(Feed, "kin").last_error or "")
    exported = run_cli("audit", "export").output
    assert "pa55word" not in exported


def test_feed_urls_with_a_password_need_https(db: Database) -> None:
    with pytest.raises(ConfigError, match="needs https") as info:
        add(db, "kin", "http://reader:pa55word@news.example.vn/rss")
    assert "pa55word" not in str(info.value)


def test_a_feed_on_the_metadata_address_is_refused_when_added(db: Database) -> None:
    with pytest.raises(ConfigError, match="cloud metadata"):
        add(db, "meta", "http://169.254.169.254/latest/meta-data/")


SCRIPT_LINKS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>x</title>
<item><title>a</title><link>javascript:alert(1)</link><guid>a</guid></item>
<item><title>b</title><link>data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;</link>
<guid>b</guid></item>
<item><title>c</title><link> VBScript:msgbox(1)</link><guid>c</guid>
<description>&lt;a href="javascript:alert(2)"&gt;x&lt;/a&gt;</description></item>
<item><title>d</title><link>https://x.vn/d</link><guid>d</guid></item>
</channel></rss>"""


def test_script_links_from_a_feed_are_not_kept_as_links(db: Database, server: HTTPServer) -> None:
    server.expect_request("/rss").respond_with_data(SCRIPT_LINKS, content_type=XML)
    add(db, "tin", server.url_for("/rss"))
    ingest(db)
    got = {e.title: e for e in entries(db, "tin")}
    assert [got[g].link for g in "abcd"] == [None, None, None, "https://x.vn/d"]
    assert "javascript" not in (got["c"].summary_html or "")


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x", "vbscript:x", "//evil"]
)
def test_a_stored_script_link_is_not_shown_to_templates(link: str) -> None:
    view = entry_view(feed="t", title="t", link=link, summary_html=None, summary="", published=T0)
    assert view["link"] is None


@pytest.mark.parametrize("body", [b"\x80\x81 not a feed", b"<rss>\x00</rss>", b"\xff\xfe\x00<"])
def test_bytes_feedparser_chokes_on_are_a_malformed_feed(body: bytes) -> None:
    """Found by tests/property: feedparser raised UnicodeDecodeError / ValueError."""
    with pytest.raises(feeds.FeedError, match="not a readable RSS or Atom feed"):
        feeds.parse(body, "application/xml")
