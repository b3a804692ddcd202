"""A throwaway PostgreSQL cluster for the scale-out tests.

`PgCluster.start()` runs `initdb` into a fresh temporary directory and `pg_ctl start` with
the server listening only on a unix socket inside that directory (no TCP port, nothing
reachable from outside); `stop()` runs `pg_ctl stop -m fast` and deletes the directory.
`initdb` refuses to run as root, so under root both run as the `postgres` OS user (the
Debian package creates it) through `runuser`, and the directory is owned by that user.

No server binaries is an error, not a skip: CI installs the Debian `postgresql` package
through scripts/system-deps.sh (`make test`), so a skip would hide a broken pipeline.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

SERVER_USER = "postgres"  # the OS user the server runs as when we are root
SUPERUSER = "postgres"  # the database superuser initdb creates
SEARCH_DIRS = ["/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]


class PgUnavailable(RuntimeError):
    pass


def find_bindir() -> Path:
    """The folder holding initdb and pg_ctl: PATH first, then Debian's versioned folders."""
    on_path = shutil.which("initdb")
    candidates = ([str(Path(on_path).parent)] if on_path else []) + SEARCH_DIRS
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise PgUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl) in PATH, /usr/local/bin or "
        "/usr/lib/postgresql/*/bin; install the Debian package `postgresql` "
        "(scripts/system-deps.sh does it as root)"
    )


class PgCluster:
    """One PostgreSQL server in a temporary directory, reachable only by its unix socket."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="bantin-pg-"))  # short: socket paths <108
        self.data = self.dir / "data"
        self.socket_dir = self.dir
        self.log = self.dir / "server.log"
        self.running = False

    # -- processes ------------------------------------------------------------------------
    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", SERVER_USER, "--", *cmd] if self.as_root else cmd

    def _run(self, *args: str, timeout: float = 120) -> None:
        proc = subprocess.run(
            self._cmd(*args), capture_output=True, text=True, timeout=timeout, check=False
        )
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise PgUnavailable(
                f"{' '.join(args[:2])} failed (exit {proc.returncode}):\n"
                f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}\n{log}"
            )

    def start(self) -> PgCluster:
        if self.as_root:
            try:
                pw = pwd.getpwnam(SERVER_USER)
            except KeyError as exc:
                raise PgUnavailable(
                    f"running as root but there is no `{SERVER_USER}` OS user to run the "
                    "server as (the Debian postgresql package creates it)"
                ) from exc
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = " ".join(
            [
                "-c listen_addresses=''",
                f"-k {self.socket_dir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options)
        self.running = True
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect("postgres"):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        try:
            if self.running:
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")
                self.running = False
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- databases -----------------------------------------------------------------------
    def connect(self, dbname: str) -> psycopg.Connection:
        return psycopg.connect(
            host=str(self.socket_dir), user=SUPERUSER, dbname=dbname, autocommit=True
        )

    def url(self, dbname: str) -> str:
        """A SQLAlchemy URL for one database of this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@/{dbname}?host={self.socket_dir}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE (a copy of `template` when given); returns its URL.

        A template must have no open connection: dispose its engine first.
        """
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt = sql.SQL("{} TEMPLATE {}").format(stmt, sql.Identifier(template))
        with self.connect("postgres") as conn:
            conn.execute(stmt)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.connect("postgres") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
