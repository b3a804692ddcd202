"""`bantin audit verify|export|head`: check the audit chain and its witnesses.

Exit status of `verify`: 0 verified (as far as the output says), 1 broken, 3 the hashes
agree but the events' MACs could not be checked because no audit key was given.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.orm import Session

from bantin.cli.app import App, cli, now_option, pass_app
from bantin.core import audit
from bantin.core.audit import anchor as audit_anchor
from bantin.core.audit import key as audit_key
from bantin.core.audit.chain import VerifyResult
from bantin.core.audit.export import export as export_chain
from bantin.core.audit.export import verify_lines

UNCHECKED = 3
KEY_HINT = f"set {audit_key.KEY_ENV}, pass --key-file, or run `bantin init`"


@cli.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


def _keys(app: App, key_file: Path | None) -> list[bytes] | None:
    if key_file is not None:
        return audit_key.read_key_file(key_file)
    return audit_key.load_keys(app.settings.home)


def _witnesses(
    app: App,
    s: Session,
    chain: VerifyResult,
    keys: list[bytes] | None,
    heads: tuple[str, ...],
    against: Path | None,
) -> tuple[VerifyResult | None, list[str]]:
    """Compare a verified chain with every witness kept outside it; what was compared."""
    said: list[str] = []
    signed, problems = audit_anchor.read_heads(app.settings.home)
    if problems:
        return VerifyResult(False, chain.checked, chain.checked + 1, problems[0]), said
    bad = audit_anchor.check_heads(s, signed, keys, chain)
    if signed:
        newest = max(signed, key=lambda h: h.seq)
        mark = "" if keys else " (signatures not checked: no audit key)"
        said.append(f"{len(signed)} signed heads agree{mark}; newest {newest.where}")
    for text in heads:
        seq, digest = audit_anchor.parse_head_arg(text)
        bad = bad or audit_anchor.check_head(s, seq, digest, f"--head {seq}:{digest}", chain)
        said.append(f"--head {seq} agrees")
    if against is not None and bad is None:
        with against.open(encoding="utf-8") as fh:
            bad = audit_anchor.check_against(s, fh, str(against))
        said.append(f"every event of {against} is present and unchanged")
    return bad, said


def _anchoring(result: VerifyResult, keys: list[bytes] | None) -> tuple[str, int]:
    """One sentence on the MACs, and the exit status it implies."""
    first = result.anchored_from
    if first is None:
        if keys is None:
            return f"NOT anchored: no event carries a MAC and there is no audit key ({KEY_HINT})", 0
        return f"unanchored before sequence {result.checked + 1}: no event carries a MAC yet", 0
    before = f"unanchored before sequence {first}, " if first > 1 else ""
    if keys is None:
        return (
            f"{before}MACs from sequence {first} NOT checked: no audit key ({KEY_HINT}); "
            "a copy rewritten with recomputed hashes would pass this check",
            UNCHECKED,
        )
    return f"{before}every MAC from sequence {first} matches the audit key", 0


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
            result = audit.verify(s, keys)
            if result.ok:
                bad, said = _witnesses(app, s, result, keys, heads, against)
                result = bad or result
        what = "audit chain"
    if not result.ok:
        click.echo(
            f"{what} broken at sequence {result.first_bad_seq}: {result.reason} "
            f"({result.checked} events verified before it)",
            err=True,
        )
        raise SystemExit(1)
    sentence, status = _anchoring(result, keys)
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
