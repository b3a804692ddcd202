"""`bantin campaign …`, `bantin render`, `bantin approve`, `bantin reject`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click

from bantin.campaigns import approval, service, views
from bantin.campaigns.preview import preview
from bantin.cli import labels
from bantin.cli.app import (
    App,
    actor_option,
    cli,
    emit,
    now_option,
    output_options,
    parse_when,
    pass_app,
    resolve_actor,
)
from bantin.cli.content import show_preview
from bantin.cli.dates import WHEN


def warning_word(lang: str) -> str:
    """The word before a warning, in the CLI's language."""
    return "warning" if lang == "en" else "cảnh báo"


FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=False, path_type=Path)
)


@cli.group()
def campaign() -> None:
    """Campaign files: validate, apply, inspect, pause, resume, cancel."""


@campaign.command("validate")
@FILES
@now_option
@pass_app
def campaign_validate(app: App, files: tuple[Path, ...], now: str | None) -> None:
    """Check campaign files against the schema, the plan, the channels and the templates.

    Every problem is listed as FILE:LINE: FIELD: MESSAGE; exit code 1 if any.
    A sample of every (channel, unit kind) pair is rendered, so a template error shows
    up at review, not at 05:30. A campaign that has already ended is valid, with a
    warning: there is nothing left to schedule.

    \b
    Example:
      bantin campaign validate campaigns/*.yaml
    """
    with app.session() as s:
        at = app.clock(now).now()
        validated = service.validate_files(s, list(files), app.settings.home, at, app.lang)
        s.rollback()
    for v in validated:
        for warning in v.warnings:
            click.echo(f"{warning_word(app.lang)}: {warning}", err=True)
        click.echo(
            f"{v.source_path}: ok ({v.spec.id}, {len(v.spec.channels)} channel(s), "
            f"{len([u for u in v.unit_codes if u])} unit(s))"
        )


@campaign.command("apply")
@FILES
@click.option("--horizon", type=int, default=None, help="Days ahead to materialise (default 35).")
@now_option
@actor_option
@pass_app
def campaign_apply(
    app: App, files: tuple[Path, ...], horizon: int | None, now: str | None, actor: str | None
) -> None:
    """Validate, then create or update campaigns and write their publications.

    Nothing is written unless every file is valid. Applying an unchanged file changes
    nothing; a changed file cancels future unsent publications that no longer match.

    \b
    Example:
      bantin campaign apply bantin/data/campaigns/*.yaml
    """
    at = app.clock(now).now()
    days = horizon if horizon is not None else app.settings.horizon_days
    results = service.apply_files(
        app.db,
        list(files),
        at,
        timedelta(days=days),
        resolve_actor(actor),
        app.settings.home,
        app.lang,
    )
    for r in results:
        for warning in r.warnings:
            click.echo(f"{warning_word(app.lang)}: {warning}", err=True)
        m = r.materialised
        click.echo(
            f"{r.campaign}: {r.action}; {m.added} new, {m.cancelled} cancelled, "
            f"{m.revived} restored, {m.reset} to re-approve (to {days} days ahead)"
        )


@campaign.command("list")
@output_options
@pass_app
def campaign_list(app: App, as_json: bool, as_csv: bool) -> None:
    """List campaigns with their state and publication counts.

    \b
    Example:
      bantin campaign list
      bantin campaign list --json
    """
    with app.session() as s:
        rows = views.campaign_rows(s)
    emit(
        rows,
        ["id", "task", "agency", "status", "planned", "published", "title"],
        as_json=as_json,
        as_csv=as_csv,
    )


@campaign.command("show")
@click.argument("campaign_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def campaign_show(app: App, campaign_id: str, as_json: bool) -> None:
    """Show one campaign: its spec, state and publication counts.

    \b
    Example:
      bantin campaign show loa-cds
    """
    with app.session() as s:
        doc = views.campaign_document(s, campaign_id)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for key in (
        "id",
        "title",
        "status",
        "task",
        "agency",
        "kind",
        "approval",
        "priority",
        "source",
        "materialised_until",
    ):
        click.echo(f"{labels.header(key, app.lang):>24}: {labels.cell(key, doc[key], app.lang)}")
    counts = ", ".join(f"{labels.word(k, app.lang)} {v}" for k, v in sorted(doc["counts"].items()))
    click.echo(f"{labels.header('publications', app.lang):>24}: {counts}")


def _set_status(
    app: App, campaign_id: str, status: str, actor: str | None, reason: str | None, now: str | None
) -> int:
    with app.session() as s:
        return service.set_status(
            s, campaign_id, status, app.clock(now).now(), resolve_actor(actor), reason
        )


@campaign.command("pause")
@click.argument("campaign_id")
@actor_option
@now_option
@pass_app
def campaign_pause(app: App, campaign_id: str, actor: str | None, now: str | None) -> None:
    """Stop dispatching a campaign; its publications wait (and go late or missed).

    \b
    Example:
      bantin campaign pause loa-cds
    """
    _set_status(app, campaign_id, "paused", actor, None, now)
    click.echo(f"{campaign_id}: paused")


@campaign.command("resume")
@click.argument("campaign_id")
@actor_option
@now_option
@pass_app
def campaign_resume(app: App, campaign_id: str, actor: str | None, now: str | None) -> None:
    """Resume a paused campaign.

    \b
    Example:
      bantin campaign resume loa-cds
    """
    _set_status(app, campaign_id, "active", actor, None, now)
    click.echo(f"{campaign_id}: active")


@campaign.command("cancel")
@click.argument("campaign_id")
@click.option("--reason", default=None, help="Why, for the record.")
@actor_option
@now_option
@pass_app
def campaign_cancel(
    app: App, campaign_id: str, reason: str | None, actor: str | None, now: str | None
) -> None:
    """Cancel a campaign and every publication of it not yet sent.

    \b
    Example:
      bantin campaign cancel loa-cds --reason "Kế hoạch thay đổi"
    """
    at, who = app.clock(now).now(), resolve_actor(actor)
    n = service.cancel_campaign(app.db, campaign_id, at, who, reason)
    click.echo(f"{campaign_id}: cancelled ({n} publications cancelled)")


@cli.command("render")
@click.argument("campaign_id")
@click.option(
    "--at", "at", required=True, type=WHEN, metavar="DATE", help="Due time to render for."
)
@click.option("--unit", default=None, help="Unit code (default: the first target).")
@click.option("--channel", "channel_name", default=None, help="Channel (default: the first).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (same as --format json).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "json"]),
    default="text",
    help="text (radio scripts with their read-aloud form and read time), html (a page), json.",
)
@click.option("--audio", is_flag=True, help="Also speak a radio script into an audio file.")
@click.option(
    "--voice",
    default=None,
    metavar="ENGINE:VOICE",
    help="Voice for --audio (default: the campaign's, else espeak-ng:vi-vn-x-south).",
)
@pass_app
def render_cmd(
    app: App,
    campaign_id: str,
    at: str,
    unit: str | None,
    channel_name: str | None,
    as_json: bool,
    fmt: str,
    audio: bool,
    voice: str | None,
) -> None:
    """Preview what a campaign publishes at a given time. A radio script is shown with its
    read-aloud form and estimated read time against its slot; `--audio` also writes it as
    speech to $BANTIN_HOME/audio/ and prints the measured length beside the estimate.
    A time the campaign is not scheduled at is still rendered, with a warning naming the
    nearest scheduled times before and after.

    \b
    Example:
      bantin render loa-cds --at 2026-12-01T05:30 --unit 29641
      bantin render loa-cds --at 2026-12-01T05:30 --unit 29641 --audio
      bantin render chuyen-muc-cds --at 2026-12-03T07:00 --format html > bai.html
    """
    result = preview(
        app.db,
        app.settings.home,
        campaign_id,
        parse_when(at, app.settings),
        unit=unit,
        channel_name=channel_name,
        audio=audio,
        voice=voice,
        lang=app.lang,
    )
    for note in (result.unscheduled, result.warning):
        if note:
            click.echo(f"{warning_word(app.lang)}: {note}", err=True)
    fmt = "json" if as_json else fmt
    show_preview(result.rendered, fmt, result.slot_minutes, result.audio_line, app.lang)
    if result.problem:
        raise click.ClickException(result.problem)


@cli.command("approve")
@click.argument("ids", nargs=-1, type=int)
@click.option("--campaign", "campaign_id", default=None, help="Approve all of this campaign…")
@click.option(
    "--until", default=None, type=WHEN, metavar="DATE", help="…due before the end of this date."
)
@actor_option
@now_option
@pass_app
def approve_cmd(
    app: App,
    ids: tuple[int, ...],
    campaign_id: str | None,
    until: str | None,
    actor: str | None,
    now: str | None,
) -> None:
    """Approve publications awaiting review (see `bantin schedule --status pending_approval`).

    \b
    Example:
      bantin approve 101 102
      bantin approve --campaign chuyen-muc-cds --until 2026-12-07
    """
    who, at = resolve_actor(actor), app.clock(now).now()
    with app.session() as s:
        if campaign_id:
            if not until:
                raise click.UsageError("--campaign needs --until DATE")
            service.get(s, campaign_id)
            done = approval.approve_campaign(
                s, campaign_id, parse_when(until, app.settings, end_of_day=True), at, who
            )
        elif ids:
            done = approval.approve(s, ids, at, who)
        else:
            raise click.UsageError("give publication ids, or --campaign ID --until DATE")
        missing = sorted(set(ids) - set(done))
        why = approval.not_approved(s, missing) if missing else ""
        lead = timedelta(hours=app.settings.approval_lead_hours)
        tz = app.settings.timezone
        hint = "" if done or ids else approval.review_hint(s, at, lead, tz, campaign_id)
    click.echo(f"approved {len(done)} publication(s) as {who}")
    if hint:
        click.echo(hint)
    if why:
        raise click.ClickException(why)


@cli.command("reject")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--reason", required=True, help="Why; recorded with the publication.")
@actor_option
@now_option
@pass_app
def reject_cmd(
    app: App, ids: tuple[int, ...], reason: str, actor: str | None, now: str | None
) -> None:
    """Reject publications: they are cancelled with your reason on record.

    \b
    Example:
      bantin reject 123 --reason "Sai số liệu"
    """
    who = resolve_actor(actor)
    with app.session() as s:
        done = approval.reject(s, ids, reason, app.clock(now).now(), who)
        missing = sorted(set(ids) - set(done))
        why = approval.not_approved(s, missing) if missing else ""
    click.echo(f"rejected {len(done)} publication(s) as {who}")
    if why:
        raise click.ClickException(why)
