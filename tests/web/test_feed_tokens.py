"""Per-unit feed tokens (issue 10, item 3): every /loa read of a unit needs a live token
of that unit (or group); without one, with a revoked one or another unit's, it is a 404
that says no more than an unknown unit does."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bantin.core.db import Database
from bantin.core.feed_token_models import FeedToken
from bantin.records import feed_tokens
from tests.conftest import Cli
from tests.web.conftest import APPLIED_AT, GROUP_READ, NOW, UNIT_READ

UNIT = "/loa/don-vi/29641"
OTHER = "/loa/don-vi/29821"
GROUP = "/loa/nhom/thi-diem"


def _urls(base: str) -> list[str]:
    return [f"{base}/feed.atom", f"{base}/2026-12-03.html", f"{base}/am-thanh/x.mp3"]


@pytest.mark.parametrize("url", _urls(UNIT) + _urls(GROUP))
def test_without_a_token_every_loa_read_is_404(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404
    assert client.get(url + "?token=doc_not-a-token").status_code == 404


@pytest.mark.parametrize("url", _urls(OTHER) + _urls(GROUP))
def test_another_units_token_opens_nothing_else(
    client: FlaskClient, feed_readers: None, url: str
) -> None:
    assert client.get(f"{url}?token={UNIT_READ}").status_code == 404


def test_the_units_token_opens_its_feed_and_sheet(client: FlaskClient, feed_readers: None) -> None:
    assert client.get(f"{UNIT}/feed.atom?token={UNIT_READ}").status_code == 200
    assert client.get(f"{UNIT}/2026-12-03.html?token={UNIT_READ}").status_code == 200
    assert client.get(f"{GROUP}/feed.atom?token={GROUP_READ}").status_code == 200


def test_links_in_the_feed_carry_the_token(client: FlaskClient, feed_readers: None) -> None:
    doc = feedparser.parse(client.get(f"{UNIT}/feed.atom?token={UNIT_READ}").data)
    hrefs = [link.href for e in doc.entries for link in e.links] + [doc.feed.link]
    assert hrefs and all(f"token={UNIT_READ}" in h for h in hrefs)


def test_a_revoked_token_is_404_at_once(client: FlaskClient, db: Database) -> None:
    with db.session() as s:
        row, token = feed_tokens.create_token(s, "don-vi", "29641", "loa", "test", NOW)
    assert client.get(f"{UNIT}/feed.atom?token={token}").status_code == 200
    with db.session() as s:
        feed_tokens.revoke_token(s, row.id, "test", NOW)
    assert client.get(f"{UNIT}/feed.atom?token={token}").status_code == 404


def test_recording_needs_the_token_of_a_unit_whose_bulletin_it_is(
    client: FlaskClient, feed_readers: None, home: Path
) -> None:
    doc = feedparser.parse(client.get(f"{UNIT}/feed.atom?token={UNIT_READ}&days=0").data)
    key = doc.entries[0].id.removeprefix("urn:bantin:pub:")
    (home / "audio").mkdir()
    (home / "audio" / f"{key}.mp3").write_bytes(b"ID3" + b"\0" * 97)
    assert client.get(f"{UNIT}/am-thanh/{key}.mp3?token={UNIT_READ}").data.startswith(b"ID3")
    assert client.get(f"{UNIT}/am-thanh/{key}.mp3").status_code == 404
    (home / "audio" / "abc.mp3").write_bytes(b"ID3")  # not a bulletin of 29641
    assert client.get(f"{UNIT}/am-thanh/abc.mp3?token={UNIT_READ}").status_code == 404


def test_last_use_is_noted_but_not_on_every_poll(
    client: FlaskClient, db: Database, feed_readers: None
) -> None:
    client.get(f"{UNIT}/feed.atom?token={UNIT_READ}")
    with db.read() as s:
        used = s.scalars(select(FeedToken.last_used_at).where(FeedToken.audience_key == "29641"))
        assert list(used) == [NOW]
    with db.session() as s:
        reader = feed_tokens.authenticate(s, UNIT_READ, NOW + timedelta(minutes=1))
        assert reader is not None and reader.opens("don-vi", "29641")
    with db.read() as s:
        row = s.scalars(select(FeedToken).where(FeedToken.audience_key == "29641")).one()
        assert row.last_used_at == NOW


def test_cli_creates_lists_and_revokes_a_units_token(run_cli: Cli, db: Database) -> None:
    made = json.loads(run_cli("feeds", "token", "create", "29641", "--json").output)
    assert made["token"].startswith("doc_") and made["feed_url"].endswith(made["token"])
    listed = json.loads(run_cli("feeds", "token", "list", "29641", "--json").output)
    assert [r["id"] for r in listed] == [made["id"]] and "token" not in listed[0]
    run_cli("feeds", "token", "revoke", "29641", "--id", str(made["id"]))
    assert json.loads(run_cli("feeds", "token", "list", "29641", "--json").output) == []
    with db.read() as s:
        assert s.scalar(select(FeedToken.token_hash)) == feed_tokens.token_hash(made["token"])


def test_cli_refuses_an_unknown_unit_in_one_sentence(run_cli: Cli) -> None:
    result = run_cli("feeds", "token", "create", "99999")
    assert result.exit_code != 0
    assert "no unit with code 99999" in result.output and "Traceback" not in result.output


def test_tokens_are_never_stored_in_clear(db: Database) -> None:
    with db.session() as s:
        _, token = feed_tokens.create_token(s, "nhom", "thi-diem", "tram", "test", APPLIED_AT)
    with db.read() as s:
        assert token not in str(s.scalars(select(FeedToken.token_hash)).all())
