"""`bantin receipts add|list`: broadcasts confirmed by culture staff; `bantin receipts
token create|list|revoke`: the per-unit tokens the web form needs.

Thin on purpose: the checks and the audit event live in `bantin.records.receipts`, shared
with the web form, so a receipt typed here and one posted from a phone are the same.
"""

from __future__ import annotations

import json

import click

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
from bantin.cli.dates import WHEN
from bantin.records.receipt_tokens import create_token, list_tokens, revoke_token
from bantin.records.receipts import ReceiptInput, add_receipt, list_receipts

RECEIPT_COLUMNS = [
    "id",
    "publication_id",
    "unit",
    "unit_name",
    "aired_local",
    "duration_seconds",
    "reported_by",
    "source",
    "note",
]


@cli.group("receipts")
def receipts_group() -> None:
    """Broadcast receipts: culture staff confirm a radio script was aired in a unit.

    \b
    Example:
      bantin receipts add --publication 1234 --unit 29641 --aired-at 2026-12-03T05:31
      bantin receipts list --unit 29641 --from 2026-12-01 --to 2026-12-07
    """


@receipts_group.command("add")
@click.option("--publication", "publication_id", type=int, default=None, help="Publication id.")
@click.option("--key", default=None, help="…or its idempotency key (the feed entry id).")
@click.option("--unit", "unit_code", required=True, help="Unit code that aired it.")
@click.option(
    "--aired-at",
    default=None,
    type=WHEN,
    metavar="DATE",
    help="When it was aired (local; default now).",
)
@click.option("--duration", type=float, default=None, metavar="SECONDS", help="How long it ran.")
@click.option("--note", default=None, help="Anything worth recording (e.g. aired twice).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@now_option
@pass_app
def receipts_add(
    app: App,
    publication_id: int | None,
    key: str | None,
    unit_code: str,
    aired_at: str | None,
    duration: float | None,
    note: str | None,
    as_json: bool,
    actor: str | None,
    now: str | None,
) -> None:
    """Record that a unit aired a radio script (once per publication and unit).

    The actor is recorded as the person who reported it, and the receipt is an audit
    event. Exit 1 with the reason if the publication is not a radio script for that
    unit, or the unit already confirmed it.

    \b
    Example:
      bantin receipts add --publication 1234 --unit 29641
      bantin receipts add --key 3f2a9c0e5b1d4e7f --unit 29641 \\
          --aired-at 2026-12-03T05:31 --duration 185 --actor ntlan
    """
    if (publication_id is None) == (key is None):
        raise click.UsageError("give exactly one of --publication or --key")
    settings = app.settings
    inp = ReceiptInput(
        unit_code=unit_code,
        reported_by=resolve_actor(actor),
        source="cli",
        publication_id=publication_id,
        key=key,
        aired_at=parse_when(aired_at, settings) if aired_at else None,
        duration_seconds=duration,
        note=note,
        actor=resolve_actor(actor),
    )
    with app.session() as s:
        doc = add_receipt(s, inp, app.clock(now).now(), settings.timezone)
    if as_json:
        emit([doc], RECEIPT_COLUMNS, as_json=True)
        return
    click.echo(
        f"receipt {doc['id']}: publication {doc['publication_id']} aired in "
        f"{doc['unit_name']} ({doc['unit']}) at {doc['aired_local']}, "
        f"reported by {doc['reported_by']}"
    )


@receipts_group.command("list")
@click.option("--unit", default=None, help="Unit code.")
@click.option(
    "--from", "start", default=None, type=WHEN, metavar="DATE", help="Aired at or after (local)."
)
@click.option(
    "--to", "end", default=None, type=WHEN, metavar="DATE", help="Aired up to the end of (local)."
)
@output_options
@pass_app
def receipts_list(
    app: App,
    unit: str | None,
    start: str | None,
    end: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Receipts in airing order.

    \b
    Example:
      bantin receipts list --unit 29641 --from 2026-12-01 --to 2026-12-31 --csv
    """
    settings = app.settings
    with app.session() as s:
        rows = list_receipts(
            s,
            settings.timezone,
            unit=unit,
            start=parse_when(start, settings) if start else None,
            end=parse_when(end, settings, end_of_day=True) if end else None,
        )
    emit(rows, RECEIPT_COLUMNS, as_json=as_json, as_csv=as_csv)


TOKEN_COLUMNS = ["id", "unit", "label", "created_local", "created_by", "revoked_local"]


@receipts_group.group("token")
def token_group() -> None:
    """Per-unit tokens that let culture staff post receipts over the web.

    A token is shown once, when created; only its SHA-256 is stored. Web receipts made
    with it are recorded in the audit trail as "unit <code> token #<id> (<label>)".

    \b
    Example:
      bantin receipts token create --unit 29641 --label "Cán bộ VH Cái Nhum"
      bantin receipts token list --unit 29641
      bantin receipts token revoke 3
    """


@token_group.command("create")
@click.option("--unit", "unit_code", required=True, help="Unit code the token confirms for.")
@click.option(
    "--label", default="Cán bộ văn hóa", show_default=True, help="Who holds it (≤ 64 chars)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (includes the token).")
@actor_option
@now_option
@pass_app
def token_create(
    app: App, unit_code: str, label: str, as_json: bool, actor: str | None, now: str | None
) -> None:
    """Create a token for a unit and print it (the only time it is shown).

    \b
    Example:
      bantin receipts token create --unit 29641 --label "Cán bộ VH Cái Nhum"
    """
    with app.session() as s:
        row, token = create_token(s, unit_code, label, resolve_actor(actor), app.clock(now).now())
        ident = {"id": row.id, "unit": row.unit_code, "label": row.label}
    form = f"{(app.settings.public_url or '').rstrip('/')}/loa/receipts/form?token={token}"
    if as_json:
        click.echo(json.dumps({**ident, "token": token, "form_url": form}, ensure_ascii=False))
        return
    click.echo(f"token #{row.id} for unit {row.unit_code} ({row.label}):")
    click.echo(token)
    click.echo(f"form page: {form}")
    click.echo(
        "This is the only time the token is shown: give it to the unit's culture staff "
        "(API: Authorization: Bearer <token>).",
        err=True,
    )


@token_group.command("list")
@click.option("--unit", default=None, help="Unit code.")
@click.option("--all", "show_all", is_flag=True, help="Include revoked tokens.")
@output_options
@pass_app
def token_list(app: App, unit: str | None, show_all: bool, as_json: bool, as_csv: bool) -> None:
    """Tokens (never the token text), live ones unless --all.

    \b
    Example:
      bantin receipts token list --unit 29641 --all
    """
    with app.session() as s:
        rows = list_tokens(s, app.settings.timezone, unit=unit, revoked=show_all)
    emit(rows, TOKEN_COLUMNS, as_json=as_json, as_csv=as_csv)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@actor_option
@now_option
@pass_app
def token_revoke(app: App, token_id: int, actor: str | None, now: str | None) -> None:
    """Revoke a token at once: web receipts made with it are refused from now on.

    \b
    Example:
      bantin receipts token revoke 3
    """
    with app.session() as s:
        row = revoke_token(s, token_id, resolve_actor(actor), app.clock(now).now())
        unit, label = row.unit_code, row.label
    click.echo(f"token #{token_id} of unit {unit} ({label}) revoked")
