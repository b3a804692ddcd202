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

    Feeds and day sheets are readable by anyone who can reach it; receipts need a unit
    token (`bantin receipts token create`). It binds 127.0.0.1 by default: to let
    communes reach it, put it behind an HTTPS reverse proxy and set BANTIN_PUBLIC_URL to
    the address they use (links and the form's Origin check use it; see
    docs/loudspeakers.md). Served by waitress; stop it with Ctrl-C. The desk is at /
    (bantin user bootstrap makes the first admin), the API at /api/v1, health at /healthz.

    \b
    Example:
      bantin serve
      bantin serve --port 8081
      curl http://127.0.0.1:8080/loa/nhom/thi-diem/feed.atom
    """
    from bantin.web import create_app

    if not _is_loopback(host):
        click.echo(
            f"warning: listening on {host}: feeds and day sheets are readable without "
            "authentication by anyone who can reach it (receipts need a unit token)",
            err=True,
        )
        if not app.settings.public_url:
            click.echo(
                "warning: BANTIN_PUBLIC_URL is not set: links are relative and browser "
                "receipts are checked against the address each request names",
                err=True,
            )
    web = create_app(app.settings, db=app.db)
    database = app.db.engine.url.render_as_string()  # hides a password
    from bantin.web.serving import make_server

    server = make_server(web, host, port)
    click.echo(f"serving http://{host}:{port}/ (desk; feeds under /loa/; database {database})")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
