"""The culture staff's desk: scripts of their units by day, recordings, the one-tap
receipt tied to the user, the day sheet, and feed URLs; scoped and escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from bantin.accounts.users import NewUser, add_user
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import AuditEvent, Publication, Unit
from bantin.records.receipts import list_receipts
from tests.web.conftest import APPLIED_AT
from tests.web.desk_support import PASSWORD, add_people, form_csrf, log_in

AFTER_MORNING = datetime(2026, 12, 2, 22, 40, tzinfo=UTC)  # 05:40 on Thursday 3/12
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.fixture(autouse=True)
def people(db: Database) -> None:
    add_people(db)


def _morning(db: Database) -> int:
    with db.read() as s:
        found = s.scalars(
            select(Publication.id).where(
                Publication.unit_code == "29641",
                Publication.status == "published",
                Publication.due_at == datetime(2026, 12, 2, 22, 30, tzinfo=UTC),
            )
        ).first()
    assert found
    return found


def test_culture_staff_see_todays_scripts_in_large_text_with_a_day_switcher(
    client: FlaskClient,
) -> None:
    log_in(client, "vh.cainhum")
    page = client.get("/").data.decode()
    assert "Thứ Năm, 03/12/2026" in page and "Xã Cái Nhum" in page
    assert "Xã Trà Ôn" not in page  # another commune's scripts are not theirs
    for day in ("2026-12-04", "2026-12-05", "2026-12-06"):
        assert f'href="/?ngay={day}"' in page
    assert "font-size: 1.3rem" in page  # 20.8 px on the script body
    assert 'href="/van-hoa/to-in/29641/2026-12-03"' in page


def test_another_day_is_chosen_within_the_next_three(client: FlaskClient) -> None:
    log_in(client, "vh.cainhum")
    assert "Thứ Bảy, 05/12/2026" in client.get("/?ngay=2026-12-05").data.decode()
    assert "Thứ Năm, 03/12/2026" in client.get("/?ngay=2027-01-01").data.decode()


def test_one_tap_receipt_names_the_user_and_shows_on_the_card(
    client: FlaskClient, db: Database, clock: FixedClock, thursday_morning_sent: None, settings
) -> None:
    clock.set(AFTER_MORNING)
    pub = _morning(db)
    log_in(client, "vh.cainhum")
    page = client.get("/").data.decode()
    assert "Đã phát lúc 05:40" in page
    token = form_csrf(client, "/")
    resp = client.post("/xac-nhan", data={"publication": pub, "csrf_token": token})
    assert resp.status_code == 302
    page = client.get("/").data.decode()
    assert "Đã xác nhận lúc 05:40 bởi Phạm Văn Hóa" in page
    with db.read() as s:
        (receipt,) = list_receipts(s, settings.timezone, unit="29641")
        actor = s.scalar(select(AuditEvent.actor).where(AuditEvent.action == "broadcast.confirmed"))
    assert receipt["reported_by"] == "Phạm Văn Hóa" and actor == "user vh.cainhum"


def test_recording_plays_for_the_unit_only_with_range_requests(
    client: FlaskClient, db: Database, home: Path, thursday_morning_sent: None
) -> None:
    pub = _morning(db)
    with db.read() as s:
        key = s.get_one(Publication, pub).idempotency_key
    (home / "audio").mkdir()
    (home / "audio" / f"{key}.mp3").write_bytes(b"ID3" + b"\0" * 997)
    log_in(client, "vh.cainhum")
    assert (
        f'<audio controls preload="none" src="/van-hoa/am-thanh/{pub}"'
        in client.get("/").data.decode()
    )
    part = client.get(f"/van-hoa/am-thanh/{pub}", headers={"Range": "bytes=0-2"})
    assert part.status_code == 206 and part.data == b"ID3"
    client.post("/dang-xuat", data={"csrf_token": form_csrf(client, "/")})
    log_in(client, "vh.traon")
    assert client.get(f"/van-hoa/am-thanh/{pub}").status_code == 404


def test_day_sheet_is_for_their_own_units(client: FlaskClient) -> None:
    log_in(client, "vh.cainhum")
    sheet = client.get("/van-hoa/to-in/29641/2026-12-03")
    assert sheet.status_code == 200 and "Đã phát lúc: ____" in sheet.data.decode()
    assert client.get("/van-hoa/to-in/29821/2026-12-03").status_code == 404


def test_a_new_feed_url_is_shown_once_works_and_is_audited(
    client: FlaskClient, db: Database
) -> None:
    log_in(client, "vh.cainhum")
    page = client.post(
        "/van-hoa/dia-chi-tin/29641", data={"csrf_token": form_csrf(client, "/")}
    ).data.decode()
    url = re.search(r"(/loa/don-vi/29641/feed\.atom\?token=doc_[\w-]+)", page)
    assert url and client.get(url.group(1)).status_code == 200
    with db.read() as s:
        actor = s.scalar(select(AuditEvent.actor).where(AuditEvent.action == "feed_token.created"))
    assert actor == "user vh.cainhum"
    assert url.group(1) not in client.get("/").data.decode()  # shown once
    other = client.post("/van-hoa/dia-chi-tin/29821", data={"csrf_token": form_csrf(client, "/")})
    assert other.status_code == 404


def test_other_roles_do_not_reach_the_culture_routes(client: FlaskClient) -> None:
    log_in(client, "bien.tap")
    assert client.get("/van-hoa/to-in/29641/2026-12-03").status_code == 404


@pytest.mark.parametrize("payload", PAYLOADS)
def test_unit_names_titles_and_receipt_names_are_escaped(
    client: FlaskClient,
    db: Database,
    clock: FixedClock,
    thursday_morning_sent: None,
    payload: str,
) -> None:
    clock.set(AFTER_MORNING)
    with db.session() as s:
        s.execute(update(Unit).where(Unit.code == "29641").values(name=payload))
        s.execute(update(Publication).where(Publication.unit_code == "29641").values(title=payload))
        add_user(
            s, NewUser("vh.xss", payload, "culture", units=("29641",)), PASSWORD, "t", APPLIED_AT
        )
    log_in(client, "vh.xss")
    client.post(
        "/xac-nhan", data={"publication": _morning(db), "csrf_token": form_csrf(client, "/")}
    )
    page = client.get("/").data.decode()
    assert payload not in page and "<img src=x" not in page and "<script>alert" not in page
    assert "&lt;" in page


def test_a_script_not_sent_yet_offers_no_receipt_button(client: FlaskClient) -> None:
    log_in(client, "vh.cainhum")  # 04:00: nothing of today has been sent
    page = client.get("/").data.decode()
    assert "Chưa phát hành" in page and 'name="publication"' not in page


def test_the_page_speaks_english_on_request(client: FlaskClient) -> None:
    log_in(client, "vh.cainhum")
    page = client.get("/?lang=en").data.decode()
    assert "Today" in page and "Print the day sheet" in page
