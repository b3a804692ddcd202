"""`bantin backup` and `bantin restore` (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

import click

from bantin.backup import prune, take_backup
from bantin.cli.app import App, cli, pass_app
from bantin.core.clock import SystemClock


@cli.command("backup")
@click.argument("dest", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--include-keys",
    is_flag=True,
    help="Also copy the secret key(s) into the backup (then guard it like the keys).",
)
@click.option(
    "--keep", type=int, default=None, help="Then delete all but the newest N backups in DEST."
)
@pass_app
def backup_cmd(app: App, dest: Path | None, include_keys: bool, keep: int | None) -> None:
    """Copy the database into a new folder under DEST while bantin keeps running.

    DEST defaults to BANTIN_BACKUP_DIR. The folder holds the data and manifest.json (schema,
    counts, audit head, checksum, and which keys it needs and where they go). Keys are not
    copied unless --include-keys: keep them apart from the data.

    \b
    Example:
      bantin backup /srv/backup/bantin
      bantin backup /srv/backup/bantin --keep 14
    """
    app.require_db()
    target = dest or app.settings.backup_dir
    if target is None:
        raise click.UsageError("give DEST or set BANTIN_BACKUP_DIR")
    made = take_backup(
        app.settings.db_url,
        app.settings.home,
        target,
        SystemClock().now(),
        include_keys=include_keys,
    )
    removed = prune(target, keep) if keep else []
    m = made.manifest
    click.echo(f"backup written: {made.folder}")
    if m["database"] == "sqlite":
        head = m["audit_head"] or {"seq": 0}
        click.echo(
            f"schema {m['schema_revision']}, {m['publications']} publications, "
            f"audit chain up to event {head['seq']}"
        )
    for key in m["keys"]:
        where = "copied into the backup" if include_keys else f"NOT copied: keep {key['source']}"
        click.echo(f"key {key['name']}: {where}; on restore it goes to {key['restore_to']}")
    for folder in removed:
        click.echo(f"removed old backup {folder}")


@cli.command("restore")
@click.argument("src", type=click.Path(path_type=Path, exists=True))
@click.option("--force", is_flag=True, help="Replace a database that already has data.")
@pass_app
def restore_cmd(app: App, src: Path, force: bool) -> None:
    """Restore a backup folder into this instance, migrate it and verify the audit chain.

    Refused while a runner uses the database, and over existing data without --force.
    Says "done" only when the chain verifies and ends where the backup recorded it.

    \b
    Example:
      BANTIN_HOME=/var/lib/bantin bantin restore /srv/backup/bantin/bantin-20261201T193000Z
    """
    from bantin.restore import restore

    result = restore(src, app.settings.db_url, app.settings.home, force=force)
    for path in result.keys_installed:
        click.echo(f"key installed: {path}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"done: schema {result.revision}, audit chain intact ({result.audit_events} events), "
        f"{result.secrets_ok} secrets readable"
    )
