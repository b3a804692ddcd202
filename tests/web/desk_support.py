"""Accounts for the desk tests: people of two agencies, culture staff of two communes,
the auditor, an API token per agency; and a browser-like login with the form's CSRF."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from bantin.accounts import api_tokens
from bantin.accounts.users import NewUser, add_user
from bantin.core.db import Database
from tests.web.conftest import APPLIED_AT

PASSWORD = "mat-khau-dai-1"
PEOPLE = [
    NewUser("bien.tap", "Nguyễn Biên Tập", "editor", agency="BAOVL"),
    NewUser("duyet.bai", "Trần Duyệt", "approver", agency="BAOVL"),
    NewUser("khac.coquan", "Lê Cơ Quan Khác", "editor", agency="SKHCN"),
    NewUser("vh.cainhum", "Phạm Văn Hóa", "culture", units=("29641",)),
    NewUser("vh.traon", "Võ Xã Khác", "culture", units=("29821",)),
    NewUser("kiem.tra", "Đỗ Kiểm Tra", "auditor"),
]


def add_people(db: Database) -> None:
    with db.session() as s:
        for person in PEOPLE:
            add_user(s, person, PASSWORD, "test", APPLIED_AT)


def api_token(db: Database, agency: str, scopes: tuple[str, ...] = ("read",)) -> str:
    with db.session() as s:
        _, text = api_tokens.create(s, agency, "test", list(scopes), "test", APPLIED_AT)
    return text


def form_csrf(client: FlaskClient, url: str = "/dang-nhap") -> str:
    html = client.get(url).data.decode()
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def log_in(client: FlaskClient, username: str, password: str = PASSWORD) -> int:
    token = form_csrf(client)
    resp = client.post(
        "/dang-nhap",
        data={"username": username, "password": password, "csrf_token": token},
    )
    return resp.status_code
