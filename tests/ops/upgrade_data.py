"""The first release's data (tests/fixtures/v0.1.0, made by scripts/make_v010_fixture.sh
with v0.1.0's own commands) and the checks that it survives an upgrade to head."""

from __future__ import annotations

import shutil
import sqlite3
import warnings
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import DateTime, MetaData, create_engine, select, text
from sqlalchemy.exc import SAWarning

from bantin.core import audit
from bantin.core.db import Database
from bantin.migrate import alembic_config
from bantin.secrets import store as secretstore

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "v0.1.0"
FIRST_RELEASE_REVISION = "0003"
#: What v0.1.0's commands stored (scripts/make_v010_fixture.sh pipes these in).
SECRETS = {"LOA_SECRET": "s3cr3t-loa-vendor-value", "FB_TOKEN_BAOVL": "EAAB-fixture-page-token"}


def fixture_home(home: Path) -> Path:
    """A BANTIN_HOME holding a copy of the fixture database and its key; returns the db."""
    home.mkdir(parents=True, exist_ok=True)
    db = home / "bantin.db"
    shutil.copy(FIXTURE / "bantin.db", db)
    shutil.copy(FIXTURE / "secret.key", home / "secret.key")
    (home / "secret.key").chmod(0o600)
    return db


def row_counts(db_file: Path) -> dict[str, int]:
    """Rows per table of the first release, read raw (no bantin code involved)."""
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


def counts_in(db: Database, tables: list[str]) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {t: conn.scalar(text(f'SELECT count(*) FROM "{t}"')) or 0 for t in tables}


def migrate_to(db: Database, revision: str) -> None:
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def copy_rows(sqlite_file: Path, target: Database) -> None:
    """Load the fixture's rows into a database at the same revision (PostgreSQL), as
    pg_restore would: same values, explicit ids, sequences moved past them."""
    source = create_engine(f"sqlite:///{sqlite_file}")
    src_meta, dst_meta = MetaData(), MetaData()
    with warnings.catch_warnings():  # expression indexes: columns are all a copy needs
        warnings.simplefilter("ignore", SAWarning)
        src_meta.reflect(source)
    dst_meta.reflect(target.engine)
    with source.connect() as src, target.engine.begin() as dst:
        for table in dst_meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            aware = [c.name for c in table.columns if isinstance(c.type, DateTime)]
            rows = [dict(r._mapping) for r in src.execute(select(src_meta.tables[table.name]))]
            for row in rows:
                for name in aware:
                    value = row.get(name)
                    if isinstance(value, datetime) and value.tzinfo is None:
                        row[name] = value.replace(tzinfo=UTC)
            if rows:
                dst.execute(table.insert(), rows)
            pk = list(table.primary_key.columns)
            if len(pk) == 1 and pk[0].type.python_type is int:
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                        f'COALESCE((SELECT max("{pk[0].name}") FROM "{table.name}"), 1))'
                    )
                )
    source.dispose()


def assert_survived(db: Database, before: dict[str, int], home: Path) -> None:
    """Rows, the audit chain and the secrets of the first release, all still there."""
    with db.engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == _head(db)
    tables = [t for t in before if t != "alembic_version"]
    assert counts_in(db, tables) == {t: before[t] for t in tables}
    with db.session() as s:
        checked = audit.verify(s)
        assert checked.ok, checked.reason
        assert checked.checked == before["audit_event"] > 300
        for name, value in SECRETS.items():
            assert secretstore.get_secret(s, name, home=home) == value


def _head(db: Database) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(db)).get_current_head()
    assert head is not None
    return head
