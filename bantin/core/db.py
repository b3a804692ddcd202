"""The one place that owns the engine, the session factory and the declarative base.

SQLite is the embedded default: WAL so readers never block the dispatcher, foreign keys
on, and every write transaction started with BEGIN IMMEDIATE so two writers never
deadlock on a lock upgrade (pysqlite's deferred BEGIN would make the audit chain's
read-then-write fail with "database is locked" instead of waiting).

SQLite has one writer at a time, so a write transaction must never wait on anything slow
(a render, a network call, a subprocess): `Database.read()` gives a session that only
reads (a plain deferred BEGIN, which in WAL mode never blocks and is never blocked by the
writer), and slow work happens between a read and a short `Database.session()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from bantin.core.errors import BantinError
from bantin.core.fileperms import secure_dir, secure_file

NOT_INITIALISED = "database not initialised: run `bantin init`"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (SQLite batch migrations need it)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, always returns aware UTC datetimes, refuses naive input.

    SQLite has no time zones; without this a naive local time would slip in and every
    schedule would be seven hours off.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: bantin stores only aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite, create the file's folder and set the pragmas.

    The folder is made 0700 and the file 0600 before SQLite opens it (SQLite would create
    it 0644, and gives its -wal and -shm files the database file's mode): see
    `bantin.fileperms`.
    """
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            secure_dir(Path(path).parent)
            secure_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event emit BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


READ_ONLY = "bantin_read_only"
"""Execution option of `Database.read()` sessions: SQLite begins them deferred."""


class ReadOnlySession(Session):
    """A session that refuses to flush: a read that writes would take SQLite's write lock
    in the middle of whatever slow work the caller does next."""

    def flush(self, objects: Any = None) -> None:
        if self.new or self.dirty or self.deleted:
            raise RuntimeError("a Database.read() session must not write; use session()")
        super().flush(objects)


class NotInitialisedError(BantinError):
    """The database has no schema yet: every command but `init` needs one."""

    def __init__(self) -> None:
        super().__init__(NOT_INITIALISED)


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, or None (another dialect, memory, a `file:` URI)."""
    if not url.startswith("sqlite"):
        return None
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path)


class Database:
    """An engine plus its session factories; passed around instead of globals."""

    @classmethod
    def open_initialised(cls, url: str) -> Database:
        """Open a database `bantin init` has made, or raise `NotInitialisedError`.

        Checked before the engine exists: SQLite would otherwise create an empty file,
        and the first query would fail with a "no such table" traceback. A database
        without Alembic's version table (an empty file, a fresh server) is refused too.
        """
        path = _sqlite_file(url)
        if path is not None and not path.is_file():
            raise NotInitialisedError()
        db = cls(url)
        if not inspect(db.engine).has_table("alembic_version"):
            db.dispose()
            raise NotInitialisedError()
        return db

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}),
            class_=ReadOnlySession,
            expire_on_commit=False,
            autoflush=False,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only: never holds SQLite's write lock, never writes.

        Objects stay usable after the block: ending a transaction that wrote nothing
        expires nothing (`expire_on_commit=False`).
        """
        with self.read_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
