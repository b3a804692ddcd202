"""`bantin init`, `bantin run`, `bantin dispatch`, `bantin demo setup`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bantin.cli.app import App, actor_option, cli, now_option, pass_app, resolve_actor
from bantin.core import audit
from bantin.core.audit import anchor as audit_anchor
from bantin.core.audit import key as audit_key
from bantin.core.fileperms import secure_home
from bantin.runlock import runner_lock
from bantin.scheduler import Runner, runner_id
from bantin.secrets import store as secretstore


@cli.command("init")
@actor_option
@pass_app
def init_cmd(app: App, actor: str | None) -> None:
    """Create or upgrade the database and load the bundled plan, agencies and units.

    Running it twice changes nothing.

    \b
    Example:
      BANTIN_HOME=/var/lib/bantin bantin init
    """
    from bantin.core.clock import SystemClock
    from bantin.migrate import upgrade  # Alembic: only here, not in every command's start
    from bantin.plan.loader import load_plan

    secure_home(app.settings.home)  # 0700: the database, keys and lock live here
    upgrade(app.create_db())
    key_file = secretstore.ensure_key_file(app.settings.home)
    audit_file = audit_key.ensure_key_file(app.settings.home)
    now, who = SystemClock().now(), resolve_actor(actor)
    with app.session() as s:
        result = load_plan(s, now, actor=who)
        if audit_file:  # the first MAC covers every event before it
            audit.append(s, now, who, "audit.anchored", "audit", "key", {})
    if audit_file:
        click.echo(f"audit key created: {audit_file} (mode 0600; keep a copy off the machine)")
        with app.session() as s:
            audit_anchor.daily_head(s, app.settings.home, now, app.settings.timezone)
    what = "loaded" if result.changed else "already current"
    click.echo(f"database ready: {app.db.engine.url.render_as_string()}")
    if key_file:
        click.echo(f"secret key created: {key_file} (mode 0600; back it up with the database)")
    click.echo(
        f"plan {result.plan} {what}: {result.tasks} tasks, {result.objectives} objectives, "
        f"{result.agencies} agencies, {result.units} units, {result.groups} unit groups"
    )


@cli.command("run")
@click.option(
    "--for",
    "for_seconds",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Stop after this many seconds (default: until SIGINT/SIGTERM).",
)
@pass_app
def run_cmd(app: App, for_seconds: float | None) -> None:
    """Run the scheduler: materialise daily, dispatch every publication when due.

    Stops cleanly on Ctrl-C or SIGTERM: sends in flight finish, unstarted claims are
    released.

    \b
    Example:
      bantin run
      bantin run --for 60
    """
    db = app.db  # before the lock: no lock file beside a database that is not there
    with runner_lock(app.settings.db_url):
        Runner(db, app.settings).run(for_seconds)


@cli.command("dispatch")
@click.option(
    "--once", is_flag=True, required=True, help="One pass, then exit (for cron and tests)."
)
@now_option
@pass_app
def dispatch_cmd(app: App, once: bool, now: str | None) -> None:
    """Send whatever is due now, once, and exit.

    \b
    Example:
      bantin dispatch --once
      bantin dispatch --once --now 2026-12-01T05:30
    """
    from bantin.dispatch import Dispatcher
    from bantin.shared_limits import limits_for
    from bantin.takeover import expire_all_but

    db = app.db  # before the lock: no lock file beside a database that is not there
    with runner_lock(app.settings.db_url):
        clock, me = app.clock(now), runner_id()
        if db.is_sqlite:  # the run lock proves every other claimer is gone
            expire_all_but(db, me, clock.now())
        limits = limits_for(db) if now is None else None
        # What is due now, no more: rows due in the next seconds are not made ready and
        # waited for (bantin.ahead is for `bantin run`).
        dispatcher = Dispatcher(db, app.settings, clock, me, limits=limits, lead=0.0)
        try:
            stats = dispatcher.run_pass()
        finally:
            dispatcher.close()
    click.echo(
        f"{stats.claimed} claimed: {stats.published} published, {stats.retried} to retry, "
        f"{stats.failed} failed, {stats.missed} missed, {stats.unknown} unknown; "
        f"{stats.recovered} recovered after a crash, {stats.reviews} rendered for review"
    )


@cli.group()
def demo() -> None:
    """A ready-made demonstration on outbox channels (no credentials needed)."""


DEMO_CHANNELS = [
    ("baovl-fanpage", "outbox://outbox/baovl-fanpage", "BAOVL"),
    ("baovl-portal", "outbox://outbox/baovl-portal", "BAOVL"),
    ("loa-xa", "outbox://outbox/loa-xa", "COMMUNES"),
    ("skhcn-fanpage", "outbox://outbox/skhcn-fanpage", "SKHCN"),
]


@demo.command("setup")
@click.option(
    "--minutes",
    type=int,
    default=10,
    show_default=True,
    help="Length of the every-minute demo campaign.",
)
@actor_option
@now_option
@pass_app
def demo_setup(app: App, minutes: int, actor: str | None, now: str | None) -> None:
    """Add outbox channels, apply the bundled example campaigns, and a demo campaign due
    every minute for the next few minutes, so output appears at once.

    The demo campaign sends one short bulletin a minute to the five pilot communes for
    --minutes minutes (10 by default) from the next minute on, as files under
    $BANTIN_HOME/outbox/loa-xa/; then it ends and only the example campaigns' regular
    slots remain. Running it again starts a new run of minutes.

    \b
    Example:
      bantin demo setup
      bantin demo setup --minutes 5
    """
    from bantin.campaigns import service
    from bantin.channels.service import add_channel
    from bantin.plan.loader import DATA

    who, at = resolve_actor(actor), app.clock(now).now()
    home = app.settings.home
    demo_file = write_demo_campaign(home, at, minutes, app.settings.timezone)
    examples = sorted((DATA / "campaigns").glob("*.yaml"))
    with app.session() as s:
        for name, url, agency in DEMO_CHANNELS:
            add_channel(s, name, url, agency, at, who, replace=True, home=home)
    results = service.apply_files(
        app.db, [*examples, demo_file], at, timedelta(days=app.settings.horizon_days), who, home
    )
    for r in results:
        click.echo(f"{r.campaign}: {r.action}, {r.materialised.added} new publications")
    click.echo(f"output goes to {home / 'outbox'}")
    from bantin.accounts.bootstrap import demo_users

    with app.session() as s:
        logins = demo_users(s, who, at)
    for username, role, password in logins:  # demo only: never real people
        click.echo(f"DEMO account (thử nghiệm) {username} ({role}): password {password}")


def write_demo_campaign(home: Path, now: datetime, minutes: int, tz: ZoneInfo) -> Path:
    """A campaign file with one bulletin a minute from the next minute on."""
    start = (now.astimezone(tz) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    times = [start + timedelta(minutes=i) for i in range(minutes)]
    template = "radio/ban-tin-demo.txt.j2"  # a bundle name: absolute paths are refused
    lines = [
        "# Generated by `bantin demo setup`: one short bulletin a minute, so `make run`",
        "# shows output at once. Safe to delete.",
        "id: demo-moi-phut",
        "title: Bản tin thử nghiệm mỗi phút",
        'task: "1.3"',
        "agency: COMMUNES",
        "kind: radio_script",
        f"period: {{start: {times[0].date().isoformat()}, end: {times[-1].date().isoformat()}}}",
        "targets: group:thi-diem",
        "channels: [loa-xa]",
        f"template: {template}",
        "schedule:",
        *[f"  - at: {t.strftime('%Y-%m-%dT%H:%M')}" for t in times],
    ]
    path = home / "campaigns" / "demo-moi-phut.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
