"""Security headers on every answer, and links that never come from the request's Host.

Every route of the app's URL map is requested (a route added later without a sample here
fails the coverage test), including answers that are errors."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.web import create_app
from tests.web.conftest import UNIT_READ

T = f"token={UNIT_READ}"

SAMPLES: dict[str, list[tuple[str, str]]] = {
    "/loa/<any('don-vi', 'nhom'):kind>/<key>/lich.ics": [
        ("GET", f"/loa/don-vi/29641/lich.ics?{T}"),
        ("GET", "/loa/nhom/khong-co/lich.ics"),
    ],
    "/loa/<any('don-vi', 'nhom'):kind>/<key>/feed.atom": [
        ("GET", f"/loa/don-vi/29641/feed.atom?{T}"),
        ("GET", "/loa/nhom/khong-co/feed.atom"),
    ],
    "/loa/<any('don-vi', 'nhom'):kind>/<key>/<day>.html": [
        ("GET", "/loa/nhom/thi-diem/2026-12-03.html"),
        ("GET", f"/loa/don-vi/29641/2026-13-40.html?{T}"),
    ],
    "/loa/<any('don-vi', 'nhom'):kind>/<key>/am-thanh/<filename>": [
        ("GET", f"/loa/don-vi/29641/am-thanh/abc.mp3?{T}")
    ],
    "/loa/am-thanh/<path:filename>": [("GET", "/loa/am-thanh/abc.mp3")],
    "/loa/receipts": [("POST", "/loa/receipts")],
    "/metrics": [("GET", "/metrics")],
    "/static/<path:filename>": [("GET", "/static/none.css")],
    "/loa/receipts/form": [("GET", "/loa/receipts/form"), ("GET", "/loa/receipts/form?token=x")],
    "/dang-nhap": [("GET", "/dang-nhap"), ("POST", "/dang-nhap")],
    "/dang-xuat": [("POST", "/dang-xuat")],
    "/": [("GET", "/")],
    "/xac-nhan": [("POST", "/xac-nhan")],
    "/van-hoa/am-thanh/<int:pub_id>": [("GET", "/van-hoa/am-thanh/1")],
    "/van-hoa/to-in/<unit>/<day>": [("GET", "/van-hoa/to-in/29641/2026-12-03")],
    "/van-hoa/dia-chi-tin/<unit>": [("POST", "/van-hoa/dia-chi-tin/29641")],
    "/kenh": [("GET", "/kenh")],
    "/kenh/<name>/thu": [("POST", "/kenh/baovl-fanpage/thu")],
    "/canh-bao": [("GET", "/canh-bao")],
    "/canh-bao/<int:alert_id>/xu-ly": [("POST", "/canh-bao/1/xu-ly")],
    "/bao-cao/<kind>-<int:year>.<fmt>": [("GET", "/bao-cao/progress-2026.json")],
    "/healthz": [("GET", "/healthz")],
    "/lich": [("GET", "/lich")],
    "/lich/dang-ky": [("POST", "/lich/dang-ky")],
    "/lich/<token>.ics": [("GET", "/lich/bantin_x.ics")],
    "/bai/<int:pub_id>": [("GET", "/bai/1")],
    "/bai/<int:pub_id>/am-thanh": [("GET", "/bai/1/am-thanh")],
    "/api/v1/openapi.json": [("GET", "/api/v1/openapi.json")],
    "/api/v1/schedule": [("GET", "/api/v1/schedule")],
    "/api/v1/publications": [("GET", "/api/v1/publications")],
    "/api/v1/publications/<int:pub_id>": [("GET", "/api/v1/publications/1")],
    "/api/v1/records/summary": [("GET", "/api/v1/records/summary")],
    "/api/v1/campaigns": [("GET", "/api/v1/campaigns")],
    "/api/v1/campaigns/validate": [("POST", "/api/v1/campaigns/validate")],
    "/api/v1/campaigns/apply": [("POST", "/api/v1/campaigns/apply")],
    "/api/v1/receipts": [("POST", "/api/v1/receipts")],
    "/api/v1/reports/<kind>": [("GET", "/api/v1/reports/output")],
    "/soan-bai": [("GET", "/soan-bai"), ("POST", "/soan-bai")],
    "/soan-bai/xem-truoc": [("POST", "/soan-bai/xem-truoc")],
    "/chien-dich": [("GET", "/chien-dich")],
    "/chien-dich/tai-len": [("GET", "/chien-dich/tai-len"), ("POST", "/chien-dich/tai-len")],
    "/chien-dich/<campaign_id>": [("GET", "/chien-dich/loa-cds")],
    "/chien-dich/<campaign_id>/sua": [("GET", "/chien-dich/loa-cds/sua")],
    "/chien-dich/<campaign_id>/trang-thai": [("POST", "/chien-dich/loa-cds/trang-thai")],
    "/duyet": [("GET", "/duyet")],
    "/duyet/<int:pub_id>/duyet": [("POST", "/duyet/1/duyet")],
    "/duyet/<int:pub_id>/sua": [("GET", "/duyet/1/sua"), ("POST", "/duyet/1/sua")],
    "/duyet/<int:pub_id>/tu-choi": [("POST", "/duyet/1/tu-choi")],
}
ALL = [sample for samples in SAMPLES.values() for sample in samples] + [("GET", "/khong-co")]
EVIL = "evil.example"


@pytest.fixture(autouse=True)
def _readers(feed_readers: None) -> None:
    """The /loa reads here use the live feed token of unit 29641."""


def test_every_route_has_a_sample(app: Flask) -> None:
    assert {r.rule for r in app.url_map.iter_rules()} == set(SAMPLES)


@pytest.mark.parametrize(("method", "url"), ALL)
def test_every_answer_carries_the_security_headers(
    client: FlaskClient, method: str, url: str
) -> None:
    resp = client.open(url, method=method)
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_the_sheets_inline_style_is_allowed_by_a_fresh_nonce(client: FlaskClient) -> None:
    nonces = []
    for _ in range(2):
        resp = client.get(f"/loa/don-vi/29641/2026-12-03.html?{T}")
        (nonce,) = re.findall(r"'nonce-([^']+)'", resp.headers["Content-Security-Policy"])
        assert f'<style nonce="{nonce}">' in resp.data.decode()
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.fixture
def public_app(settings: Settings, db: Database, clock: FixedClock) -> Flask:
    configured = dataclasses.replace(settings, public_url="https://loa.vinhlong.example/")
    return create_app(configured, clock=clock, db=db)


def _with_audio(home: Path, client: FlaskClient) -> bytes:
    first = client.get(f"/loa/don-vi/29641/feed.atom?{T}&days=0", headers={"Host": EVIL}).data
    key = re.search(rb"urn:bantin:pub:([0-9a-f]+)", first)
    assert key is not None
    (home / "audio").mkdir(exist_ok=True)
    (home / "audio" / f"{key.group(1).decode()}.mp3").write_bytes(b"ID3")
    return client.get(f"/loa/don-vi/29641/feed.atom?{T}&days=0", headers={"Host": EVIL}).data


def test_feed_links_use_the_configured_public_url_not_the_host_header(
    public_app: Flask, home: Path
) -> None:
    body = _with_audio(home, public_app.test_client())
    hrefs = re.findall(rb'href="([^"]+)"', body)
    assert hrefs and EVIL.encode() not in body
    assert all(h.startswith(b"https://loa.vinhlong.example/loa/") for h in hrefs)
    assert (
        f'href="https://loa.vinhlong.example/loa/don-vi/29641/feed.atom?{T}&amp;days=0"'.encode()
        in body
    )
    assert any(b"/loa/don-vi/29641/am-thanh/" in h for h in hrefs)


def test_without_a_public_url_feed_links_are_relative(client: FlaskClient, home: Path) -> None:
    body = _with_audio(home, client)
    hrefs = re.findall(rb'href="([^"]+)"', body)
    assert hrefs and EVIL.encode() not in body and b"localhost" not in body
    assert all(h.startswith(b"/loa/") for h in hrefs)


def test_sheet_links_ignore_the_host_header(public_app: Flask, client: FlaskClient) -> None:
    url = f"/loa/don-vi/29641/2026-12-03.html?{T}"
    configured = public_app.test_client().get(url, headers={"Host": EVIL}).data.decode()
    assert f'href="https://loa.vinhlong.example/loa/don-vi/29641/feed.atom?{T}"' in configured
    relative = client.get(url, headers={"Host": EVIL}).data.decode()
    assert EVIL not in relative and f'href="/loa/don-vi/29641/feed.atom?{T}"' in relative


def test_the_feed_self_link_repeats_only_known_parameters(public_app: Flask) -> None:
    body = public_app.test_client().get(f"/loa/don-vi/29641/feed.atom?{T}&x=%3Cevil%3E").data
    assert b"evil" not in body
    assert f'href="https://loa.vinhlong.example/loa/don-vi/29641/feed.atom?{T}"'.encode() in body


@pytest.mark.parametrize("bad", ["javascript:alert(1)//", "loa.example.vn", "ftp://x.example"])
def test_a_public_url_that_is_not_http_is_not_used_for_links(
    settings: Settings, db: Database, clock: FixedClock, bad: str
) -> None:
    app = create_app(dataclasses.replace(settings, public_url=bad), clock=clock, db=db)
    body = app.test_client().get(f"/loa/don-vi/29641/feed.atom?{T}").data
    hrefs = re.findall(rb'href="([^"]+)"', body)
    assert hrefs and all(h.startswith(b"/loa/") for h in hrefs)
