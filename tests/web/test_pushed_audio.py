"""The recording URL handed to push vendors (`/loa/am-thanh/<key>.<ext>`) works only
with the signature and expiry the dispatcher put on it at send time: the key alone is
derived from the schedule and could be guessed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from bantin.content import audio_links
from bantin.core.clock import FixedClock

NAME = "0123456789abcdef0123456789abcdef.mp3"


@pytest.fixture
def recording(home: Path) -> str:
    (home / "audio").mkdir(exist_ok=True)
    (home / "audio" / NAME).write_bytes(b"ID3 recording")
    return NAME


def _signed(home: Path, clock: FixedClock, name: str = NAME) -> str:
    url = audio_links.signed_url("https://loa.example/loa/am-thanh", name, home, clock.now())
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_signed_url_serves_the_recording(
    client: FlaskClient, home: Path, clock: FixedClock, recording: str
) -> None:
    resp = client.get(_signed(home, clock))
    assert resp.status_code == 200 and resp.data == b"ID3 recording"


def test_the_bare_key_is_404(client: FlaskClient, recording: str) -> None:
    assert client.get(f"/loa/am-thanh/{NAME}").status_code == 404


def test_an_expired_signature_is_404(
    client: FlaskClient, home: Path, clock: FixedClock, recording: str
) -> None:
    url = _signed(home, clock)
    clock.advance(hours=audio_links.LIFETIME.total_seconds() / 3600 + 1)
    assert client.get(url).status_code == 404


def test_a_signature_of_another_file_is_404(
    client: FlaskClient, home: Path, clock: FixedClock, recording: str
) -> None:
    other = _signed(home, clock, "ffff456789abcdef0123456789abcdef.mp3")
    query = other.split("?", 1)[1]
    assert client.get(f"/loa/am-thanh/{NAME}?{query}").status_code == 404


def test_a_stretched_expiry_is_404(
    client: FlaskClient, home: Path, clock: FixedClock, recording: str
) -> None:
    url = _signed(home, clock)
    later = int((clock.now() + timedelta(days=365)).timestamp())
    stretched = url.replace("exp=", f"exp={later}&old=")
    assert client.get(stretched).status_code == 404
