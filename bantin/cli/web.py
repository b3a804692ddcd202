"""`bantin serve`: the web app for culture staff (loudspeaker feeds, script sheets, receipts)."""

from __future__ import annotations

import ipaddress

import click

from bantin.cli.app import App, cli, pass_app


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8080, show_default=True, help="TCP port.")
@pass_app
def serve_cmd(app: App, host: str, port: int) -> None:
    """Serve the loudspeaker feeds, printable scripts and the receipt form over HTTP.

    It has no login of its own and binds 127.0.0.1 by default: to let communes reach it,
    put it behind a reverse proxy that authenticates (see docs/loudspeakers.md).
    Werkzeug's threaded server; stop it with Ctrl-C.

    \b
    Example:
      bantin serve
      bantin serve --port 8081
      curl http://127.0.0.1:8080/loa/nhom/thi-diem/feed.atom
    """
    from werkzeug.serving import run_simple

    from bantin.web import create_app

    if not _is_loopback(host):
        click.echo(
            f"warning: listening on {host} without authentication; anyone who can reach it "
            "can post receipts",
            err=True,
        )
    web = create_app(app.settings, db=app.db)
    database = app.db.engine.url.render_as_string()  # hides a password
    click.echo(f"serving http://{host}:{port}/loa/ (database {database})")
    run_simple(host, port, web, threaded=True)
