"""Witnesses kept outside the database find newest events deleted: the nightly signed head,
`--head SEQ:HASH` and `--against EXPORT`."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bantin.config import Settings
from bantin.core import audit
from bantin.core.audit import anchor as audit_anchor
from bantin.core.audit import key as audit_key
from bantin.core.audit.export import export
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.scheduler import Runner
from tests.conftest import T0, Cli

# 29/11/2026 00:15 in Vĩnh Long: the nightly job's time.
NIGHT = datetime(2026, 11, 28, 17, 15, tzinfo=UTC)


@pytest.fixture
def chain(audit_keys: list[bytes], db: Database) -> Database:
    with db.session() as s:
        for i in range(6):
            audit.append(s, T0 + timedelta(seconds=i), "tester", "test.event", "thing", i)
    return db


def head_row(db: Database) -> tuple[int, str]:
    with db.engine.connect() as c:
        seq, digest = c.execute(text("SELECT seq, hash FROM audit_head")).one()
    return int(seq), str(digest)


def truncate(db: Database, count: int) -> int:
    """Delete the newest `count` events and move the head back; the new last seq."""
    seq, _ = head_row(db)
    keep = seq - count
    with db.engine.connect() as c:
        c.execute(text(f"DELETE FROM audit_event WHERE seq > {keep}"))
        digest = c.execute(text(f"SELECT hash FROM audit_event WHERE seq = {keep}")).scalar_one()
        c.execute(text(f"UPDATE audit_head SET seq = {keep}, hash = '{digest}'"))
        c.commit()
    return keep


def nightly(db: Database, settings: Settings, at: datetime = NIGHT) -> None:
    Runner(db, settings, FixedClock(at)).sign_audit_head()


def test_the_nightly_job_appends_a_signed_head_for_the_local_date(
    chain: Database, settings: Settings, audit_keys: list[bytes]
) -> None:
    nightly(chain, settings)
    path = settings.home / "audit-heads" / "2026-11-29.jsonl"
    line = json.loads(path.read_text(encoding="utf-8"))
    assert (line["seq"], line["hash"]) == head_row(chain)
    assert line["signed_at"] == NIGHT.isoformat()
    heads, problems = audit_anchor.read_heads(settings.home)
    assert problems == [] and audit_key.matches(audit_keys, heads[0].message(), heads[0].mac)


def test_the_next_night_appends_another_head_that_also_verifies(
    chain: Database, settings: Settings, run_cli: Cli
) -> None:
    nightly(chain, settings)
    with chain.session() as s:
        audit.append(s, T0 + timedelta(days=1), "tester", "test.event", "thing", 99)
    nightly(chain, settings, NIGHT + timedelta(days=1))
    assert len(list((settings.home / "audit-heads").glob("*.jsonl"))) == 2
    result = run_cli("audit", "verify")
    assert result.exit_code == 0, result.output + result.stderr
    assert "2 signed heads agree" in result.output


def test_the_nightly_job_signs_nothing_when_the_chain_is_broken(
    chain: Database, settings: Settings
) -> None:
    seq, _ = head_row(chain)
    with chain.engine.connect() as c:
        c.execute(text(f"UPDATE audit_event SET actor = 'x' WHERE seq = {seq - 1}"))
        c.commit()
    nightly(chain, settings)
    assert not (settings.home / "audit-heads").exists()


def test_the_nightly_job_without_a_key_signs_nothing(
    chain: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(audit_key.KEY_ENV)
    nightly(chain, settings)
    assert not (settings.home / "audit-heads").exists()


def test_deleting_the_newest_events_and_moving_the_head_is_found_by_the_signed_head(
    chain: Database, settings: Settings, run_cli: Cli, audit_keys: list[bytes]
) -> None:
    nightly(chain, settings)
    signed, _ = head_row(chain)
    keep = truncate(chain, 2)
    with chain.session() as s:
        assert audit.verify(s, audit_keys).ok  # every MAC still good: the chain alone can't tell
    result = run_cli("audit", "verify")
    assert result.exit_code == 1
    assert f"broken at sequence {keep + 1}: the chain ends at sequence {keep}" in result.stderr
    assert f"2026-11-29.jsonl:1 records sequence {signed}" in result.stderr


def test_a_forged_signed_head_is_refused(chain: Database, settings: Settings, run_cli: Cli) -> None:
    nightly(chain, settings)
    path = settings.home / "audit-heads" / "2026-11-29.jsonl"
    line = json.loads(path.read_text(encoding="utf-8"))
    line["mac"] = "0" * 64
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = run_cli("audit", "verify")
    assert result.exit_code == 1 and "does not match the audit key (forged?)" in result.stderr


def test_macs_stripped_without_changing_content_are_found_by_the_signed_head(
    chain: Database, settings: Settings, run_cli: Cli
) -> None:
    nightly(chain, settings)
    with chain.engine.connect() as c:
        c.execute(text("UPDATE audit_event SET mac = NULL"))
        c.commit()
    result = run_cli("audit", "verify")
    assert result.exit_code == 1 and "MACs were removed" in result.stderr


def test_head_option_finds_deleted_events(chain: Database, run_cli: Cli) -> None:
    seq, digest = head_row(chain)
    keep = truncate(chain, 1)
    result = run_cli("audit", "verify", "--head", f"{seq}:{digest}")
    assert result.exit_code == 1
    assert f"broken at sequence {keep + 1}" in result.stderr
    assert f"--head {seq}:{digest} records sequence {seq}" in result.stderr


def test_head_option_that_agrees_is_said(chain: Database, run_cli: Cli) -> None:
    seq, digest = head_row(chain)
    result = run_cli("audit", "verify", "--head", f"{seq}:{digest}")
    assert result.exit_code == 0 and f"--head {seq} agrees" in result.output


def test_head_option_with_another_hash_is_found(chain: Database, run_cli: Cli) -> None:
    seq, _ = head_row(chain)
    result = run_cli("audit", "verify", "--head", f"{seq - 1}:{'a' * 64}")
    assert result.exit_code == 1
    assert f"event {seq - 1} differs from --head {seq - 1}:" in result.stderr


def test_a_malformed_head_option_is_one_clear_sentence(chain: Database, run_cli: Cli) -> None:
    result = run_cli("audit", "verify", "--head", "12:xyz")
    assert result.exit_code == 2 and "is not SEQ:HASH" in result.stderr


def write_export(db: Database, path: Path) -> list[str]:
    buf = io.StringIO()
    with db.session() as s:
        export(s, buf, T0)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return buf.getvalue().splitlines()


def test_against_an_export_finds_deleted_events(
    chain: Database, run_cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    write_export(chain, path)
    keep = truncate(chain, 2)
    result = run_cli("audit", "verify", "--against", str(path))
    assert result.exit_code == 1
    assert f"event {keep + 1} of {path} (line {keep + 1}) is missing" in result.stderr


def test_against_an_export_names_a_changed_event_and_field(chain: Database, tmp_path: Path) -> None:
    lines = write_export(chain, tmp_path / "audit.jsonl")
    doc = json.loads(lines[2])
    doc["actor"] = "the original actor"
    lines[2] = json.dumps(doc, ensure_ascii=False)
    with chain.session() as s:
        bad = audit_anchor.check_against(s, lines, "audit.jsonl")
    assert bad is not None and bad.first_bad_seq == doc["seq"]
    assert (
        bad.reason
        == f"event {doc['seq']} of audit.jsonl (line 3) was changed in the database: actor"
    )


def test_against_an_export_that_still_matches(
    chain: Database, run_cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    write_export(chain, path)
    with chain.session() as s:
        audit.append(s, T0 + timedelta(hours=1), "tester", "later.event", "thing", 7)
    result = run_cli("audit", "verify", "--against", str(path))
    assert result.exit_code == 0, result.stderr
    assert f"every event of {path} is present and unchanged" in result.output


def test_offline_export_with_the_key_finds_a_recomputed_file(
    chain: Database, tmp_path: Path, audit_keys: list[bytes]
) -> None:
    from bantin.core.audit.export import line_hash, verify_lines

    lines = write_export(chain, tmp_path / "audit.jsonl")
    events = [json.loads(x) for x in lines[:-1]]
    events[-2]["actor"] = "someone else"
    prev = events[-3]["hash"]
    for doc in events[-2:]:
        doc["prev_hash"] = prev
        doc["hash"] = prev = line_hash(doc)
    closing = json.loads(lines[-1])
    closing["head"]["hash"] = prev
    forged = [json.dumps(d, ensure_ascii=False) for d in [*events, closing]]
    assert verify_lines(forged).ok  # without the key, the rewrite passes the hash check
    result = verify_lines(forged, audit_keys)
    assert (result.ok, result.first_bad_seq) == (False, events[-2]["seq"])


def test_cli_offline_export_without_a_key_does_not_say_intact(
    chain: Database, run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.jsonl"
    write_export(chain, path)
    monkeypatch.delenv(audit_key.KEY_ENV)
    result = run_cli("audit", "verify", "--file", str(path))
    assert result.exit_code == 3 and "intact" not in result.output
    assert "NOT checked: no audit key" in result.output


def test_cli_head_command_writes_a_head_and_the_key_appears_nowhere(
    chain: Database, run_cli: Cli, settings: Settings, tmp_path: Path
) -> None:
    import os

    key = os.environ[audit_key.KEY_ENV]
    out = tmp_path / "audit.jsonl"
    results = [
        run_cli("audit", "head", "--now", "2026-11-29T00:15"),
        run_cli("audit", "export", "-o", str(out)),
        run_cli("audit", "verify"),
        run_cli("audit", "verify", "--file", str(out)),
    ]
    assert [r.exit_code for r in results] == [0, 0, 0, 0]
    assert "signed head" in results[0].output
    texts = [r.output + r.stderr for r in results] + [out.read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in (settings.home / "audit-heads").iterdir()]
    assert all(key not in t for t in texts)
