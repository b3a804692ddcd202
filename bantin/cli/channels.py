"""`bantin channel add|list|test`."""

from __future__ import annotations

import json

import click

from bantin.channels import service
from bantin.cli.app import App, actor_option, cli, emit, output_options, pass_app, resolve_actor


@cli.group()
def channel() -> None:
    """Channels: where publications go, configured by URL."""


@channel.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--agency", required=True, help="The agency that owns this channel.")
@click.option("--replace", is_flag=True, help="Change an existing channel.")
@actor_option
@pass_app
def channel_add(
    app: App, name: str, url: str, agency: str, replace: bool, actor: str | None
) -> None:
    """Add a channel. Secrets are references (env:VAR), never values.

    \b
    Example:
      bantin channel add loa-xa outbox://outbox/loa --agency COMMUNES
      bantin channel add loa-vendor --agency COMMUNES \
        'webhook+https://loa.example.vn/api/bulletins?secret=env:LOA_SECRET'
    """
    from bantin.core.clock import SystemClock

    with app.session() as s:
        row, what = service.add_channel(
            s,
            name,
            url,
            agency,
            SystemClock().now(),
            resolve_actor(actor),
            replace=replace,
            home=app.settings.home,
        )
        shown = service.describe(row, app.settings.home)["url"]
    click.echo(f"{name}: {what} ({shown})")


@channel.command("list")
@output_options
@pass_app
def channel_list(app: App, as_json: bool, as_csv: bool) -> None:
    """List channels; secrets are hidden and broken channels show why.

    \b
    Example:
      bantin channel list
      bantin channel list --json
    """
    with app.session() as s:
        rows = service.list_channels(s, app.settings.home)
    emit(
        rows, ["name", "kind", "agency", "status", "url", "reason"], as_json=as_json, as_csv=as_csv
    )


@channel.command("test")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def channel_test(app: App, name: str, as_json: bool) -> None:
    """Check a channel without publishing: can bantin reach it, and what can its
    credentials do? Exits 1 with the reason when the check fails. Never prints secrets.

    \b
    Example:
      bantin channel test baovl-fanpage
      bantin channel test loa-vendor --json
    """
    result = service.test_channel(app.db, name, app.settings.home)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        for key, value in result.items():
            if key not in ("ok", "error") and value is not None:
                click.echo(f"{key}: {value}")
    if not result.get("ok"):
        raise click.ClickException(f"{name}: {result.get('error') or 'check failed'}")
    if not as_json:
        click.echo(f"{name}: OK")
