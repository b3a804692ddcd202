"""`bantin user add|list|disable|reset-password|bootstrap` and `bantin token
create|list|revoke`: desk accounts and API tokens. Thin: bantin.accounts does the work."""

from __future__ import annotations

import json

import click

from bantin.accounts import api_tokens, bootstrap, users
from bantin.cli.app import (
    App,
    actor_option,
    cli,
    emit,
    now_option,
    output_options,
    pass_app,
    resolve_actor,
)
from bantin.core.account_models import ROLES

USER_COLUMNS = ["username", "name", "role", "agency", "units", "groups", "active", "demo"]
TOKEN_COLUMNS = ["id", "agency", "label", "scopes", "created_at", "last_used_at", "revoked_at"]
ONCE = "This is the only time the password is shown; it can be changed with reset-password."


@cli.group("user")
def user_group() -> None:
    """Accounts of the web desk: editors, approvers, culture staff, the auditor, admins.

    \b
    Example:
      bantin user add hoa.nguyen --name "Nguyễn Thị Hoa" --role editor --agency BAOVL
      bantin user add vh.cainhum --name "Cán bộ VH" --role culture --unit 29641
      bantin user list
      bantin user disable hoa.nguyen
    """


@user_group.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name shown in the desk.")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--agency", default=None, help="Agency code (editors and approvers).")
@click.option("--unit", "units", multiple=True, help="Unit code (culture staff; repeatable).")
@click.option("--group", "groups", multiple=True, help="Unit group (culture staff; repeatable).")
@actor_option
@now_option
@pass_app
def user_add(
    app: App,
    username: str,
    display_name: str,
    role: str,
    agency: str | None,
    units: tuple[str, ...],
    groups: tuple[str, ...],
    actor: str | None,
    now: str | None,
) -> None:
    """Create an account and print its generated password once.

    \b
    Example:
      bantin user add vh.cainhum --name "Cán bộ VH" --role culture --unit 29641
    """
    new = users.NewUser(username, display_name, role, agency, units, groups)
    with app.session() as s:
        _, password = users.add_user(s, new, None, resolve_actor(actor), app.clock(now).now())
    click.echo(f"user {username} ({role}); password: {password}")
    click.echo(ONCE, err=True)


@user_group.command("list")
@output_options
@pass_app
def user_list(app: App, as_json: bool, as_csv: bool) -> None:
    """Every account (never a password or its hash).

    \b
    Example:
      bantin user list
    """
    with app.session() as s:
        rows = users.list_users(s)
    for row in rows:
        row["units"], row["groups"] = " ".join(row["units"]), " ".join(row["groups"])
    emit(rows, USER_COLUMNS, as_json=as_json, as_csv=as_csv)


@user_group.command("disable")
@click.argument("username")
@actor_option
@now_option
@pass_app
def user_disable(app: App, username: str, actor: str | None, now: str | None) -> None:
    """Stop an account; its open sessions end at their next request.

    \b
    Example:
      bantin user disable vh.cainhum
    """
    with app.session() as s:
        users.disable_user(s, username, resolve_actor(actor), app.clock(now).now())
    click.echo(f"user {username} disabled")


@user_group.command("reset-password")
@click.argument("username")
@actor_option
@now_option
@pass_app
def user_reset(app: App, username: str, actor: str | None, now: str | None) -> None:
    """Give an account a new generated password (printed once) and lift its lockout.

    \b
    Example:
      bantin user reset-password vh.cainhum
    """
    with app.session() as s:
        password = users.reset_password(
            s, username, None, resolve_actor(actor), app.clock(now).now()
        )
    click.echo(f"user {username}; new password: {password}")
    click.echo(ONCE, err=True)


@user_group.command("bootstrap")
@actor_option
@now_option
@pass_app
def user_bootstrap(app: App, actor: str | None, now: str | None) -> None:
    """Create the first admin (`admin`) with a one-time password, if there is no admin.

    \b
    Example:
      bantin user bootstrap
    """
    with app.session() as s:
        password = bootstrap.first_admin(s, resolve_actor(actor), app.clock(now).now())
    if password is None:
        click.echo(
            "an admin exists already (bantin user reset-password admin makes a new password)"
        )
        return
    click.echo(f"first admin: user admin, password {password}")
    click.echo(ONCE, err=True)


@cli.group("token")
def token_group() -> None:
    """Bearer tokens of an agency for the JSON API (/api/v1), with scopes.

    Scopes: read (schedule, publications, records, campaigns, reports), write (apply
    campaigns), receipts (post broadcast receipts, for loudspeaker vendors), calendar
    (alone: the iCalendar feed /lich/<token>.ics, no API route). A token is shown once;
    only its SHA-256 is stored.

    \b
    Example:
      bantin token create --agency BAOVL --label "CMS" --scope read --scope write
      bantin token create --agency BAOVL --label "Lịch Outlook" --scope calendar
      bantin token list
      bantin token revoke 3
    """


@token_group.command("create")
@click.option("--agency", required=True, help="Agency code the token acts for.")
@click.option("--label", required=True, help="Who holds it (≤ 64 chars).")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["read", "write", "receipts", "calendar"]),
    default=("read",),
    show_default=True,
    help="Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (includes the token).")
@actor_option
@now_option
@pass_app
def token_create(
    app: App,
    agency: str,
    label: str,
    scopes: tuple[str, ...],
    as_json: bool,
    actor: str | None,
    now: str | None,
) -> None:
    """Create a token and print it (the only time it is shown).

    \b
    Example:
      bantin token create --agency BAOVL --label CMS --scope read
    """
    with app.session() as s:
        row, text = api_tokens.create(
            s, agency, label, list(scopes), resolve_actor(actor), app.clock(now).now()
        )
        ident = {
            "id": row.id,
            "agency": row.agency_code,
            "label": row.label,
            "scopes": row.scopes,
        }
    if as_json:
        click.echo(json.dumps({**ident, "token": text}, ensure_ascii=False))
        return
    click.echo(f"token #{ident['id']} of {agency} ({ident['scopes']}):")
    click.echo(text)
    if "calendar" in scopes:
        from bantin.web.security import public_base

        base = public_base(app.settings) or "<BANTIN_PUBLIC_URL>"
        click.echo(f"calendar feed: {base}/lich/{text}.ics")
    click.echo(
        "This is the only time the token is shown (Authorization: Bearer <token>).", err=True
    )


@token_group.command("list")
@click.option("--agency", default=None, help="Agency code.")
@output_options
@pass_app
def token_list(app: App, agency: str | None, as_json: bool, as_csv: bool) -> None:
    """Tokens with their last use (never the token text).

    \b
    Example:
      bantin token list --agency BAOVL
    """
    with app.session() as s:
        rows = api_tokens.list_tokens(s, agency)
    emit(rows, TOKEN_COLUMNS, as_json=as_json, as_csv=as_csv)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@actor_option
@now_option
@pass_app
def token_revoke(app: App, token_id: int, actor: str | None, now: str | None) -> None:
    """Stop a token at once.

    \b
    Example:
      bantin token revoke 3
    """
    with app.session() as s:
        api_tokens.revoke(s, token_id, resolve_actor(actor), app.clock(now).now())
    click.echo(f"token #{token_id} revoked")
