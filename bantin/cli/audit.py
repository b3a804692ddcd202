"""`bantin audit verify|export|head`: check the audit chain and its witnesses.

Exit status of `verify`: 0 verified (as far as the output says), 1 broken, 3 the hashes
agree but the events' MACs could not be checked because no audit key was given.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bantin.cli.app import App, cli, now_option, pass_app
from bantin.core import audit
from bantin.core.audit import anchor as audit_anchor
from bantin.core.audit import key as audit_key
from bantin.core.audit.chain import VerifyResult
from bantin.core.audit.export import export as export_chain
from bantin.core.audit.export import verify_lines
from bantin.core.audit.witnesses import KEY_HINT, anchoring_summary, check_witnesses


@cli.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


def _keys(app: App, key_file: Path | None) -> list[bytes] | None:
    if key_file is not None:
        return audit_key.read_key_file(key_file)
    return audit_key.load_keys(app.settings.home)


@audit_group.command("verify")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Check an export (bantin audit export) instead, offline: no database is opened.",
)
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="EXPORT",
    help="An earlier export: each of its events must still be in the database, unchanged.",
)
@click.option(
    "--head",
    "heads",
    multiple=True,
    metavar="SEQ:HASH",
    help="A head noted earlier (printed by verify and export); repeatable.",
)
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"Audit key file (default: {audit_key.KEY_ENV}, else $BANTIN_HOME/audit.key).",
)
@pass_app
def audit_verify(
    app: App, path: Path | None, against: Path | None, heads: tuple[str, ...], key_file: Path | None
) -> None:
    """Check the hash chain and each event's MAC, then the chain against the signed
    heads in $BANTIN_HOME/audit-heads/ and any --head or --against given. Names the first
    bad sequence number. Exit 1 if broken, 3 if MACs could not be checked (no key).

    \b
    Example:
      bantin audit verify
      bantin audit verify --against audit-2026-12-05.jsonl --head 1200:9f86d0…
      bantin audit verify --file audit-2026-12-05.jsonl --key-file audit.key
    """
    for text in heads:
        try:
            audit_anchor.parse_head_arg(text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--head") from None
    keys = _keys(app, key_file)
    said: list[str] = []
    if path is not None:
        if against is not None or heads:
            raise click.UsageError("--against and --head compare with the database, not --file")
        with path.open(encoding="utf-8") as fh:
            result = verify_lines(fh, keys)
        what = f"audit export {path}"
    else:
        with app.session() as s:
            audit.seal(s)  # PostgreSQL: events staged by the runners join the chain first
            result = audit.verify(s, keys)
            if result.ok:
                bad, said = check_witnesses(app.settings.home, s, result, keys, heads, against)
                result = bad or result
        what = "audit chain"
    if not result.ok:
        click.echo(
            f"{what} broken at sequence {result.first_bad_seq}: {result.reason} "
            f"({result.checked} events verified before it)",
            err=True,
        )
        raise SystemExit(1)
    sentence, status = anchoring_summary(result, keys)
    verdict = "intact" if keys is not None else "hashes consistent"
    head = f"{result.checked}:{result.last_hash}"
    click.echo(f"{what} {verdict}: {result.checked} events, head {head}")
    click.echo(f"  {sentence}")
    for line in said:
        click.echo(f"  {line}")
    if status:
        raise SystemExit(status)


@audit_group.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (default: standard output).",
)
@now_option
@pass_app
def audit_export(app: App, output: Path | None, now: str | None) -> None:
    """Write the whole audit chain as JSON Lines for an external archive: every field of
    every event (hashes and MACs included), then a line with the head's sequence and hash.

    \b
    Example:
      bantin audit export -o audit-2026-12-05.jsonl
      bantin audit verify --file audit-2026-12-05.jsonl
      bantin audit verify --against audit-2026-12-05.jsonl     (later, on the database)
    """
    at = app.clock(now).now()
    with app.session() as s:
        if output is None:
            export_chain(s, sys.stdout, at)
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8", newline="\n") as fh:
            count, seq, digest = export_chain(s, fh, at)
    click.echo(f"wrote {count} events to {output}; head {seq}:{digest}", err=True)


@audit_group.command("head")
@now_option
@pass_app
def audit_head(app: App, now: str | None) -> None:
    """Verify the chain and append a signed head (sequence, hash, MAC) to
    $BANTIN_HOME/audit-heads/DATE.jsonl; `bantin run` does this every night. Ship those
    files off the machine: they are what shows that newest events were deleted.

    \b
    Example:
      bantin audit head && rsync -a $BANTIN_HOME/audit-heads/ backup:/srv/bantin-heads/
    """
    app.require_db()
    keys = _keys(app, None)
    if keys is None:
        raise click.ClickException(f"no audit key to sign with: {KEY_HINT}")
    at = app.clock(now).now()
    with app.session() as s:
        written = audit_anchor.sign_head(s, app.settings.home, at, app.settings.timezone, keys)
    if isinstance(written, VerifyResult):
        click.echo(
            f"nothing signed: audit chain broken at sequence {written.first_bad_seq}: "
            f"{written.reason}",
            err=True,
        )
        raise SystemExit(1)
    file, line = written
    click.echo(f"signed head {line['seq']}:{line['hash']} appended to {file}")
