"""The template library: every bundled template renders for every channel variant and every
unit of province 86 within its channel's limits, and every bundled radio programme fits
its slot; length limits are enforced at validation and at render."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bantin.campaigns import templatecheck
from bantin.campaigns.errors import CampaignError
from bantin.campaigns.render_input import render_publication
from bantin.campaigns.service import validate_files
from bantin.campaigns.validate import BUNDLED_TEMPLATES, spec_and_templates
from bantin.content.feeds import add_feed
from bantin.content.limits import LIMITS, LimitExceeded, check_limits
from bantin.content.render import Rendered
from bantin.core.db import Database
from bantin.core.models import Publication, Unit
from tests.conftest import EXAMPLES, T0
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply, write_campaign

MORE = EXAMPLES / "more"
# Every channel the examples in more/ name, each of the kind its name says.
REAL_CHANNELS = [
    *OUTBOX_CHANNELS,
    ("baovl-facebook", "facebook://100000000000001?token=env:FB_TOKEN_BAOVL", "BAOVL"),
    (
        "baovl-zalo",
        "zalo://200000000000001?token=env:ZALO_TOKEN&refresh_token=env:ZALO_REFRESH"
        "&app_id=3000&app_secret=env:ZALO_SECRET",
        "BAOVL",
    ),
    ("skhcn-fanpage", "facebook://100000000000002?token=env:FB_TOKEN_SKHCN", "SKHCN"),
    (
        "skhcn-zalo",
        "zalo://200000000000002?token=env:ZALO_TOKEN&refresh_token=env:ZALO_REFRESH"
        "&app_id=3000&app_secret=env:ZALO_SECRET",
        "SKHCN",
    ),
    ("skhcn-portal", "wordpress://portal.example.vn/?user=bantin&app_password=env:WP_PW", "SKHCN"),
]


@pytest.fixture
def report(db: Database) -> templatecheck.Report:
    with db.session() as s:
        return templatecheck.check(s)


def test_every_bundled_template_renders_for_every_variant_and_unit_within_limits(
    report: templatecheck.Report, db: Database
) -> None:
    assert report.problems == []
    bundled = {p.relative_to(BUNDLED_TEMPLATES).as_posix() for p in BUNDLED_TEMPLATES.rglob("*.j2")}
    assert bundled <= report.templates  # none left unchecked
    with db.session() as s:
        units = s.scalar(select(func.count()).select_from(Unit).where(Unit.province_code == "86"))
    assert units == 124
    radio = [p for p in templatecheck.bundled_campaign_files() if "loa" in p.name]
    # Each unit-targeted radio campaign renders at least once per unit of the province.
    assert report.renders >= len(radio) * 124


def test_every_bundled_radio_programme_fits_its_slot(report: templatecheck.Report) -> None:
    radio = []
    for path in templatecheck.bundled_campaign_files():
        spec, _ = spec_and_templates(path)
        if spec.kind == "radio_script":
            assert spec.slot_minutes is not None, f"{path.name} needs slot_minutes"
            radio.append(spec.id)
    assert sorted(s.campaign for s in report.slots) == sorted(radio)
    assert {"loa-cds", "huong-dan-dvc", "thanh-tuu-cds-loa"} <= set(radio)
    for slot in report.slots:
        assert slot.fits, str(slot)


def test_the_examples_in_more_validate_on_channels_of_every_kind(
    db: Database, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_channels(db, T0, REAL_CHANNELS, home)
    with db.session() as s:
        add_feed(s, "tin-cds-quoc-gia", "https://example.gov.vn/rss", "BAOVL", T0, "test")
    files = sorted(MORE.glob("*.yaml"))
    assert len(files) >= 6
    with db.session() as s:
        validated = validate_files(s, files, home)
    tasks = {v.spec.task for v in validated}
    assert {"1.1", "1.2", "1.4", "1.5", "2.2"} <= tasks


def test_a_template_mapping_gives_each_channel_kind_its_own_form(db: Database, home: Path) -> None:
    add_channels(db, T0, REAL_CHANNELS, home)
    apply(db, [MORE / "mang-xa-hoi-da-kenh.yaml"], T0, home, days=2)
    kinds = {"baovl-facebook": "facebook", "baovl-zalo": "zalo", "baovl-fanpage": "outbox"}
    with db.session() as s:
        pubs = s.scalars(select(Publication).order_by(Publication.due_at)).all()
        first = {p.channel_name: p for p in reversed(pubs)}
        out = {n: render_publication(s, first[n], k) for n, k in kinds.items()}
    facebook, zalo, outbox = out["baovl-facebook"], out["baovl-zalo"], out["baovl-fanpage"]
    assert facebook.title.endswith(("đủ.", "mạng.", "giả."))  # the hook, not the topic name
    assert not facebook.body.startswith("📱")  # Facebook shows the title as the first line
    assert len(str(zalo.meta["description"])) <= 300 and "description" not in outbox.meta
    assert outbox.body.startswith("📱 " + outbox.title)


def _rendered(title: str, body: str = "Nội dung.", **meta: object) -> Rendered:
    return Rendered(
        kind="post",
        title=title,
        body=body,
        campaign_id="x",
        channel="trang-zalo",
        due_at=datetime(2026, 12, 1, tzinfo=UTC),
        meta=dict(meta),
    )


@pytest.mark.parametrize(
    ("kind", "rendered", "message"),
    [
        ("zalo", _rendered("T" * 151), "the title is 151 characters, the limit is 150"),
        (
            "zalo",
            _rendered("Tiêu đề", description="M" * 301),
            "the description is 301 characters, the limit is 300",
        ),
        ("facebook", _rendered("Câu mở đầu " * 20), "the first line is 219 characters"),
        ("facebook", _rendered("T", "x" * 63_200), "the post (first line, blank line and text)"),
    ],
)
def test_limits_name_the_template_the_channel_and_the_length(
    kind: str, rendered: Rendered, message: str
) -> None:
    with pytest.raises(LimitExceeded) as err:
        check_limits(rendered, kind, template="posts/x.txt.j2")
    assert f"template posts/x.txt.j2 on channel trang-zalo ({kind}): " in err.value.message
    assert message in err.value.message


def test_limits_live_in_one_table() -> None:
    assert LIMITS["zalo"] == {"title": 150, "description": 300}
    assert LIMITS["facebook"]["post"] + 40 == 63_206
    assert LIMITS["outbox"] == {} and LIMITS["webhook"] == {}
    check_limits(_rendered("T" * 500, "x" * 100_000), "outbox", template="t")  # no limit


ZALO_CAMPAIGN = """
id: zalo-dai
title: Bài Zalo
task: "1.1"
agency: BAOVL
kind: post
period: {start: 2026-11-01, end: 2026-12-31}
schedule:
  - cron: "0 8 * * *"
channels: [baovl-zalo]
template: dai.txt.j2
"""


def test_a_title_over_the_zalo_limit_fails_validation(
    db: Database, home: Path, tmp_path: Path
) -> None:
    add_channels(db, T0, REAL_CHANNELS, home)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "dai.txt.j2").write_text(
        '{% set title = "Chuyển đổi số " * 12 %}Nội dung.', encoding="utf-8"
    )
    path = write_campaign(tmp_path / "c", "zalo-dai.yaml", ZALO_CAMPAIGN)
    with db.session() as s, pytest.raises(CampaignError) as err:
        validate_files(s, [path], home)
    (issue,) = err.value.issues
    assert issue.field == "template" and issue.line == 10
    assert "LimitExceeded: template dai.txt.j2 on channel baovl-zalo (zalo)" in issue.message
    assert "the title is 167 characters, the limit is 150" in issue.message


def test_a_publication_over_its_limit_is_failed_with_the_reason(
    db: Database, home: Path, tmp_path: Path
) -> None:
    """The title grows with the day of the month: the sample (1 November) passes, the
    publication of 28 November does not, and dispatch fails it without calling Zalo."""
    from datetime import timedelta

    from bantin.config import load_settings
    from bantin.core.clock import FixedClock
    from bantin.dispatch import Dispatcher

    add_channels(db, T0, REAL_CHANNELS, home)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "dai.txt.j2").write_text(
        '{% set title = "Tin " * (due.day * 2) %}Nội dung.', encoding="utf-8"
    )
    apply(db, [write_campaign(tmp_path / "c", "zalo-dai.yaml", ZALO_CAMPAIGN)], T0, home, days=2)
    due = datetime(2026, 11, 29, 8, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).astimezone(UTC)
    d = Dispatcher(db, load_settings(), FixedClock(due + timedelta(seconds=2)), "t")
    try:
        d.run_pass()
    finally:
        d.close()
    with db.session() as s:
        pub = s.scalars(select(Publication).where(Publication.due_at == due)).one()
        assert pub.status == "failed"
        assert "the title is 231 characters, the limit is 150" in (pub.status_reason or "")
