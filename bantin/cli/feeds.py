"""`bantin feeds …`: outside RSS/Atom feeds that templates quote with `feed()`."""

from __future__ import annotations

import time

import click

from bantin.cli.app import App, actor_option, cli, emit, now_option, pass_app, resolve_actor
from bantin.content import feeds as library


@cli.group("feeds")
def feeds_group() -> None:
    """Outside news feeds (RSS, Atom) for templates: add, list, ingest."""


@feeds_group.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--agency", default=None, help="Agency that follows this feed (optional).")
@now_option
@actor_option
@pass_app
def feeds_add(
    app: App, name: str, url: str, agency: str | None, now: str | None, actor: str | None
) -> None:
    """Register a feed, or change its address. Templates read it as feed('NAME').

    \b
    Example:
      bantin feeds add tin-cds-quoc-gia https://example.gov.vn/rss/chuyen-doi-so.rss --agency BAOVL
    """
    with app.session() as s:
        _, action = library.add_feed(
            s, name, url, agency, app.clock(now).now(), resolve_actor(actor)
        )
    click.echo(f"{name}: {action}")


@feeds_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@pass_app
def feeds_list(app: App, as_json: bool, as_csv: bool) -> None:
    """List feeds with their entries, last fetch, last status and the reason of a failure.

    Statuses: ok, not-modified (HTTP 304), bozo (read despite malformed XML), and the
    failures http-error, too-many-redirects, too-large, too-slow (past the whole-fetch
    deadline), refused (an internal address, see BANTIN_OUTBOUND_ALLOW), wrong-type,
    malformed, network-error, error. A password in a feed URL is shown as ***.

    \b
    Example:
      bantin feeds list
    """
    with app.session() as s:
        rows = library.list_feeds(s)
    columns = ["name", "entries", "last_status", "last_error", "last_fetched_at", "url"]
    emit(rows, columns, as_json=as_json, as_csv=as_csv)


@feeds_group.command("ingest")
@click.option("--once", is_flag=True, help="Fetch once and exit (for cron).")
@click.option("--name", default=None, help="Only this feed.")
@click.option(
    "--every", type=int, default=30, show_default=True, help="Minutes between runs without --once."
)
@now_option
@pass_app
def feeds_ingest(app: App, once: bool, name: str | None, every: int, now: str | None) -> None:
    """Fetch feeds (conditional GET), store new entries, record each feed's outcome.

    A failing feed is recorded with its reason (`bantin feeds list`) and does not stop the
    others; the exit code is 0 unless the command itself is wrong. `bantin run` ingests
    every 30 minutes by itself.

    \b
    Example:
      bantin feeds ingest --once
      bantin feeds ingest --once --name tin-cds-quoc-gia
    """
    while True:
        deadline = app.settings.feed_deadline_seconds
        results = library.ingest(app.db, app.clock(now).now(), name, deadline=deadline)
        for r in results:
            detail = f", {r.error}" if r.error else ""
            click.echo(f"{r.name}: {r.status}, {r.new} new{detail}")
        if once:
            return
        try:
            time.sleep(max(1, every) * 60)
        except KeyboardInterrupt:
            return


# `feeds token ...` lives in its own module; loading `feeds` loads it (lazy CLI loading
# imports only the module that defines a top-level command).
from bantin.cli import feed_tokens  # noqa: E402, F401
