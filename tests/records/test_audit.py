"""The audit chain: appends link by hash; any edit, deletion or insertion is found."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import text

from bantin.core import audit
from bantin.core.db import Database
from tests.conftest import T0, Cli


@pytest.fixture
def chain(db: Database) -> Database:
    with db.session() as s:
        for i in range(10):
            audit.append(
                s,
                T0 + timedelta(seconds=i),
                "tester",
                "test.event",
                "thing",
                i,
                {"n": i, "văn bản": "tiếng Việt"},
            )
    return db


def first_test_seq(db: Database) -> int:
    with db.engine.connect() as c:
        return int(
            c.execute(
                text("SELECT min(seq) FROM audit_event WHERE action='test.event'")
            ).scalar_one()
        )


def test_intact_chain_verifies(chain: Database) -> None:
    with chain.session() as s:
        result = audit.verify(s)
    assert result.ok and result.checked >= 10


def test_each_event_links_to_the_previous_hash(chain: Database) -> None:
    with chain.engine.connect() as c:
        rows = c.execute(text("SELECT seq, prev_hash, hash FROM audit_event ORDER BY seq")).all()
    for prev, cur in itertools.pairwise(rows):
        assert cur.prev_hash == prev.hash


def tamper(db: Database, sql: str) -> None:
    with db.engine.connect() as c:
        c.exec_driver_sql(sql)
        c.commit()


def test_edited_row_is_found(chain: Database) -> None:
    bad = first_test_seq(chain) + 4
    tamper(chain, f"UPDATE audit_event SET actor='someone else' WHERE seq={bad}")
    with chain.session() as s:
        result = audit.verify(s)
    assert (result.ok, result.first_bad_seq) == (False, bad)


def test_edited_data_is_found(chain: Database) -> None:
    bad = first_test_seq(chain) + 2
    tamper(chain, f"""UPDATE audit_event SET data='{{"n": 99}}' WHERE seq={bad}""")
    with chain.session() as s:
        assert audit.verify(s).first_bad_seq == bad


def test_deleted_row_is_found(chain: Database) -> None:
    bad = first_test_seq(chain) + 5
    tamper(chain, f"DELETE FROM audit_event WHERE seq={bad}")
    with chain.session() as s:
        result = audit.verify(s)
    assert (result.ok, result.first_bad_seq) == (False, bad)


def test_deleted_last_row_is_found(chain: Database) -> None:
    with chain.engine.connect() as c:
        last = int(c.execute(text("SELECT max(seq) FROM audit_event")).scalar_one())
    tamper(chain, f"DELETE FROM audit_event WHERE seq={last}")
    with chain.session() as s:
        result = audit.verify(s)
    assert (result.ok, result.first_bad_seq) == (False, last)


def test_inserted_row_is_found(chain: Database) -> None:
    bad = first_test_seq(chain) + 3
    tamper(chain, f"UPDATE audit_event SET seq=seq+1000 WHERE seq>={bad}")
    tamper(chain, f"UPDATE audit_event SET seq=seq-999 WHERE seq>={bad + 1000}")
    with chain.engine.connect() as c:
        prev = c.execute(text(f"SELECT hash FROM audit_event WHERE seq={bad - 1}")).scalar_one()
    tamper(
        chain,
        "INSERT INTO audit_event "
        "(seq, at, actor, action, entity, entity_id, data, prev_hash, hash) VALUES "
        f"({bad}, '2026-11-28 01:00:00', 'x', 'forged', 'thing', '1', '{{}}', '{prev}', "
        f"'{'0' * 64}')",
    )
    with chain.session() as s:
        result = audit.verify(s)
    assert (result.ok, result.first_bad_seq) == (False, bad)


def test_cli_reports_the_first_bad_sequence_number(chain: Database, run_cli: Cli) -> None:
    bad = first_test_seq(chain) + 1
    tamper(chain, f"UPDATE audit_event SET action='other' WHERE seq={bad}")
    result = run_cli("audit", "verify")
    assert result.exit_code == 1
    assert f"broken at sequence {bad}" in result.stderr


def test_cli_says_intact(audit_keys: list[bytes], chain: Database, run_cli: Cli) -> None:
    result = run_cli("audit", "verify")
    assert result.exit_code == 0 and "audit chain intact" in result.output


def test_cli_without_a_key_never_says_intact(chain: Database, run_cli: Cli) -> None:
    result = run_cli("audit", "verify")
    assert result.exit_code == 0 and "intact" not in result.output
    assert "hashes consistent" in result.output and "NOT anchored" in result.output
