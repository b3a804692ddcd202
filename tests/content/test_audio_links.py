"""Signed recording URLs: keyed by the audit key (old keys still verify after a
rotation), or by a key file of their own when there is no audit key."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bantin.content import audio_links
from bantin.core.audit import key as audit_key

NOW = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)
NAME = "abc123.mp3"


def _parts(url: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(url).query)
    return query["exp"][0], query["sig"][0]


def test_a_url_signed_before_a_rotation_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = audit_key.new_key().decode(), audit_key.new_key().decode()
    monkeypatch.setenv(audit_key.KEY_ENV, old)
    exp, sig = _parts(audio_links.signed_url("https://x/loa/am-thanh", NAME, tmp_path, NOW))
    monkeypatch.setenv(audit_key.KEY_ENV, f"{new},{old}")
    assert audio_links.valid(NAME, exp, sig, tmp_path, NOW)
    monkeypatch.setenv(audit_key.KEY_ENV, new)  # the old key dropped: the link is dead
    assert not audio_links.valid(NAME, exp, sig, tmp_path, NOW)


def test_without_an_audit_key_a_private_key_file_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(audit_key.KEY_ENV, raising=False)
    url = audio_links.signed_url("https://x/loa/am-thanh", NAME, tmp_path, NOW)
    key_file = tmp_path / audio_links.FALLBACK_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert audio_links.valid(NAME, *_parts(url), tmp_path, NOW)


def test_an_unreadable_audit_key_refuses_every_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken key makes the route answer 404, never a 500 or an unchecked file."""
    monkeypatch.setenv(audit_key.KEY_ENV, audit_key.new_key().decode())
    exp, sig = _parts(audio_links.signed_url("https://x/loa/am-thanh", NAME, tmp_path, NOW))
    monkeypatch.setenv(audit_key.KEY_ENV, "not-a-key")
    assert not audio_links.valid(NAME, exp, sig, tmp_path, NOW)
