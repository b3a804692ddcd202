"""`bantin alerts list|resolve|notify`, `bantin agency notify`: nothing stops silently."""

from __future__ import annotations

import click

from bantin.cli.app import App, actor_option, cli, emit, output_options, pass_app, resolve_actor
from bantin.core.clock import SystemClock
from bantin.records import alerts
from bantin.records.alert_views import alert_rows

ALERT_COLUMNS = ["id", "at_local", "agency", "kind", "channel", "message", "notified", "resolved"]


@cli.group("alerts")
def alerts_group() -> None:
    """Alerts: broken channels and failed publications, and whom they were sent to."""


@alerts_group.command("list")
@click.option("--agency", default=None, help="Only this agency's alerts.")
@click.option("--all", "show_all", is_flag=True, help="Include resolved alerts.")
@output_options
@pass_app
def alerts_list(app: App, agency: str | None, show_all: bool, as_json: bool, as_csv: bool) -> None:
    """List alerts, newest first: open ones unless --all.

    \b
    Example:
      bantin alerts list
      bantin alerts list --agency BAOVL --json
    """
    with app.session() as s:
        rows = alert_rows(s, app.settings.timezone, agency=agency, include_resolved=show_all)
    emit(rows, ALERT_COLUMNS, as_json=as_json, as_csv=as_csv)


@alerts_group.command("resolve")
@click.argument("alert_id", metavar="ID", type=int)
@actor_option
@pass_app
def alerts_resolve(app: App, alert_id: int, actor: str | None) -> None:
    """Mark an alert as dealt with (it stays in the records and the audit trail).

    \b
    Example:
      bantin alerts resolve 12 --actor nguyenvana
    """
    with app.session() as s:
        alerts.resolve_alert(s, alert_id, SystemClock().now(), resolve_actor(actor))
    click.echo(f"alert {alert_id} resolved")


@alerts_group.command("notify")
@pass_app
def alerts_notify(app: App) -> None:
    """Send pending alerts now (`bantin run` does this every minute; use this from cron).

    \b
    Example:
      bantin alerts notify
    """
    stats = alerts.notify_due(app.db, SystemClock().now(), app.settings.timezone, app.settings.home)
    click.echo(f"{stats.sent} alert(s) notified, {stats.failed} not yet")
    for alert_id, error in sorted(stats.errors.items()):
        click.echo(f"alert {alert_id}: {error}", err=True)


@cli.group("agency")
def agency_group() -> None:
    """Per-agency settings (where its alerts go)."""


@agency_group.command("notify")
@click.argument("code")
@click.argument("url")
@actor_option
@pass_app
def agency_notify(app: App, code: str, url: str, actor: str | None) -> None:
    """Send an agency's alerts to a signed webhook or by e-mail. Secrets are references.

    \b
    Example:
      bantin agency notify BAOVL \\
        'mailto:trucban@baovl.vn?smtp=mail.baovl.vn:587&starttls=1&user=bantin&password=secret:SMTP'
      bantin agency notify COMMUNES \\
        'webhook+https://ops.example.vn/alerts?secret=env:OPS_SECRET'
    """
    with app.session() as s:
        shown = alerts.set_notify_url(s, code, url, SystemClock().now(), resolve_actor(actor))
    click.echo(f"{code}: alerts go to {shown}")
