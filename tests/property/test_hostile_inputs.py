"""Generated and mutated hostile input through every entry point that takes outside text.

Campaign files, templates, feed documents and channel URLs — 10,000+ examples in all,
derandomised so CI sees the same ones every run — go through `campaign validate`,
`render`, feed parsing and `channel add`. Each must end in a result or in one of the
project's clear errors; never in another exception (a traceback for the user).

Bounds this suite states and checks:
- time: each example within `DEADLINE` (hypothesis fails the example otherwise);
- memory: the process's peak resident size grows by less than `MEMORY_BUDGET_MB` over the
  whole suite (a 3 GB `'a' * 10**9` would break it);
- output: a render that succeeds is within the channel kind's output cap.
"""

from __future__ import annotations

import re
import resource
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import TemplateError

from bantin.campaigns.errors import CampaignError
from bantin.campaigns.validate import validate_file
from bantin.channels.service import add_channel, describe
from bantin.content import feeds
from bantin.content.limits import output_cap
from bantin.content.render import Rendered, RenderInput, render
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import Channel as ChannelRow
from tests.conftest import T0
from tests.helpers import add_channels

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:feedparser"),
]

DEADLINE = timedelta(seconds=5)
MEMORY_BUDGET_MB = 600
COMMON = {
    "deadline": DEADLINE,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
}
EXAMPLES = Path(__file__).parents[2] / "bantin" / "data" / "campaigns"
SEEDS = sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("more/*.yaml")])
CHANNELS = [
    (name, f"outbox://outbox/{name}", agency)
    for name, agency in (
        ("baovl-fanpage", "BAOVL"),
        ("baovl-portal", "BAOVL"),
        ("baovl-facebook", "BAOVL"),
        ("baovl-zalo", "BAOVL"),
        ("loa-xa", "COMMUNES"),
        ("skhcn-fanpage", "SKHCN"),
        ("skhcn-portal", "SKHCN"),
        ("skhcn-zalo", "SKHCN"),
    )
]

START_RSS = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
#: Examples run per property; the whole module must feed at least `MIN_EXAMPLES` inputs.
RAN: dict[str, int] = {}
PROPERTIES = 5
MIN_EXAMPLES = 10_000


def ran(name: str) -> None:
    RAN[name] = RAN.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def bounds_hold() -> Iterator[None]:
    yield
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - START_RSS) / 1024
    assert grown_mb < MEMORY_BUDGET_MB, f"peak memory grew by {grown_mb:.0f} MB"
    if len(RAN) == PROPERTIES:  # the whole module ran, not a -k selection
        assert sum(RAN.values()) >= MIN_EXAMPLES, RAN


# -- campaign files --------------------------------------------------------------------

HOSTILE_SNIPPETS = [
    "&a [1, 2]",
    "*a",
    "*undefined",
    "!!python/object/apply:os.system ['true']",
    "!!binary AAAA",
    "{",
    "[",
    "\x00",
    "\t",
    "? [1, 2]\n: x",
    "1.10",
    "0001-01-01",
    "9999-12-31",
    "'",
    '"\\x',
    "- - - -",
    "~",
    "1e309",
    "-0",
    "0x1F",
    "../../../../etc/hostname",
    "/etc/hostname",
    "{% include '../../x' %}",
    "FREQ=SECONDLY",
    "* * * * *",
    "DTSTART:10260101T000000\nRRULE:FREQ=DAILY",
    "Ðặng Thị Ưng ♥ 𝓍",
    "a" * 3000,
]
KEYS = [
    "id",
    "title",
    "task",
    "agency",
    "kind",
    "period",
    "schedule",
    "targets",
    "channels",
    "template",
    "vars",
    "blackout",
    "approval",
    "priority",
    "slot_minutes",
    "cron",
    "rrule",
    "at",
    "start",
    "end",
]


@st.composite
def mutated_campaign(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SEEDS)).read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["replace-value", "insert", "delete", "dup", "chars", "key"]))
        if op == "replace-value" and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            value = draw(st.sampled_from(HOSTILE_SNIPPETS) | st.text(max_size=40))
            lines[i] = f"{key}: {value}"
        elif op == "insert":
            lines.insert(i, draw(st.sampled_from(HOSTILE_SNIPPETS)))
        elif op == "delete":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "key":
            key = draw(st.sampled_from(KEYS))
            lines.insert(i, f"{key}: {draw(st.sampled_from(HOSTILE_SNIPPETS))}")
        else:
            text = lines[i]
            j = draw(st.integers(0, len(text)))
            lines[i] = text[:j] + draw(st.text(max_size=5)) + text[j + 1 :]
    return "\n".join(lines) + "\n"


BOMB = "a: &a ['x','x','x','x','x','x','x','x','x']\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
    f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
    for i in range(9)
)


@pytest.fixture
def campaign_folder(db: Database, home: Path, tmp_path: Path) -> Path:
    add_channels(db, T0, CHANNELS, home)
    folder = tmp_path / "campaigns"
    folder.mkdir()
    return folder


def check_campaign(db: Database, folder: Path, text: str) -> None:
    path = folder / "c.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        with db.session() as s:
            validate_file(s, path)
    except CampaignError as exc:
        assert exc.issues, "a rejection must say why"
        for issue in exc.issues:
            assert issue.file == str(path), issue
            assert issue.message.strip(), issue


@settings(max_examples=3000, **COMMON)  # type: ignore[call-overload]
@given(text=mutated_campaign())
def test_mutated_campaign_files_get_a_result_or_a_clear_error(
    db: Database, campaign_folder: Path, text: str
) -> None:
    ran("campaign file")
    check_campaign(db, campaign_folder, text)


@settings(max_examples=1000, **COMMON)  # type: ignore[call-overload]
@given(
    doc=st.dictionaries(
        st.sampled_from(KEYS) | st.text(max_size=8),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=True)
            | st.text(max_size=30)
            | st.sampled_from(HOSTILE_SNIPPETS),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=6), inner, max_size=4)
            ),
            max_leaves=12,
        ),
        max_size=12,
    )
)
def test_generated_campaign_documents_get_a_result_or_a_clear_error(
    db: Database, campaign_folder: Path, doc: dict[str, object]
) -> None:
    import yaml

    ran("campaign document")
    check_campaign(db, campaign_folder, yaml.safe_dump(doc, allow_unicode=True))


def test_an_alias_bomb_is_refused_quickly(db: Database, campaign_folder: Path) -> None:
    with pytest.raises(CampaignError), db.session() as s:
        path = campaign_folder / "bomb.yaml"
        path.write_text(BOMB, encoding="utf-8")
        validate_file(s, path)


# -- templates -------------------------------------------------------------------------

EXPRESSIONS = [
    "10 ** 10 ** 9",
    "9 ** 999999",
    "'a' * 10 ** 9",
    "[0] * 10 ** 9",
    "range(10 ** 9) | list",
    "unit.__class__.__mro__",
    "''.__class__.__mro__[1].__subclasses__()",
    "vars.__init__.__globals__",
    "lipsum.__globals__",
    "cycler.__init__.__globals__",
    "vars.update({'x': 1})",
    "vars.seen.append(1)",
    "self._TemplateReference__context",
    "due.replace(year=1)",
    "due_date | upper",
    "1 // 0",
    "1.0e308 * 10",
    "'%s' % (1,)",
    "'{0.__class__}'.format(1)",
    "(1, 2) | map('attr', '__class__') | list",
    "unit.name | so_chu",
    "70 | doc_so",
    "'CĐS 70%' | doc_to",
    "agency.name",
    "task.title",
    "plan.number",
]
STATEMENTS = [
    "{% for i in range(10**6) %}{% for j in range(10**6) %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{% include '../../../../etc/hostname' %}",
    "{% include '/etc/hostname' %}",
    "{% import 'x' as y %}",
    "{% extends '../../secret.key' %}",
    "{% set title = 'Tiêu đề ' * 3 %}",
    "{% set _ = vars.seen.append(1) %}",
    "{% raw %}{{ x }}{% endraw %}",
    "{% if unit %}{{ unit.name }}{% endif %}",
    "{% for x in [1, 2, 3] %}{{ loop.index }}{% endfor %}",
    "{{",
    "{%",
    "{# unterminated",
]


@st.composite
def hostile_template(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["expr", "stmt", "text", "filter"]))
        if kind == "expr":
            parts.append("{{ " + draw(st.sampled_from(EXPRESSIONS)) + " }}")
        elif kind == "stmt":
            parts.append(draw(st.sampled_from(STATEMENTS)))
        elif kind == "filter":
            parts.append("{{ " + draw(st.sampled_from(EXPRESSIONS)) + " | string | length }}")
        else:
            parts.append(draw(st.text(alphabet=string.printable + "ăâđêôơưạảấầ", max_size=30)))
    return "".join(parts)


def render_input(source: str, kind: str, channel_kind: str) -> RenderInput:
    return RenderInput(
        campaign={
            "id": "c",
            "title": "Bản tin",
            "kind": kind,
            "priority": "normal",
            "vars": {"seen": [], "loi": "Xin chào"},
            "slot_minutes": None,
        },
        templates={"t.j2": source},
        template_name="t.j2",
        channel={"name": "ch", "kind": channel_kind},
        unit={"code": "29641", "name": "Phường Long Châu", "kind": "phuong"},
        agency={"code": "BAOVL", "name": "Báo Vĩnh Long", "name_en": "Vinh Long Newspaper"},
        task={"code": "1.1", "title": "Tuyên truyền", "group": "1"},
        plan={"number": "618/QĐ-UBND", "title": "Kế hoạch", "date": None, "date_text": ""},
        due_at=datetime(2026, 12, 3, 22, 30, tzinfo=UTC),
        timezone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )


@settings(max_examples=3000, **COMMON)  # type: ignore[call-overload]
@given(
    source=hostile_template(),
    kind=st.sampled_from(["post", "article", "radio_script"]),
    channel_kind=st.sampled_from(["outbox", "facebook", "zalo", "wordpress", "webhook"]),
)
def test_hostile_templates_render_or_fail_with_a_template_error(
    source: str, kind: str, channel_kind: str
) -> None:
    ran("template")
    try:
        rendered = render(render_input(source, kind, channel_kind))
    except TemplateError as exc:
        assert str(exc) or type(exc).__name__
        return
    assert isinstance(rendered, Rendered)
    assert len(rendered.body.encode()) <= output_cap(kind)
    assert "__globals__" not in rendered.body and "<class" not in rendered.body


# -- feed documents --------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tin CĐS</title><link>https://example.vn/</link>
<item><title>Chuyển đổi số {n}</title><link>{link}</link><guid>g{n}</guid>
<description><![CDATA[{desc}]]></description><pubDate>Tue, 01 Dec 2026 08:00:00 +0700</pubDate>
</item></channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Tin</title><id>urn:x</id>
<updated>2026-12-01T00:00:00Z</updated><entry><title>{desc}</title><id>urn:{n}</id>
<link href="{link}"/><updated>2026-12-01T00:00:00Z</updated><content type="html">{desc}</content>
</entry></feed>"""
LINKS = [
    "https://example.vn/a",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox",
    "//evil.example/x",
    "http://user:pw@example.vn/",
    "",
]
DESCRIPTIONS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//x></iframe>",
    "]]><x>",
    "&lt;b&gt;",
    "Bà con <b>lưu ý</b>",
    "<!ENTITY x SYSTEM 'file:///etc/passwd'>",
]


@st.composite
def feed_document(draw: st.DrawFn) -> bytes:
    shape = draw(st.sampled_from([RSS, ATOM]))
    text = shape.format(
        n=draw(st.integers(0, 10**6)),
        link=draw(st.sampled_from(LINKS)),
        desc=draw(st.sampled_from(DESCRIPTIONS) | st.text(max_size=50)),
    )
    data = bytearray(text.encode("utf-8"))
    for _ in range(draw(st.integers(0, 3))):
        if data:
            i = draw(st.integers(0, len(data) - 1))
            data[i : i + 1] = draw(st.binary(max_size=3))
    return bytes(data)


SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")
#: A tag's link or source whose URL starts with a scheme that runs code (escaped text is
#: harmless and may say anything).
SCRIPT_URL = re.compile(r"""<[^>]*\s(?:href|src)\s*=\s*["']?\s*(?:javascript|vbscript|data):""")


@pytest.fixture
def feed_db(db: Database) -> Database:
    with db.session() as s:
        feeds.add_feed(s, "tin-cds", "https://example.vn/rss", None, T0, "test")
    return db


@settings(max_examples=2000, **COMMON)  # type: ignore[call-overload]
@given(body=feed_document() | st.binary(max_size=200))
def test_feed_documents_are_ingested_or_fail_with_a_feed_error(
    feed_db: Database, body: bytes
) -> None:
    """What `feeds ingest` does with a fetched body: parse, sanitise, store."""
    ran("feed")
    try:
        entries, _warning = feeds.parse(body, "application/xml", "https://example.vn/rss")
    except feeds.FeedError as exc:
        assert str(exc)
        return
    for entry in entries:
        html = (entry.summary_html or "").lower()
        assert "<script" not in html and "onerror=" not in html.replace(" ", "")
        assert not SCRIPT_URL.search(html), html
        assert not (entry.link or "").lower().lstrip().startswith(SCRIPT_SCHEMES)
    with feed_db.session() as s:
        feeds.store(s, "tin-cds", entries, T0)


# -- channel URLs ----------------------------------------------------------------------

SCHEMES = ["outbox", "webhook+https", "webhook+http", "facebook", "zalo", "wordpress", "ftp", ""]
PARAM_NAMES = [
    "token",
    "Token",
    "access-token",
    "api_key",
    "secret",
    "password",
    "app_password",
    "user",
    "timeout",
    "rate",
    "late",
    "base",
    "refresh_token",
    "app_id",
    "app_secret",
]
PARAM_VALUES = [
    "env:X",
    "secret:Y",
    "RAW-SECRET-VALUE-123",
    "-1",
    "abc",
    "0",
    "30/min",
    "http://169.254.169.254/",
    "https://127.0.0.1:1/",
    "",
    "%00",
]
HOSTS = [
    "example.vn",
    "127.0.0.1",
    "[::1]",
    "169.254.169.254",
    "TOKEN@example.vn",
    "u:p@example.vn",
    "xn--vit-nam-9za.vn",
    "việt-nam.vn",
    "",
    "1000200030004",
    "a" * 300,
]


@st.composite
def channel_url(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(SCHEMES))
    host = draw(st.sampled_from(HOSTS))
    path = draw(st.sampled_from(["", "/", "/hook", "/bot123:ABCDEF/x", "/../../etc", "/%2e%2e/"]))
    params = draw(
        st.lists(st.tuples(st.sampled_from(PARAM_NAMES), st.sampled_from(PARAM_VALUES)), max_size=5)
    )
    query = "&".join(f"{k}={v}" for k, v in params)
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


@settings(max_examples=2000, **COMMON)  # type: ignore[call-overload]
@given(url=channel_url() | st.text(max_size=80))
def test_channel_add_takes_a_url_or_refuses_it_with_a_config_error(
    db: Database, home: Path, url: str
) -> None:
    """What `bantin channel add` does: open the channel, store it, audit it."""
    ran("channel url")
    try:
        with db.session() as s:
            add_channel(s, "ch", url, "BAOVL", T0, "test", replace=True, home=home)
    except ConfigError as exc:
        assert str(exc).strip()
        return
    # Accepted: no credential-named parameter carried a raw value, and none is shown.
    raw = [k for k, v in parse_qsl(urlsplit(url).query) if v == "RAW-SECRET-VALUE-123"]
    assert not any(word in k.lower() for k in raw for word in ("token", "secret", "pass", "key"))
    with db.session() as s:
        shown = describe(s.get_one(ChannelRow, "ch"), home)["url"]
    for k in ("token", "secret", "password", "app_password", "api_key"):
        assert f"{k}=RAW-SECRET-VALUE-123" not in shown
