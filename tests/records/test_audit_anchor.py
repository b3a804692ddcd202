"""Anchoring the audit chain: a keyed MAC per event, so a rewritten chain no longer verifies.

The two attacks found in issue 8 (delete the newest rows and move the head back;
recompute the whole chain) are reproduced against the database with plain SQL/ORM
writes, as someone with write access to the database but not the key would do.
"""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bantin.core import audit
from bantin.core.audit import key as audit_key
from bantin.core.db import Database
from bantin.core.models import AuditEvent, AuditHead
from tests.conftest import T0, Cli


@pytest.fixture
def chain(audit_keys: list[bytes], db: Database) -> Database:
    """The plan's events from before anchoring (no MAC), then ten written with the key."""
    with db.session() as s:
        for i in range(10):
            audit.append(s, T0 + timedelta(seconds=i), "tester", "test.event", "thing", i, {"n": i})
    return db


def first_anchored(db: Database) -> int:
    with db.engine.connect() as c:
        return int(
            c.execute(text("SELECT min(seq) FROM audit_event WHERE mac IS NOT NULL")).scalar_one()
        )


def last_seq(db: Database) -> int:
    with db.engine.connect() as c:
        return int(c.execute(text("SELECT max(seq) FROM audit_event")).scalar_one())


def recompute_from(db: Database, start: int, *, strip_macs: bool = False) -> None:
    """What an attacker without the key does: fix every hash from `start`, and the head."""
    with db.session() as s:
        prev = s.get_one(AuditEvent, start - 1).hash if start > 1 else audit.GENESIS
        for ev in s.execute(
            select(AuditEvent).where(AuditEvent.seq >= start).order_by(AuditEvent.seq)
        ).scalars():
            ev.prev_hash = prev
            ev.hash = audit.event_hash(
                ev.seq, ev.at, ev.actor, ev.action, ev.entity, ev.entity_id, ev.data, prev
            )
            if strip_macs:
                ev.mac = None
            prev = ev.hash
        head = s.get_one(AuditHead, 1)
        head.hash = prev


def sql(db: Database, statement: str) -> None:
    with db.engine.connect() as c:
        c.exec_driver_sql(statement)
        c.commit()


def verify(db: Database, keys: list[bytes] | None) -> audit.VerifyResult:
    with db.session() as s:
        return audit.verify(s, keys)


def test_events_written_with_a_key_carry_a_mac_of_their_hash(
    chain: Database, audit_keys: list[bytes]
) -> None:
    with chain.session() as s:
        ev = s.get_one(AuditEvent, last_seq(chain))
        assert ev.mac == audit_key.mac(audit_keys[0], audit_key.event_message(ev.hash))


def test_events_from_before_anchoring_verify_as_unanchored(
    chain: Database, audit_keys: list[bytes]
) -> None:
    result = verify(chain, audit_keys)
    assert result.ok and result.macs_checked
    assert result.anchored_from == first_anchored(chain) > 1


def test_a_chain_recomputed_without_the_key_fails_at_the_first_rewritten_event(
    chain: Database, audit_keys: list[bytes]
) -> None:
    bad = first_anchored(chain) + 3
    sql(chain, f"UPDATE audit_event SET actor='someone else' WHERE seq={bad}")
    recompute_from(chain, bad)
    assert verify(chain, None).ok  # the hashes alone now agree: the old weakness
    result = verify(chain, audit_keys)
    assert (result.ok, result.first_bad_seq) == (False, bad)
    assert "MAC does not match the audit key" in (result.reason or "")


def test_the_whole_chain_recomputed_fails_at_the_first_anchored_event(
    chain: Database, audit_keys: list[bytes]
) -> None:
    sql(chain, "UPDATE audit_event SET actor='someone else' WHERE seq=1")
    recompute_from(chain, 1)
    result = verify(chain, audit_keys)
    assert (result.ok, result.first_bad_seq) == (False, first_anchored(chain))


def test_a_recomputed_chain_with_its_later_macs_removed_fails(
    chain: Database, audit_keys: list[bytes]
) -> None:
    bad = first_anchored(chain) + 2
    sql(chain, f"UPDATE audit_event SET data='{{\"n\": 99}}' WHERE seq={bad}")
    recompute_from(chain, bad, strip_macs=True)
    result = verify(chain, audit_keys)
    assert (result.ok, result.first_bad_seq) == (False, bad)
    assert "no MAC, although events are anchored" in (result.reason or "")


def test_an_old_key_still_verifies_after_rotation_but_not_alone(chain: Database) -> None:
    old = audit_key.parse_keys([os.environ[audit_key.KEY_ENV]], "env")
    new = audit_key.parse_keys([audit_key.new_key().decode()], "new")
    assert verify(chain, new + old).ok
    result = verify(chain, new)
    assert (result.ok, result.first_bad_seq) == (False, first_anchored(chain))


def test_without_a_key_the_result_says_macs_went_unchecked(chain: Database) -> None:
    result = verify(chain, None)
    assert result.ok and result.macs_unchecked and not result.macs_checked


def test_appends_without_a_key_are_unanchored(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(audit_key.KEY_ENV, raising=False)
    with db.session() as s:
        ev = audit.append(s, T0, "tester", "test.event", "thing", 1)
        assert ev.mac is None


def test_cli_names_the_first_bad_sequence_of_a_recomputed_chain(
    chain: Database, run_cli: Cli
) -> None:
    sql(chain, "UPDATE audit_event SET action='forged' WHERE seq=1")
    recompute_from(chain, 1)
    result = run_cli("audit", "verify")
    assert result.exit_code == 1
    assert f"broken at sequence {first_anchored(chain)}: MAC does not match" in result.stderr


def test_cli_reports_the_unanchored_prefix(chain: Database, run_cli: Cli) -> None:
    result = run_cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
    first = first_anchored(chain)
    assert f"unanchored before sequence {first}" in result.output
    assert f"every MAC from sequence {first} matches the audit key" in result.output


def test_cli_without_the_key_says_macs_were_not_checked(
    chain: Database, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(audit_key.KEY_ENV)
    result = run_cli("audit", "verify")
    assert result.exit_code == 3
    assert "intact" not in result.output and "NOT checked: no audit key" in result.output


def test_a_world_readable_key_file_is_refused_without_showing_the_key(
    chain: Database, run_cli: Cli, tmp_path: Path
) -> None:
    key = audit_key.new_key().decode()
    path = tmp_path / "audit.key"
    path.write_text(key + "\n", encoding="ascii")
    path.chmod(0o644)
    result = run_cli("audit", "verify", "--key-file", str(path))
    assert result.exit_code == 1 and f"chmod 600 {path}" in result.stderr
    assert key not in result.output + result.stderr


def test_a_malformed_key_is_named_by_position_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(audit_key.KEY_ENV, f"{audit_key.new_key().decode()},not-a-key-at-all")
    with pytest.raises(audit_key.AuditKeyError) as exc:
        audit_key.load_keys()
    assert "key #2 in BANTIN_AUDIT_KEY" in str(exc.value) and "not-a-key" not in str(exc.value)


def test_init_creates_an_owner_only_audit_key_and_anchors_the_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from bantin.cli import cli

    home = tmp_path / "fresh"
    monkeypatch.setenv("BANTIN_HOME", str(home))
    monkeypatch.delenv(audit_key.KEY_ENV, raising=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    key = home / "audit.key"
    assert "audit key created" in result.output and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(list((home / "audit-heads").glob("*.jsonl"))) == 1
    verified = runner.invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert (
        "every MAC from sequence" in verified.output and "1 signed heads agree" in verified.output
    )
    again = runner.invoke(cli, ["init"])
    assert "audit key created" not in again.output
