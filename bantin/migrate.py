"""Schema migrations through Alembic, run programmatically (`bantin init`, test fixtures)."""

from __future__ import annotations

import warnings
from pathlib import Path

from alembic import command
from alembic.config import Config

from bantin.core.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return cfg


def upgrade(db: Database) -> None:
    """Create or upgrade the schema to the newest revision; a no-op when current.

    On SQLite, foreign keys are off while migrations run: a batch migration copies a table
    and drops the old one, and with foreign keys on that drop would cascade-delete every
    row that refers to it (a publication's attempts). The references are checked again
    before the transaction commits.
    """
    cfg = alembic_config(db)
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        if db.is_sqlite and raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, or it is ignored
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                with warnings.catch_warnings():
                    # Batch copies reflect expression indexes SQLite cannot describe; the
                    # migration restores them itself (0005).
                    warnings.filterwarnings("ignore", "Skipped unsupported reflection")
                    command.upgrade(cfg, "head")
                if db.is_sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration broke references: {broken[:5]}")
        finally:
            if db.is_sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
