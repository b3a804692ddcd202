"""Logging into the desk: sessions, CSRF, throttling, no user enumeration, audit."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bantin.accounts import throttle
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import AuditEvent
from tests.web.desk_support import PASSWORD, add_people, form_csrf, log_in


@pytest.fixture(autouse=True)
def people(db: Database) -> None:
    add_people(db)


def test_anonymous_home_goes_to_the_vietnamese_login_page(client: FlaskClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 302 and "/dang-nhap" in resp.headers["Location"]
    page = client.get("/dang-nhap").data.decode()
    assert '<html lang="vi">' in page and "Mật khẩu" in page


def test_english_on_request(client: FlaskClient) -> None:
    page = client.get("/dang-nhap?lang=en").data.decode()
    assert '<html lang="en">' in page and "Password" in page
    assert "Password" in client.get("/dang-nhap").data.decode()  # remembered


def test_a_right_password_opens_the_home_page(client: FlaskClient) -> None:
    assert log_in(client, "bien.tap") == 302
    page = client.get("/").data.decode()
    assert "Nguyễn Biên Tập" in page and "Biên tập viên" in page


def test_the_session_cookie_is_httponly_and_lax(client: FlaskClient) -> None:
    token = form_csrf(client)
    resp = client.post(
        "/dang-nhap", data={"username": "bien.tap", "password": PASSWORD, "csrf_token": token}
    )
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_behind_https(settings, db, clock) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from bantin.web import create_app

    app = create_app(
        dataclasses.replace(settings, public_url="https://desk.example"), clock=clock, db=db
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_a_login_without_the_csrf_token_is_refused(client: FlaskClient) -> None:
    resp = client.post("/dang-nhap", data={"username": "bien.tap", "password": PASSWORD})
    assert resp.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_needs_csrf_and_ends_the_session(client: FlaskClient) -> None:
    log_in(client, "bien.tap")
    assert client.post("/dang-xuat").status_code == 400
    token = form_csrf(client, "/")
    assert client.post("/dang-xuat", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_unknown_user_and_wrong_password_get_the_same_answer(client: FlaskClient) -> None:
    token = form_csrf(client)
    wrong = client.post(
        "/dang-nhap", data={"username": "bien.tap", "password": "sai-roi-1234", "csrf_token": token}
    )
    unknown = client.post(
        "/dang-nhap", data={"username": "khong.co", "password": "sai-roi-1234", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda b: b.replace(b"khong.co", b"").replace(b"bien.tap", b"")  # noqa: E731
    import re

    nonce = re.compile(rb'nonce="[^"]+"|value="[^"]+"')
    assert nonce.sub(b"", strip(wrong.data)) == nonce.sub(b"", strip(unknown.data))


def test_five_failures_lock_the_account_even_with_the_right_password(
    client: FlaskClient, clock: FixedClock
) -> None:
    for _ in range(throttle.PER_ACCOUNT):
        assert log_in(client, "bien.tap", "sai-roi-1234") == 401
    assert log_in(client, "bien.tap") == 401
    clock.advance(seconds=throttle.WINDOW.total_seconds() + 1)
    assert log_in(client, "bien.tap") == 302


def test_an_unknown_name_locks_like_a_real_one(client: FlaskClient, db: Database) -> None:
    from bantin.core.account_models import LoginFailure

    for _ in range(throttle.PER_ACCOUNT):
        log_in(client, "khong.co", "sai-roi-1234")
    with db.read() as s:
        keys = set(s.scalars(select(LoginFailure.key)))
    assert "user:khong.co" in keys


def test_many_names_from_one_address_lock_the_address(client: FlaskClient) -> None:
    for i in range(throttle.PER_ADDRESS):
        log_in(client, f"ten{i}", "sai-roi-1234")
    assert log_in(client, "bien.tap") == 401


def test_a_disabled_user_is_logged_out_at_once(
    client: FlaskClient, db: Database, clock: FixedClock
) -> None:
    from bantin.accounts.users import disable_user

    log_in(client, "bien.tap")
    with db.session() as s:
        disable_user(s, "bien.tap", "test", clock.now())
    assert client.get("/").status_code == 302


def test_a_login_is_an_audit_event_naming_the_user(client: FlaskClient, db: Database) -> None:
    log_in(client, "bien.tap")
    with db.read() as s:
        actors = set(s.scalars(select(AuditEvent.actor).where(AuditEvent.action == "user.login")))
    assert actors == {"user bien.tap"}


def test_next_never_leaves_the_site(client: FlaskClient) -> None:
    token = form_csrf(client)
    resp = client.post(
        "/dang-nhap?next=//evil.example/x",
        data={"username": "bien.tap", "password": PASSWORD, "csrf_token": token},
    )
    assert resp.headers["Location"] == "/"


def test_culture_staff_confirm_todays_script_with_one_tap(
    app: Flask, client: FlaskClient, db: Database, clock: FixedClock, thursday_morning_sent: None
) -> None:
    from bantin.core.models import BroadcastReceipt

    clock.advance(hours=2)  # 06:00, after the 05:30 bulletin

    log_in(client, "vh.cainhum")
    page = client.get("/").data.decode()
    assert "Đã phát lúc 06:00" in page and "Xã Cái Nhum" in page
    import re

    first = re.search(r'name="publication" value="(\d+)"', page)
    assert first
    token = form_csrf(client, "/")
    resp = client.post("/xac-nhan", data={"publication": first.group(1), "csrf_token": token})
    assert resp.status_code == 302
    assert "Đã ghi nhận" in client.get("/").data.decode()
    with db.read() as s:
        receipt = s.scalars(select(BroadcastReceipt)).one()
        actor = s.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "broadcast.confirmed")
        ).all()
    assert receipt.reported_by == "Phạm Văn Hóa" and receipt.source == "web"
    assert receipt.unit_code == "29641"
    assert "user vh.cainhum" in actor
