"""`bantin receipts add` and `bantin receipts list`: broadcasts confirmed by culture staff.

Thin on purpose: the checks and the audit event live in `bantin.records.receipts`, shared
with the web form, so a receipt typed here and one posted from a phone are the same.
"""

from __future__ import annotations

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
from bantin.records.receipts import ReceiptError, ReceiptInput, add_receipt, list_receipts

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
    "--aired-at", default=None, metavar="ISO", help="When it was aired (local; default now)."
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
    )
    try:
        with app.session() as s:
            doc = add_receipt(s, inp, app.clock(now).now(), settings.timezone)
    except ReceiptError as exc:
        raise click.ClickException(str(exc)) from exc
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
@click.option("--from", "start", default=None, metavar="DATE", help="Aired at or after (local).")
@click.option("--to", "end", default=None, metavar="DATE", help="Aired up to the end of (local).")
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
