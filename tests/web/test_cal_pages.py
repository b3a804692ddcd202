"""The desk's calendar (/lich) and publication page (/bai/<id>) through Flask's client:
what each person sees, the filters, the grouping, and escaping of user-typed text."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from bantin.core.db import Database
from bantin.core.models import Campaign, Channel, Publication
from tests.web.desk_support import add_people, log_in

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


@pytest.fixture
def people(db: Database) -> None:
    add_people(db)


def _first(db: Database, **where: str) -> int:
    with db.read() as s:
        q = select(Publication.id).order_by(Publication.due_at, Publication.id)
        for name, value in where.items():
            q = q.where(getattr(Publication, name) == value)
        found = s.scalars(q).first()
    assert found is not None
    return found


def _page(client: FlaskClient, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    return resp.get_data(as_text=True)


def test_anonymous_goes_to_login(client: FlaskClient) -> None:
    assert client.get("/lich").status_code == 302
    assert client.get("/bai/1").status_code == 302


def test_editor_month_shows_own_agency_grouped_with_state_words(
    client: FlaskClient, people: None
) -> None:
    log_in(client, "bien.tap")
    html = _page(client, "/lich?day=2026-12-03")
    assert "Chiến dịch truyền thông chuyển đổi số trên mạng xã hội" in html
    assert "loa-xa" not in html.split("<main>")[1].split("cal-filter")[1]  # other agency
    assert "Thứ Năm, 03/12/2026" in html
    assert "đã lên lịch" in html  # the legend and entries say the state in words


def test_auditor_month_groups_124_communes_in_one_entry(client: FlaskClient, people: None) -> None:
    log_in(client, "kiem.tra")
    html = _page(client, "/lich?day=2026-12-03&channel=loa-xa")
    assert "124 đơn vị" in html
    # One entry per slot, never one per commune: 4 days × 2 bulletins (+ extras).
    assert html.count('class="ev st-') < 60


def test_group_links_to_the_filtered_agenda(client: FlaskClient, people: None) -> None:
    log_in(client, "kiem.tra")
    html = _page(client, "/lich?day=2026-12-03&channel=loa-xa")
    link = re.search(r'href="(/lich\?view=agenda[^"]*campaign=loa-cds[^"]*)"', html)
    assert link, "a grouped entry links to the agenda"
    agenda = _page(client, link.group(1).replace("&amp;", "&"))
    assert agenda.count("/bai/") >= 124


def test_culture_staff_see_only_their_commune(client: FlaskClient, people: None) -> None:
    log_in(client, "vh.cainhum")
    html = _page(client, "/lich?view=agenda&day=2026-12-03")
    assert "Xã Cái Nhum" in html
    assert "Xã Trà Ôn" not in html
    channels = html.split('id="f-channel"')[1].split("</select>")[0]
    assert "loa-xa" in channels and "baovl" not in channels  # no other agency's channels


def test_filter_by_channel_and_state(client: FlaskClient, people: None) -> None:
    log_in(client, "bien.tap")
    html = _page(client, "/lich?view=week&day=2026-12-03&channel=baovl-portal")
    assert "Chuyên mục Chuyển đổi số" in html
    assert "mạng xã hội" not in html.split("</form>")[-2].split("legend")[-1]
    none = _page(client, "/lich?view=week&day=2026-12-03&state=failed")
    assert 'class="ev st-planned" href' not in none


def test_week_and_agenda_views_and_navigation(client: FlaskClient, people: None) -> None:
    log_in(client, "bien.tap")
    week = _page(client, "/lich?view=week&day=2026-12-03")
    assert "Thứ Hai, 30/11/2026 – Chủ Nhật, 06/12/2026" in week
    assert "day=2026-12-10" in week and "day=2026-11-26" in week
    agenda = _page(client, "/lich?view=agenda&day=2026-12-03")
    assert "08:00" in agenda and "/bai/" in agenda


def test_publication_page_of_own_agency(client: FlaskClient, db: Database, people: None) -> None:
    pub_id = _first(db, agency_code="BAOVL", channel_name="baovl-fanpage")
    log_in(client, "bien.tap")
    html = _page(client, f"/bai/{pub_id}")
    assert "Nội dung sẽ đăng" in html and "Số ký tự" in html
    assert "Giới hạn độ dài của kênh" not in html  # an outbox has no limits
    assert "Các lần gửi" in html and "Lịch sử" in html


def test_publication_page_measures_against_the_channels_limits(
    client: FlaskClient, db: Database, people: None
) -> None:
    pub_id = _first(db, agency_code="BAOVL", channel_name="baovl-fanpage")
    with db.session() as s:
        s.execute(update(Channel).where(Channel.name == "baovl-fanpage").values(kind="facebook"))
    log_in(client, "bien.tap")
    limits = _page(client, f"/bai/{pub_id}").split("Giới hạn độ dài của kênh")[1]
    assert "first_line" in limits and "150" in limits and "trong giới hạn" in limits


def test_another_agencys_publication_is_404(
    client: FlaskClient, db: Database, people: None
) -> None:
    pub_id = _first(db, agency_code="BAOVL")
    log_in(client, "khac.coquan")
    assert client.get(f"/bai/{pub_id}").status_code == 404
    assert client.get("/bai/999999").status_code == 404


def test_culture_staff_of_another_commune_get_404(
    client: FlaskClient, db: Database, people: None
) -> None:
    pub_id = _first(db, unit_code="29641")
    log_in(client, "vh.traon")
    assert client.get(f"/bai/{pub_id}").status_code == 404
    assert client.get(f"/bai/{pub_id}/am-thanh").status_code == 404


def test_radio_script_page_shows_read_aloud_duration_attempts_and_history(
    client: FlaskClient, db: Database, people: None
) -> None:
    pub_id = _first(db, unit_code="29641", status="published")
    log_in(client, "vh.cainhum")
    html = _page(client, f"/bai/{pub_id}")
    assert "Bản đọc" in html and "Thời lượng ước tính" in html
    assert "Khung giờ phát" in html and "1,5 phút" in html
    attempts = html.split("Các lần gửi")[1].split("Xác nhận đã phát")[0]
    assert "đã đăng" in attempts
    assert "publication.published" in html.split("Lịch sử")[1]


def test_prepared_audio_is_played_with_range_support(
    client: FlaskClient, db: Database, home: object, people: None
) -> None:
    from pathlib import Path

    pub_id = _first(db, unit_code="29641", status="published")
    with db.read() as s:
        key = s.get_one(Publication, pub_id).idempotency_key
    folder = Path(str(home)) / "audio"
    folder.mkdir(exist_ok=True)
    (folder / f"{key}.mp3").write_bytes(b"ID3" + bytes(997))
    log_in(client, "vh.cainhum")
    assert "<audio controls" in _page(client, f"/bai/{pub_id}")
    part = client.get(f"/bai/{pub_id}/am-thanh", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.mimetype == "audio/mpeg"
    assert len(part.data) == 100


@pytest.mark.parametrize("payload", PAYLOADS)
def test_user_text_is_escaped_on_calendar_and_publication_page(
    client: FlaskClient, db: Database, people: None, payload: str
) -> None:
    pub_id = _first(db, agency_code="BAOVL", channel_name="baovl-fanpage")
    with db.session() as s:
        s.execute(update(Campaign).where(Campaign.agency_code == "BAOVL").values(title=payload))
        s.execute(
            update(Publication)
            .where(Publication.id == pub_id)
            .values(title=payload, body=payload, status="failed", status_reason=payload)
        )
    log_in(client, "bien.tap")
    for url in ("/lich?day=2026-12-03", "/lich?view=agenda&day=2026-12-03", f"/bai/{pub_id}"):
        html = _page(client, url)
        assert payload not in html, url
        assert "&lt;" in html or "&#34;&gt;" in html, url


def test_home_lists_link_to_publication_pages(client: FlaskClient, people: None) -> None:
    log_in(client, "bien.tap")
    html = _page(client, "/")
    link = re.search(r'href="(/bai/\d+)"', html)
    assert link and _page(client, link.group(1))
    assert 'href="/lich"' in html  # the menu has the calendar


@pytest.mark.parametrize(
    "url", ["/lich?day=2026-12-03", "/lich?view=agenda&day=2026-12-03", "/bai/{pub}"]
)
def test_pages_use_a_few_statements_whatever_the_rows(
    client: FlaskClient, db: Database, people: None, url: str
) -> None:
    """No per-row queries: the auditor's month of 124 communes is a handful of statements."""
    from sqlalchemy import event

    pub = _first(db, unit_code="29641", status="published")
    log_in(client, "kiem.tra")
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        _page(client, url.format(pub=pub))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(seen) <= 25, seen


def test_english_calendar_and_publication_page(
    client: FlaskClient, db: Database, people: None
) -> None:
    log_in(client, "kiem.tra")
    html = _page(client, "/lich?day=2026-12-03&channel=loa-xa&lang=en")
    assert "Publication calendar" in html and "124 units" in html and "Mon" in html
    pub = _first(db, unit_code="29641", status="published")
    page = _page(client, f"/bai/{pub}?lang=en")
    assert "Read-aloud form" in page and "05:30, Wednesday, 02/12/2026" in page


def test_a_month_over_the_limit_says_it_is_partial(
    client: FlaskClient, people: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bantin.records import calendar as cal

    log_in(client, "kiem.tra")
    assert "Chỉ hiện một phần" not in _page(client, "/lich?day=2026-12-03")
    monkeypatch.setattr(cal, "SLOT_LIMIT", 3)
    monkeypatch.setattr(cal.slots, "__defaults__", (3,))
    assert "Chỉ hiện một phần" in _page(client, "/lich?day=2026-12-03")
