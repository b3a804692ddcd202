"""`bantin secret …`: values come from stdin or a hidden prompt, never argv, never printed."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bantin.cli import cli
from bantin.core.db import Database
from bantin.core.models import Secret
from bantin.secrets import store as secretstore
from tests.conftest import Cli
from tests.helpers import write_campaign

VALUE = "zalo-app-secret-R2d2-C3po"


@pytest.fixture(autouse=True)
def key_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(secretstore.KEY_ENV, raising=False)
    path = secretstore.ensure_key_file(home)
    assert path is not None
    return path


def stored(db: Database, name: str) -> str:
    with db.session() as s:
        return secretstore.get_secret(s, name)


def test_set_reads_the_value_from_a_pipe(run_cli: Cli, db: Database) -> None:
    result = run_cli("secret", "set", "ZALO", input=VALUE + "\n")
    assert result.exit_code == 0 and "secret ZALO added" in result.output
    assert stored(db, "ZALO") == VALUE  # one trailing newline is not part of it
    assert VALUE not in result.output + result.stderr


def test_set_on_a_terminal_prompts_hidden_twice(
    run_cli: Cli, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bantin.cli.secrets._stdin_is_tty", lambda: True)
    result = run_cli("secret", "set", "ZALO", input=f"wrong\n{VALUE}\n{VALUE}\n{VALUE}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output + result.stderr
    assert stored(db, "ZALO") == VALUE
    assert VALUE not in result.output + result.stderr


def test_a_value_on_the_command_line_is_refused_without_echoing_it(
    run_cli: Cli, db: Database
) -> None:
    result = run_cli("secret", "set", "ZALO", VALUE, input="")
    assert result.exit_code == 2
    assert "never lands in shell history" in result.stderr
    assert VALUE not in result.output + result.stderr
    with db.session() as s:
        assert s.get(Secret, "ZALO") is None


def test_an_empty_value_is_refused(run_cli: Cli) -> None:
    result = run_cli("secret", "set", "ZALO", input="\n")
    assert result.exit_code == 1 and "empty" in result.stderr


def test_list_json_has_names_dates_and_users_only(run_cli: Cli) -> None:
    run_cli("secret", "set", "HOOK", input=VALUE)
    run_cli("channel", "add", "w", "webhook+https://x.vn/a?secret=secret:HOOK", "--agency", "BAOVL")
    [row] = json.loads(run_cli("secret", "list", "--json").output)
    assert set(row) == {"name", "created_at", "updated_at", "created", "updated", "used_by"}
    assert (row["name"], row["used_by"]) == ("HOOK", "channel w")


def test_delete_is_refused_while_a_channel_uses_it(run_cli: Cli, db: Database) -> None:
    run_cli("secret", "set", "HOOK", input=VALUE)
    run_cli("channel", "add", "w", "webhook+https://x.vn/a?secret=secret:HOOK", "--agency", "BAOVL")
    refused = run_cli("secret", "delete", "HOOK")
    assert refused.exit_code == 1 and "used by channel w" in refused.stderr
    assert run_cli("secret", "delete", "HOOK", "--force").exit_code == 0
    with db.session() as s:
        assert s.get(Secret, "HOOK") is None


def test_delete_of_an_unknown_secret_is_a_clear_error(run_cli: Cli) -> None:
    result = run_cli("secret", "delete", "NOPE")
    assert result.exit_code == 1 and "'NOPE' is not in the store" in result.stderr


def test_rotate_with_a_key_file_writes_the_new_key_owner_only(
    run_cli: Cli, db: Database, key_file: Path
) -> None:
    run_cli("secret", "set", "A", input=VALUE)
    old = key_file.read_text()
    result = run_cli("secret", "rotate")
    assert result.exit_code == 0 and str(key_file) in result.output
    assert key_file.read_text() != old and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not key_file.with_name("secret.key.old").exists()
    assert stored(db, "A") == VALUE


def test_rotate_with_an_environment_key_prints_the_new_key_once_on_stderr(
    run_cli: Cli, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Fernet.generate_key().decode()
    monkeypatch.setenv(secretstore.KEY_ENV, old)
    run_cli("secret", "set", "A", input=VALUE)
    result = run_cli("secret", "rotate")
    assert result.exit_code == 0
    new = next(w for w in result.stderr.split() if len(w) == 44 and w != old)
    assert "Put it first in BANTIN_SECRET_KEY" in result.stderr
    assert new not in result.stdout
    monkeypatch.setenv(secretstore.KEY_ENV, new)
    assert stored(db, "A") == VALUE


def test_init_creates_an_owner_only_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_HOME", str(tmp_path / "fresh"))
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    key = tmp_path / "fresh" / "secret.key"
    assert "secret key created" in result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_world_readable_key_file_stops_the_command(run_cli: Cli, key_file: Path) -> None:
    key_file.chmod(0o644)
    result = run_cli("secret", "set", "A", input=VALUE)
    assert result.exit_code == 1 and f"chmod 600 {key_file}" in result.stderr


def test_setting_a_broken_channels_secret_says_how_to_bring_it_back(
    run_cli: Cli, db: Database
) -> None:
    from bantin.core.models import Channel

    run_cli("channel", "add", "w", "webhook+https://x.vn/a?secret=secret:HOOK", "--agency", "BAOVL")
    with db.session() as s:
        s.get_one(Channel, "w").status = "broken"
    result = run_cli("secret", "set", "HOOK", input=VALUE)
    assert "channel w is broken" in result.stderr and "--replace" in result.stderr


def test_replace_with_the_same_url_repairs_a_broken_channel(run_cli: Cli, db: Database) -> None:
    from bantin.core.models import Channel

    url = "webhook+https://x.vn/a?secret=secret:HOOK"
    run_cli("channel", "add", "w", url, "--agency", "BAOVL")
    with db.session() as s:
        s.get_one(Channel, "w").status = "broken"
    result = run_cli("channel", "add", "w", url, "--agency", "BAOVL", "--replace")
    assert result.exit_code == 0 and "updated" in result.output
    assert json.loads(run_cli("channel", "list", "--json").output)[0]["status"] == "ok"


def test_dispatch_signs_with_a_secret_from_the_store(
    run_cli: Cli, tmp_path: Path, httpserver: HTTPServer
) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response('{"id": "b-1"}', 200, content_type="application/json")

    httpserver.expect_request("/b").respond_with_handler(handler)
    run_cli("secret", "set", "HOOK", input=VALUE)
    url = "webhook+" + httpserver.url_for("/b") + "?secret=secret:HOOK"
    assert run_cli("channel", "add", "hook", url, "--agency", "BAOVL").exit_code == 0
    folder = tmp_path / "c"
    write_campaign(folder, "t.j2", "Tin {{ due_date }}\n")
    campaign = write_campaign(
        folder,
        "c.yaml",
        """
        id: c
        title: Tin
        task: "1.1"
        agency: BAOVL
        period: {start: 2026-11-28, end: 2026-11-30}
        schedule:
          - at: 2026-11-28T09:00
        channels: [hook]
        template: t.j2
        """,
    )
    assert run_cli("campaign", "apply", str(campaign), "--now", "2026-11-28T08:00").exit_code == 0
    out = run_cli("dispatch", "--once", "--now", "2026-11-28T09:00:05").output
    assert "1 published" in out
    req = seen[0]
    ts = req.headers["X-Bantin-Timestamp"]
    mac = hmac.new(VALUE.encode(), ts.encode() + b"." + req.get_data(), hashlib.sha256)
    assert req.headers["X-Bantin-Signature"] == "sha256=" + mac.hexdigest()
