"""The auditor's dashboard: every piece present, read-only, escaped, only for the auditor
and the admin, and a handful of statements whatever the size of the data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, update

from bantin.core.db import Database
from bantin.core.models import Alert, Unit
from tests.web.desk_support import add_people, log_in

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.fixture(autouse=True)
def people(db: Database) -> None:
    add_people(db)


def test_the_dashboard_has_every_piece(client: FlaskClient) -> None:
    log_in(client, "kiem.tra")
    page = client.get("/").data.decode()
    for heading in (
        "Tiến độ kế hoạch theo nhiệm vụ",
        "Mức phủ sóng theo xã, phường",
        "Sản phẩm theo cơ quan và tháng",
        "Hạn nộp báo cáo năm",
        "Cảnh báo đang mở",
        "Chuỗi nhật ký kiểm tra",
    ):
        assert heading in page
    assert "<svg" in page and "<script" not in page
    assert page.count('<th scope="row">') == 124  # every commune of the province
    assert "bantin audit verify" in page and "chưa có đầu chuỗi đã ký" in page
    assert 'href="/bao-cao/annual-2026.pdf?agency=BAOVL"' in page


def test_heat_cells_carry_their_numbers_not_colour_alone(client: FlaskClient) -> None:
    log_in(client, "kiem.tra")
    page = client.get("/").data.decode()
    assert '<td class="h0">0/1<br>0%</td>' in page  # sent, not yet confirmed


def test_communes_are_in_vietnamese_order(client: FlaskClient) -> None:
    log_in(client, "kiem.tra")
    page = client.get("/").data.decode()
    import re

    from bantin.content.collation import sort_key

    names = re.findall(r'<th scope="row">([^<]+)</th>', page)
    assert names == sorted(names, key=sort_key)


def test_editors_and_culture_staff_do_not_get_the_dashboard(client: FlaskClient) -> None:
    log_in(client, "bien.tap")
    assert "Mức phủ sóng theo xã, phường" not in client.get("/").data.decode()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_unit_names_and_alert_texts_are_escaped(
    client: FlaskClient, db: Database, payload: str
) -> None:
    with db.session() as s:
        s.execute(update(Unit).where(Unit.code == "29641").values(name=payload))
        s.add(
            Alert(
                at=datetime(2026, 12, 2, 20, tzinfo=UTC),
                agency_code="BAOVL",
                kind=payload,
                message=payload,
            )
        )
    log_in(client, "kiem.tra")
    page = client.get("/").data.decode()
    assert payload not in page and "&lt;" in page


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_the_dashboard_costs_a_few_statements(client: FlaskClient, statements: list[str]) -> None:
    log_in(client, "kiem.tra")
    statements.clear()
    assert client.get("/").status_code == 200
    assert len(statements) < 30, statements


def test_the_dashboard_speaks_english_on_request(client: FlaskClient) -> None:
    log_in(client, "kiem.tra")
    page = client.get("/?lang=en").data.decode()
    assert "Coverage per commune" in page and "Plan progress per task" in page
