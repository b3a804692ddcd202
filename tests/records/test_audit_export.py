"""The audit chain exported as JSON Lines and verified offline from the file alone."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from bantin.core import audit
from bantin.core.audit.export import export, verify_lines
from bantin.core.db import Database
from tests.conftest import T0, Cli


@pytest.fixture
def chain(db: Database) -> Database:
    with db.session() as s:
        for i in range(5):
            audit.append(
                s, T0 + timedelta(seconds=i), "tester", "test.event", "thing", i, {"văn bản": i}
            )
    return db


def exported(db: Database) -> list[str]:
    buf = io.StringIO()
    with db.session() as s:
        export(s, buf, T0)
    return buf.getvalue().splitlines()


def test_every_field_is_exported_and_the_head_closes_the_file(chain: Database) -> None:
    lines = exported(chain)
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    assert set(first) == {
        "seq",
        "at",
        "actor",
        "action",
        "entity",
        "entity_id",
        "data",
        "prev_hash",
        "hash",
        "mac",
    }
    assert first["seq"] == 1 and first["prev_hash"] == audit.GENESIS
    assert last["head"] == {"seq": len(lines) - 1, "hash": json.loads(lines[-2])["hash"]}


def test_an_intact_export_verifies_offline(chain: Database) -> None:
    lines = exported(chain)
    result = verify_lines(lines)
    assert result.ok and result.checked == len(lines) - 1


def test_an_edited_line_is_found(chain: Database) -> None:
    lines = exported(chain)
    doc = json.loads(lines[-3])
    doc["data"] = {"văn bản": 99}
    lines[-3] = json.dumps(doc, ensure_ascii=False)
    result = verify_lines(lines)
    assert (result.ok, result.first_bad_seq) == (False, doc["seq"])
    assert result.reason == "contents do not match their hash"


def test_a_dropped_line_is_found(chain: Database) -> None:
    lines = exported(chain)
    seq = json.loads(lines[2])["seq"]
    del lines[2]
    assert verify_lines(lines).first_bad_seq == seq


def test_a_file_cut_short_is_found(chain: Database) -> None:
    result = verify_lines(exported(chain)[:-2])
    assert not result.ok and "cut short" in (result.reason or "")


def test_cli_exports_and_verifies_a_file(
    audit_keys: list[bytes], chain: Database, run_cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    assert run_cli("audit", "export", "-o", str(path)).exit_code == 0
    result = run_cli("audit", "verify", "--file", str(path))
    assert result.exit_code == 0 and "intact" in result.output


def test_cli_names_the_first_bad_sequence_of_an_edited_export(
    chain: Database, run_cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    run_cli("audit", "export", "-o", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    doc = json.loads(lines[1])
    doc["actor"] = "someone else"
    lines[1] = json.dumps(doc, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("audit", "verify", "--file", str(path))
    assert result.exit_code == 1
    assert f"broken at sequence {doc['seq']}" in result.stderr
