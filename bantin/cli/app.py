"""The command group, shared options, output helpers and the one place errors are turned
into messages."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bantin import __version__
from bantin.campaigns.errors import CampaignError
from bantin.cli.dates import WHEN, to_iso
from bantin.cli.lazy import LazyGroup
from bantin.config import Settings, load_settings
from bantin.core.clock import Clock, FixedClock, SystemClock
from bantin.core.errors import BantinError
from bantin.core.scrub import install_logging_scrubber, scrub_data
from bantin.csvsafe import dict_rows_csv
from bantin.logjson import FORMATS, make_handler

if TYPE_CHECKING:  # SQLAlchemy, the models and rich load in the commands that use them
    from sqlalchemy.orm import Session

    from bantin.core.db import Database

F = TypeVar("F", bound=Callable[..., Any])

BUSY = "the database is busy (another bantin process is writing); try again"


class App:
    """What every command needs, built once in the group callback (`ctx.obj`)."""

    def __init__(self, db_url: str | None, verbose: bool, lang: str = "vi") -> None:
        self.settings: Settings = load_settings(db_url)
        self.verbose = verbose
        self.lang = lang  # of tables and messages: `bantin --lang en …` (bantin.cli.labels)

    @cached_property
    def db(self) -> Database:
        """The database `bantin init` made; before init, one sentence and no file created
        (`NotInitialisedError`, a `BantinError` that `BantinGroup` prints)."""
        from bantin.core.db import Database

        return self._installed(Database.open_initialised(self.settings.db_url))

    def require_db(self) -> None:
        """Stop a command before init when its first step is not the database (a key file,
        a lock), so it says "run `bantin init`" rather than something about that step."""
        self.db  # noqa: B018  (opening it is the check)

    def create_db(self) -> Database:
        """The database for `bantin init`, created when missing; `db` returns it after."""
        from bantin.core.db import Database

        db = self._installed(Database(self.settings.db_url))
        self.__dict__["db"] = db  # cached_property's slot
        return db

    def _installed(self, db: Database) -> Database:
        from bantin.secrets import store as secretstore

        # From here on `secret:NAME` in a channel or notify URL reads this database's store.
        secretstore.install(db, self.settings.home)
        return db

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.db.session() as s:
            yield s

    def clock(self, now: str | None) -> Clock:
        """`--now`, else BANTIN_NOW (a whole session pretending, e.g. the docs test), else
        the real time."""
        now = now or os.environ.get("BANTIN_NOW") or None
        return FixedClock(parse_when(now, self.settings)) if now else SystemClock()


def parse_when(text: str, settings: Settings, *, end_of_day: bool = False) -> datetime:
    """ISO or day/month/year date or datetime (`bantin.cli.dates`); without an offset it
    is local time (Asia/Ho_Chi_Minh)."""
    try:
        text = to_iso(text)
        if len(text) == 10:
            d = date.fromisoformat(text)
            value = datetime.combine(d, time.max if end_of_day else time.min)
        else:
            value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=settings.timezone)
    return value.astimezone(UTC)


class BantinGroup(click.Group):
    """The one place a library error becomes one clear sentence and exit code 1.

    Every user-facing error is a `BantinError` (`bantin.core.errors`); a campaign file's
    problems print one per line. A file the system refuses (`OSError` with a file name)
    and a busy SQLite database are a person's to fix too. Anything else is a bug and
    keeps its traceback. Commands do not catch errors only to reword them."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CampaignError as exc:
            for issue in exc.issues:
                click.echo(str(issue), err=True)
            n = len(exc.issues)
            click.echo(f"{n} problem{'s' if n != 1 else ''} found; nothing was changed.", err=True)
            ctx.exit(1)
        except BantinError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            if exc.filename is None or not exc.strerror:
                raise
            raise click.ClickException(f"{exc.filename}: {exc.strerror}") from exc
        except Exception as exc:
            if not _locked(exc):
                raise
            raise click.ClickException(BUSY) from exc


def _locked(exc: Exception) -> bool:
    """A busy SQLite database? (SQLAlchemy is only asked when a command has loaded it.)"""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None or not isinstance(exc, sa_exc.OperationalError):
        return False
    return "database is locked" in str(exc.orig)


class RootGroup(LazyGroup, BantinGroup):
    """`bantin`: errors mapped as in BantinGroup, commands loaded when they run."""


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", "db_url", envvar="BANTIN_DB", help="SQLAlchemy URL (default: SQLite in BANTIN_HOME)."
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
@click.option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="text",
    envvar="BANTIN_LOG_FORMAT",
    show_default=True,
    help="Log lines for people (text) or one JSON object a line for a log shipper.",
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    envvar="BANTIN_LANG",
    show_default=True,
    help="Language of table headers, states and messages (--json/--csv keep the codes).",
)
@click.version_option(__version__, package_name="bantin")  # not read from metadata: slow
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, verbose: bool, log_format: str, lang: str) -> None:
    """bantin: schedule and publish the communication campaigns of a provincial
    digital-transformation plan, and keep the records the DIC audits.

    \b
    Example:
      bantin init
      bantin campaign apply bantin/data/campaigns/*.yaml
      bantin schedule --from 2026-12-01 --to 2026-12-02
      bantin --lang en schedule --from 2026-12-01
      bantin run
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        handlers=[make_handler(log_format)],  # keeps its formatter: times with their offset
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is noise
    install_logging_scrubber()
    ctx.obj = App(db_url, verbose, lang)


#: Typed loosely: click types it for positional-only first parameters, and commands name it.
pass_app: Callable[[Callable[..., Any]], Callable[..., Any]] = click.make_pass_decorator(App)


def actor_option(f: F) -> F:
    return click.option("--actor", default=None, help="Who does this (default: the OS user).")(f)


def now_option(f: F) -> F:
    return click.option(
        "--now",
        default=None,
        type=WHEN,
        metavar="DATE",
        help="Pretend it is this time (local unless an offset is given).",
    )(f)


def output_options(f: F) -> F:
    f = click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")(f)
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(f)


def resolve_actor(actor: str | None) -> str:
    from bantin.core.audit import current_actor

    return actor or current_actor()


def current_lang() -> str:
    """The language `bantin --lang` (or BANTIN_LANG) chose; Vietnamese by default."""
    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(App) if ctx is not None else None
    return app.lang if app is not None else "vi"


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    as_json: bool = False,
    as_csv: bool = False,
    title: str | None = None,
) -> None:
    """Print rows as a table, JSON or CSV (the same data in every form).

    The table is for people: headers and state codes in words, in the CLI's language
    (`bantin.cli.labels`); JSON and CSV keep the column ids and codes for programs.
    The last guard before a terminal or a pipe: every string is scrubbed again, so a value
    that reached a row some other way still never prints (see `bantin.scrub`)."""
    rows = [scrub_data(dict(row)) for row in rows]
    if as_json:
        click.echo(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str))
        return
    if as_csv:
        # Cells a spreadsheet would run as formulas get an apostrophe (bantin.csvsafe).
        click.echo(dict_rows_csv(rows, columns), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    from bantin.cli import labels

    lang = current_lang()
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(labels.header(c, lang))
    for row in rows:
        table.add_row(*[labels.cell(c, row.get(c), lang) for c in columns])
    Console(soft_wrap=True).print(table)


def main() -> None:
    cli(prog_name="bantin")
