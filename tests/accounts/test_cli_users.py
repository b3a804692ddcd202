"""`bantin user …` and `bantin token …`: passwords and tokens shown once, stored hashed,
clear one-sentence errors, every change audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from bantin.accounts import passwords
from bantin.core.account_models import ApiToken, UserAccount
from bantin.core.db import Database
from bantin.core.models import AuditEvent
from tests.conftest import Cli


def test_user_add_prints_a_password_once_and_stores_only_its_hash(
    run_cli: Cli, db: Database
) -> None:
    result = run_cli(
        "user",
        "add",
        "hoa.nguyen",
        "--name",
        "Nguyễn Thị Hoa",
        "--role",
        "editor",
        "--agency",
        "BAOVL",
    )
    assert result.exit_code == 0, result.output
    password = re.search(r"password: (\S+)", result.output)
    assert password
    with db.read() as s:
        user = s.scalars(select(UserAccount)).one()
        assert password.group(1) not in user.password_hash
        assert user.password_hash.startswith("$argon2id$")
        assert passwords.verify(user.password_hash, password.group(1))
        assert s.scalars(select(AuditEvent.action).where(AuditEvent.action == "user.add")).one()
    assert password.group(1) not in run_cli("user", "list", "--json").output


def test_an_editor_without_an_agency_is_one_clear_error(run_cli: Cli) -> None:
    result = run_cli("user", "add", "x.y", "--name", "X", "--role", "editor")
    assert result.exit_code == 1
    assert "give --agency" in result.output and "Traceback" not in result.output


def test_culture_staff_need_units_that_exist(run_cli: Cli) -> None:
    result = run_cli("user", "add", "vh.x", "--name", "X", "--role", "culture", "--unit", "99999")
    assert result.exit_code == 1 and "no unit '99999'" in result.output


def test_disable_and_reset_password(run_cli: Cli, db: Database) -> None:
    run_cli("user", "add", "vh.x", "--name", "X", "--role", "culture", "--group", "thi-diem")
    assert run_cli("user", "disable", "vh.x").exit_code == 0
    reset = run_cli("user", "reset-password", "vh.x")
    new = re.search(r"new password: (\S+)", reset.output)
    assert new
    with db.read() as s:
        user = s.scalars(select(UserAccount)).one()
        assert not user.active and passwords.verify(user.password_hash, new.group(1))


def test_bootstrap_makes_one_admin_once(run_cli: Cli) -> None:
    assert "first admin: user admin, password " in run_cli("user", "bootstrap").output
    assert "an admin exists already" in run_cli("user", "bootstrap").output


def test_token_create_list_revoke(run_cli: Cli, db: Database) -> None:
    created = run_cli(
        "token",
        "create",
        "--agency",
        "BAOVL",
        "--label",
        "CMS",
        "--scope",
        "read",
        "--scope",
        "write",
    )
    token = re.search(r"(bantin_\S+)", created.output)
    assert token
    listed = run_cli("token", "list", "--json").output
    assert token.group(1) not in listed and '"scopes": "read,write"' in listed
    assert run_cli("token", "revoke", "1").exit_code == 0
    with db.read() as s:
        assert s.scalars(select(ApiToken)).one().revoked_at is not None


def test_a_token_with_an_unknown_agency_is_one_clear_error(run_cli: Cli) -> None:
    result = run_cli("token", "create", "--agency", "NOPE", "--label", "x")
    assert result.exit_code == 1 and "no agency 'NOPE'" in result.output
