"""The encrypted secret store: keys, encryption, rotation, and `secret:NAME` resolution."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bantin.channels.service import add_channel
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import AuditEvent, Secret
from bantin.records import alerts
from bantin.secrets import resolve as refs
from bantin.secrets import store as secretstore
from tests.conftest import T0

VALUE = "EAAB-page-token-Zq9x-bí-mật"


@pytest.fixture(autouse=True)
def key_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(secretstore.KEY_ENV, raising=False)
    path = secretstore.ensure_key_file(home)
    assert path is not None
    return path


@pytest.fixture(autouse=True)
def restore_resolver() -> Iterator[None]:
    previous = refs.install_store(None)
    yield
    refs.install_store(previous)


def store(db: Database, name: str = "FB", value: str = VALUE) -> str:
    with db.session() as s:
        return secretstore.set_secret(s, name, value, T0, actor="test")


def fetch(db: Database, name: str = "FB") -> str:
    with db.session() as s:
        return secretstore.get_secret(s, name)


def test_init_key_file_is_owner_only_and_holds_one_fernet_key(key_file: Path) -> None:
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    keys = key_file.read_text().split()
    assert len(keys) == 1
    Fernet(keys[0].encode())


def test_key_file_is_never_replaced(home: Path, key_file: Path) -> None:
    before = key_file.read_bytes()
    assert secretstore.ensure_key_file(home) is None
    assert key_file.read_bytes() == before


def test_no_key_file_is_made_when_the_key_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(secretstore.KEY_ENV, Fernet.generate_key().decode())
    assert secretstore.ensure_key_file(tmp_path / "other") is None
    assert not (tmp_path / "other" / "secret.key").exists()


def test_a_stored_value_reads_back(db: Database) -> None:
    assert store(db) == "added"
    assert fetch(db) == VALUE


def test_the_database_holds_ciphertext_only(db: Database) -> None:
    store(db)
    with db.session() as s:
        row = s.get_one(Secret, "FB")
    assert VALUE not in row.ciphertext
    assert Fernet(secretstore.load_keys()[0]).decrypt(row.ciphertext.encode()).decode() == VALUE


def test_setting_again_updates_the_value_and_keeps_the_creation_date(db: Database) -> None:
    store(db)
    with db.session() as s:
        what = secretstore.set_secret(s, "FB", "new-value", T0.replace(hour=5), actor="test")
        row = s.get_one(Secret, "FB")
        assert (what, row.created_at, row.updated_at) == ("updated", T0, T0.replace(hour=5))
    assert fetch(db) == "new-value"


def test_a_missing_secret_is_named(db: Database) -> None:
    with pytest.raises(secretstore.SecretNotFound, match="'NOPE' is not in the store"):
        fetch(db, "NOPE")


@pytest.mark.parametrize("name", ["", "-x", "a b", "x/y", "x" * 129])
def test_bad_names_are_refused(db: Database, name: str) -> None:
    with pytest.raises(secretstore.SecretStoreError, match="invalid secret name"):
        store(db, name)


def test_an_empty_value_is_refused(db: Database) -> None:
    with pytest.raises(secretstore.SecretStoreError, match="empty"):
        store(db, "FB", "")


def test_a_key_file_others_can_read_is_refused(db: Database, key_file: Path) -> None:
    store(db)
    key_file.chmod(0o640)
    with pytest.raises(secretstore.SecretStoreError, match="chmod 600") as info:
        fetch(db)
    assert key_file.read_text().strip() not in str(info.value)


def test_without_any_key_the_error_says_how_to_get_one(
    db: Database, key_file: Path, home: Path
) -> None:
    key_file.unlink()
    with pytest.raises(
        secretstore.SecretStoreError, match="BANTIN_SECRET_KEY or run `bantin init`"
    ):
        store(db)


def test_environment_keys_newest_first_still_read_older_secrets(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv(secretstore.KEY_ENV, old)
    store(db)
    monkeypatch.setenv(secretstore.KEY_ENV, f"{new}, {old}")
    assert fetch(db) == VALUE
    store(db, "NEW", "v2-value")
    with db.session() as s:
        token = s.get_one(Secret, "NEW").ciphertext
    assert Fernet(new).decrypt(token.encode()) == b"v2-value"


def test_a_malformed_environment_key_is_refused_without_echoing_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(secretstore.KEY_ENV, "not-a-key-ABCDEFG")
    with pytest.raises(secretstore.SecretStoreError, match="key #1 in BANTIN_SECRET_KEY") as info:
        store(db)
    assert "ABCDEFG" not in str(info.value)


def test_a_secret_under_an_unknown_key_says_so_without_the_value(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(db)
    monkeypatch.setenv(secretstore.KEY_ENV, Fernet.generate_key().decode())
    with pytest.raises(secretstore.SecretStoreError, match="cannot be decrypted") as info:
        fetch(db)
    assert VALUE not in str(info.value)


def test_delete_removes_and_a_second_delete_is_an_error(db: Database) -> None:
    store(db)
    with db.session() as s:
        secretstore.delete_secret(s, "FB", T0, actor="test")
    with pytest.raises(secretstore.SecretNotFound), db.session() as s:
        secretstore.delete_secret(s, "FB", T0, actor="test")


def test_list_names_is_sorted(db: Database) -> None:
    for name in ("b", "A", "c"):
        store(db, name)
    with db.session() as s:
        assert [r.name for r in secretstore.list_names(s)] == ["A", "b", "c"]


def test_audit_events_name_the_secret_and_the_actor_never_the_value(db: Database) -> None:
    store(db)
    store(db)
    with db.session() as s:
        secretstore.delete_secret(s, "FB", T0, actor="test")
        events = s.execute(select(AuditEvent).where(AuditEvent.entity == "secret")).scalars()
        seen = [(e.action, e.entity_id, e.actor, e.data) for e in events]
    assert seen == [
        ("secret.added", "FB", "test", {"name": "FB"}),
        ("secret.updated", "FB", "test", {"name": "FB"}),
        ("secret.deleted", "FB", "test", {"name": "FB"}),
    ]


def test_rotation_re_encrypts_every_row_under_the_new_key_only(
    db: Database, home: Path, key_file: Path
) -> None:
    store(db, "A", "alpha-value")
    store(db, "B", "beta-value")
    old_key = key_file.read_text().strip()
    with secretstore.key_file_rotation(home) as new_key, db.session() as s:
        assert secretstore.rotate(s, new_key, now=T0, actor="test") == 2
    assert key_file.read_text().split() == [new_key.decode()]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (home / "secret.key.old").exists()
    with db.session() as s:
        tokens = {r.name: r.ciphertext for r in secretstore.list_names(s)}
    assert Fernet(new_key).decrypt(tokens["A"].encode()) == b"alpha-value"
    assert fetch(db, "B") == "beta-value"
    assert old_key not in key_file.read_text()


def test_during_rotation_the_key_file_holds_both_keys_and_the_old_copy(
    db: Database, home: Path, key_file: Path
) -> None:
    store(db)
    old_key = key_file.read_text().strip()
    with secretstore.key_file_rotation(home) as new_key:
        assert key_file.read_text().split() == [new_key.decode(), old_key]
        assert (home / "secret.key.old").read_text().strip() == old_key
        assert stat.S_IMODE((home / "secret.key.old").stat().st_mode) == 0o600
        assert fetch(db) == VALUE  # another process reading now still succeeds


def test_a_failed_rotation_puts_the_old_key_file_back(
    db: Database, home: Path, key_file: Path
) -> None:
    store(db)
    before = key_file.read_bytes()
    with (
        pytest.raises(RuntimeError),
        secretstore.key_file_rotation(home) as new_key,
        db.session() as s,
    ):
        secretstore.rotate(s, new_key)
        raise RuntimeError("disk full")
    assert key_file.read_bytes() == before
    assert not (home / "secret.key.old").exists()
    assert fetch(db) == VALUE


def test_secret_references_resolve_through_the_installed_store(db: Database, home: Path) -> None:
    store(db)
    secretstore.install(db, home)
    assert refs.resolve("secret:FB") == VALUE


def test_an_explicit_lookup_wins_over_the_installed_store(db: Database) -> None:
    assert refs.resolve("secret:X", lambda name: f"from-{name}-lookup") == "from-X-lookup"


def test_without_a_store_a_secret_reference_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="no secret store set up"):
        refs.resolve("secret:FB")


def test_resolved_values_are_scrubbed_from_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUB_ME", "tok-123456789")
    refs.resolve("env:SCRUB_ME")
    assert refs.scrub("server said tok-123456789!") == "server said ***!"


def test_used_by_finds_channels_and_notify_urls(db: Database, home: Path) -> None:
    with db.session() as s:
        add_channel(s, "hook", "webhook+https://x.vn/a?secret=secret:FB", "BAOVL", T0, "t")
        add_channel(s, "other", "webhook+https://x.vn/a?secret=secret:FB2", "BAOVL", T0, "t")
        alerts.set_notify_url(s, "SKHCN", "webhook+https://o.vn/?secret=secret:FB", T0, "t")
        assert secretstore.used_by(s, "FB") == ["agency SKHCN notify", "channel hook"]


def test_key_file_is_created_without_a_readable_moment(home: Path, key_file: Path) -> None:
    # Created 0600 by os.open itself, never chmod-ed afterwards: check the temp is gone too.
    assert [p.name for p in home.iterdir() if p.name.startswith(".secret")] == []
    assert os.stat(key_file).st_uid == os.getuid()
