"""`bantin feeds token create|list|revoke`: who may read a unit's loudspeaker feed."""

from __future__ import annotations

import json

import click

from bantin.cli.app import (
    App,
    actor_option,
    emit,
    now_option,
    output_options,
    pass_app,
    resolve_actor,
)
from bantin.cli.feeds import feeds_group
from bantin.records.feed_tokens import FeedTokenError, create_token, list_tokens, revoke_token

TOKEN_COLUMNS = ["id", "audience", "label", "created_local", "last_used_local", "revoked_local"]
group_option = click.option(
    "--group", "is_group", is_flag=True, help="TARGET is a unit group name, not a unit code."
)


def _kind(is_group: bool) -> str:
    return "nhom" if is_group else "don-vi"


@feeds_group.group("token")
def token_group() -> None:
    """Read tokens of the loudspeaker feeds (/loa/...): one unit or unit group each.

    The Atom feed, the day sheets and the recordings of a unit open only with a live
    token of that unit in the URL (`?token=`); without one, or with a revoked or another
    unit's token, they answer 404. A token is shown once; only its SHA-256 is stored.

    \b
    Example:
      bantin feeds token create 29641 --label "Phần mềm loa Cái Nhum"
      bantin feeds token list 29641
      bantin feeds token revoke 29641 --id 3
    """


@token_group.command("create")
@click.argument("target")
@group_option
@click.option("--label", default="Phần mềm loa", show_default=True, help="Who holds it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (includes the token).")
@actor_option
@now_option
@pass_app
def token_create(
    app: App,
    target: str,
    is_group: bool,
    label: str,
    as_json: bool,
    actor: str | None,
    now: str | None,
) -> None:
    """Create a token for unit TARGET and print its feed URL (the only time it is shown).

    \b
    Example:
      bantin feeds token create 29641
      bantin feeds token create thi-diem --group --label "Trạm phát thanh tỉnh"
    """
    kind = _kind(is_group)
    with app.session() as s:
        row, token = create_token(
            s, kind, target, label, resolve_actor(actor), app.clock(now).now()
        )
        ident = {"id": row.id, "audience": f"{kind}/{target}", "label": row.label}
    base = (app.settings.public_url or "").rstrip("/")
    feed = f"{base}/loa/{kind}/{target}/feed.atom?token={token}"
    calendar = f"{base}/loa/{kind}/{target}/lich.ics?token={token}"
    if as_json:
        urls = {"feed_url": feed, "calendar_url": calendar}
        click.echo(json.dumps({**ident, "token": token, **urls}, ensure_ascii=False))
        return
    click.echo(f"token #{row.id} for {kind}/{target} ({row.label}):")
    click.echo(token)
    click.echo(f"feed: {feed}")
    click.echo(f"calendar (iCalendar): {calendar}")
    click.echo("This is the only time the token is shown.", err=True)


@token_group.command("list")
@click.argument("target", required=False)
@group_option
@click.option("--all", "show_all", is_flag=True, help="Include revoked tokens.")
@output_options
@pass_app
def token_list(
    app: App, target: str | None, is_group: bool, show_all: bool, as_json: bool, as_csv: bool
) -> None:
    """Tokens (never their text) with their last use; live ones unless --all.

    \b
    Example:
      bantin feeds token list 29641 --all
    """
    kind = _kind(is_group) if target else None
    with app.session() as s:
        rows = list_tokens(
            s,
            app.settings.timezone,
            kind=kind,
            keys=[target] if target else None,
            revoked=show_all,
        )
    emit(rows, TOKEN_COLUMNS, as_json=as_json, as_csv=as_csv)


@token_group.command("revoke")
@click.argument("target")
@group_option
@click.option("--id", "token_id", type=int, default=None, help="Only this token.")
@actor_option
@now_option
@pass_app
def token_revoke(
    app: App, target: str, is_group: bool, token_id: int | None, actor: str | None, now: str | None
) -> None:
    """Revoke the live tokens of unit TARGET (or only --id): their URLs answer 404 at once.

    \b
    Example:
      bantin feeds token revoke 29641 --id 3
    """
    kind, when, who = _kind(is_group), app.clock(now).now(), resolve_actor(actor)
    with app.session() as s:
        live = list_tokens(s, app.settings.timezone, kind=kind, keys=[target])
        ids = [r["id"] for r in live if token_id is None or r["id"] == token_id]
        if not ids:
            raise FeedTokenError(f"no live feed token of {kind}/{target} to revoke")
        for one in ids:
            revoke_token(s, one, who, when)
    for one in ids:
        click.echo(f"token #{one} of {kind}/{target} revoked")
