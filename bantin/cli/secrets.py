"""`bantin secret set|list|delete|rotate`: the encrypted store behind `secret:NAME`.

A value is read from standard input or typed at a hidden prompt, never taken from the
command line, where it would stay in shell history and in `ps` for every user to see.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click
from cryptography.fernet import Fernet

from bantin.cli.app import App, actor_option, cli, emit, output_options, pass_app, resolve_actor
from bantin.core.clock import SystemClock
from bantin.secrets import store as secretstore


@cli.group()
def secret() -> None:
    """Secrets for channel and notify URLs (`secret:NAME`), encrypted in the database."""


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def read_value(name: str) -> str:
    """The value from a pipe, or from a hidden prompt typed twice on a terminal."""
    if not _stdin_is_tty():
        # One trailing newline comes from `echo` or a file; it is not part of the secret.
        return sys.stdin.read().removesuffix("\n").removesuffix("\r")
    value: str = click.prompt(
        f"Value of {name}", hide_input=True, confirmation_prompt=True, show_default=False
    )
    return value


def _local(app: App, at: datetime) -> str:
    return at.astimezone(app.settings.timezone).strftime("%Y-%m-%d %H:%M")


@secret.command("set", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@actor_option
@click.pass_context
def secret_set(ctx: click.Context, name: str, actor: str | None) -> None:
    """Store a secret; the value comes from standard input or a hidden prompt.

    \b
    Example:
      bantin secret set FB_TOKEN_BAOVL            # prompts twice, shows nothing
      pass show baovl/page-token | bantin secret set FB_TOKEN_BAOVL
      bantin channel add baovl-fanpage --agency BAOVL \\
        'facebook://1000200030004?token=secret:FB_TOKEN_BAOVL'
    """
    if ctx.args:
        # Say why without echoing what was typed: it may be the secret itself.
        raise click.UsageError(
            "bantin secret set takes only NAME: pipe the value in or type it at the prompt, "
            "so it never lands in shell history"
        )
    app = ctx.find_object(App)
    assert app is not None
    secretstore.check_name(name)
    value = read_value(name)
    with app.session() as s:
        what = secretstore.set_secret(
            s, name, value, SystemClock().now(), actor=resolve_actor(actor), home=app.settings.home
        )
        broken = secretstore.broken_channels_using(s, name)
    click.echo(f"secret {name} {what}")
    for channel in broken:
        click.echo(
            f"channel {channel} is broken; check it with `bantin channel test {channel}`, then "
            f"bring it back with `bantin channel add {channel} URL --agency CODE --replace`",
            err=True,
        )


@secret.command("list")
@output_options
@pass_app
def secret_list(app: App, as_json: bool, as_csv: bool) -> None:
    """List secrets: names, dates and where they are used; never values.

    \b
    Example:
      bantin secret list
      bantin secret list --json
    """
    with app.session() as s:
        rows: list[dict[str, Any]] = [
            {
                "name": r.name,
                "created_at": r.created_at.isoformat(),
                "updated_at": r.updated_at.isoformat(),
                "created": _local(app, r.created_at),
                "updated": _local(app, r.updated_at),
                "used_by": ", ".join(secretstore.used_by(s, r.name)),
            }
            for r in secretstore.list_names(s)
        ]
    emit(rows, ["name", "created", "updated", "used_by"], as_json=as_json, as_csv=as_csv)


@secret.command("delete")
@click.argument("name")
@click.option("--force", is_flag=True, help="Delete even if a channel or agency still uses it.")
@actor_option
@pass_app
def secret_delete(app: App, name: str, force: bool, actor: str | None) -> None:
    """Delete a secret. Refused while a channel or notify URL refers to it, unless --force.

    \b
    Example:
      bantin secret delete OLD_TOKEN
    """
    with app.session() as s:
        users = secretstore.used_by(s, name)
        if users and not force:
            raise click.ClickException(
                f"secret {name} is used by {', '.join(users)}: change those first, or use --force"
            )
        secretstore.delete_secret(s, name, SystemClock().now(), actor=resolve_actor(actor))
    click.echo(f"secret {name} deleted")


@secret.command("rotate")
@actor_option
@pass_app
def secret_rotate(app: App, actor: str | None) -> None:
    """Make a new key and re-encrypt every secret with it.

    With a key file, the new key replaces it (mode 0600; the old one is kept as
    secret.key.old until the rotation is done). With BANTIN_SECRET_KEY, the new key is
    printed once on standard error: put it first in that variable everywhere bantin runs.

    \b
    Example:
      bantin secret rotate
    """
    app.require_db()
    who, now = resolve_actor(actor), SystemClock().now()
    home = app.settings.home
    if secretstore.key_from_env():
        new_key = Fernet.generate_key()
        with app.session() as s:
            n = secretstore.rotate(s, new_key, home=home, now=now, actor=who)
        click.echo(f"{n} secret(s) re-encrypted with a new key.")
        click.echo(
            "NEW KEY (shown once, not stored anywhere):\n"
            f"  {new_key.decode()}\n"
            f"Put it first in {secretstore.KEY_ENV} of every bantin process, e.g.\n"
            f"  {secretstore.KEY_ENV}=<new key>,<old key>\n"
            "and restart them: until then they cannot read the re-encrypted secrets. Drop "
            "the old key once every process has the new one.",
            err=True,
        )
        return
    with secretstore.key_file_rotation(home) as new_key, app.session() as s:
        n = secretstore.rotate(s, new_key, home=home, now=now, actor=who)
    click.echo(f"{n} secret(s) re-encrypted; new key in {secretstore.key_path(home)} (mode 0600)")
