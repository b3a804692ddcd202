"""One read time everywhere (issue 12): the same script's duration is the same text in
`bantin render`, the day sheet, the Atom feed, the desk's publication and culture pages;
and day sheets beyond the materialisation horizon list what the campaigns will air."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bantin.content import timing
from bantin.core.db import Database
from bantin.core.models import Publication
from tests.conftest import Cli
from tests.web.conftest import UNIT_READ
from tests.web.desk_support import add_people, log_in

MORNING = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)  # 05:30 on Thursday 3/12
UNIT_SHEET = "/loa/don-vi/29641/{day}.html?token=" + UNIT_READ
DURATION = re.compile(r"\d+ phút(?: \d+ giây)?|\d+ giây")


@pytest.fixture(autouse=True)
def _readers(feed_readers: None) -> None:
    """The feed tokens of 29641 and thi-diem are live."""


def _morning(db: Database) -> int:
    with db.read() as s:
        found = s.scalars(
            select(Publication.id).where(
                Publication.unit_code == "29641",
                Publication.campaign_id == "loa-cds",
                Publication.due_at == MORNING,
            )
        ).first()
    assert found
    return found


def _after(text: str, label: str) -> str:
    """The duration printed right after `label` in `text`."""
    at = text.index(label) + len(label)
    found = DURATION.search(text, at)
    assert found is not None and found.start() - at < 40, text[at : at + 80]
    return found.group(0)


def test_one_script_has_the_same_read_time_on_every_surface(
    client: FlaskClient, db: Database, run_cli: Cli
) -> None:
    pub_id = _morning(db)
    rendered = run_cli("render", "loa-cds", "--at", "2026-12-03T05:30", "--unit", "29641")
    cli_text = _after(rendered.output, "Thời lượng ước tính: ")
    slot_text = _after(rendered.output, "kịch bản đọc hết ")
    sheet = client.get(UNIT_SHEET.format(day="2026-12-03")).data.decode()
    block = sheet[sheet.index(f"<dd>{pub_id}</dd>") - 600 :]
    sheet_text = _after(block, "Thời lượng ước tính:</dt> <dd>")
    feed = feedparser.parse(client.get(f"/loa/don-vi/29641/feed.atom?token={UNIT_READ}").data)
    entry = next(e for e in feed.entries if e.loa_slot.startswith("2026-12-03T05:30"))
    feed_text = _after(entry.summary, "Thời lượng ước tính: ")
    assert timing.duration_text(int(entry.loa_duration)) == feed_text
    add_people(db)
    log_in(client, "vh.cainhum")
    culture = client.get("/?ngay=2026-12-03").data.decode()
    culture_text = _after(culture[culture.index(f'id="ban-tin-{pub_id}"') :], "ước tính: ")
    auditor = client.application.test_client()
    log_in(auditor, "kiem.tra")
    desk = auditor.get(f"/bai/{pub_id}").data.decode()
    desk_text = _after(desk, "Thời lượng ước tính</dt>\n  <dd>")
    texts = {cli_text, slot_text, sheet_text, feed_text, desk_text, culture_text}
    assert len(texts) == 1, (cli_text, slot_text, sheet_text, feed_text, desk_text, culture_text)


def test_the_read_time_rounds_up_the_same_way_everywhere() -> None:
    assert timing.duration_text(90.2) == "1 phút 31 giây" == timing.duration_text(91)
    assert timing.whole_seconds(90.0000001) == 90
    fit = timing.SlotFit(350, 90.2, 90, 233)
    assert "1 phút 31 giây" in fit.describe() and "1 phút 31 giây" in fit.describe("vi")


def test_a_day_beyond_the_horizon_lists_the_expected_bulletins(client: FlaskClient) -> None:
    page = client.get(UNIT_SHEET.format(day="2026-12-20")).data.decode()
    assert "Không có bản tin nào" not in page
    assert "Chưa lập lịch: sẽ được lập vào ngày" in page
    assert "05:30 – Xã Cái Nhum – Bản tin Chuyển đổi số" in page
    assert "17:00 – Xã Cái Nhum" in page and "(dự kiến)" in page


def test_a_day_no_campaign_runs_still_says_no_bulletins(client: FlaskClient) -> None:
    page = client.get(UNIT_SHEET.format(day="2031-06-01")).data.decode()
    assert "Không có bản tin nào trong ngày này." in page and "dự kiến" not in page


def test_no_surface_has_an_estimator_of_its_own() -> None:
    """Read times come from `bantin.content.timing` only (the one estimator and formatter)."""
    root = Path(__file__).resolve().parents[2] / "bantin"
    own = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.parent.name != "vietnamese"
        and path.name != "timing.py"
        and re.search(r"estimate_duration|count_syllables|\* 60\.0 / rate", path.read_text())
    ]
    assert own == []
