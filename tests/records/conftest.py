"""Fixtures for the report tests: the hand-computed data set and readers for each format."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bantin.core.db import Database
from bantin.records.reports import Context
from tests.records.report_data import NOW, TZ, build


@pytest.fixture
def report_db(db: Database) -> Database:
    build(db)
    return db


@pytest.fixture
def ctx_factory(report_db: Database) -> Any:
    """Run a report builder in a session: `make(builder, *args, lang=…)`."""

    def make(builder: Any, *args: Any, lang: str = "vi", **kw: Any) -> Any:
        with report_db.session() as s:
            return builder(Context(s, TZ, NOW, lang), *args, **kw)

    return make


def pdf_text(data: bytes) -> str:
    """Every page's text, NFC, with runs of whitespace made single spaces."""
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV for Excel starts with a UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def json_doc(data: bytes) -> dict[str, Any]:
    return json.loads(data.decode("utf-8"))


def xlsx_sheet(data: bytes, name: str) -> list[dict[str, Any]]:
    """A table sheet as dicts keyed by its header labels."""
    ws = load_workbook(io.BytesIO(data))[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def xlsx_cover(data: bytes) -> list[str]:
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]


@pytest.fixture
def audit_keys(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """An audit key in the environment (newest first), as a host that injects secrets has."""
    from bantin.core.audit import key as audit_key

    key = audit_key.new_key()
    monkeypatch.setenv(audit_key.KEY_ENV, key.decode())
    return audit_key.parse_keys([key.decode()], "test")
