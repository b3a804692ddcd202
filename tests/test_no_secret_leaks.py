"""No secret value ever leaves the process: not in output, logs, errors, the database or files.

One scenario runs the commands an operator would, in-process, against real local HTTP
and SMTP servers that misbehave on purpose: a receiver that refuses the signature and
quotes it back, one that fails with the secrets echoed in its body, a mail server that
refuses the login and repeats the password. Then every captured string, every column of
every table, the raw database file and every file under BANTIN_HOME are searched for the
distinctive values. The key file is the one place a key may be, and it holds no value.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from cryptography.fernet import Fernet
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

from bantin.channels import open_channel
from bantin.channels.base import ChannelError
from bantin.content.render import Rendered
from bantin.core.db import Base, Database
from bantin.core.errors import ConfigError
from bantin.secrets import resolve as refs
from bantin.secrets import store as secretstore
from tests.channels.graph_server import GraphServer
from tests.conftest import Cli
from tests.helpers import write_campaign
from tests.smtp_server import SMTPServer

ENV_VALUE = "ENV-CANARY-7f3a9c-hook500"
STORE_VALUE = "STORE-CANARY-b81e44-hook401"
SMTP_VALUE = "SMTP-CANARY-55aa-mail"
OPS_VALUE = "OPS-CANARY-c0ffee-alerts"
FB_VALUE = "FB-CANARY-EAAB-9d2e-page"
SECRETS = (ENV_VALUE, STORE_VALUE, SMTP_VALUE, OPS_VALUE, FB_VALUE)

CAMPAIGN = """
id: ro-ri
title: Bản tin kiểm tra rò rỉ
task: "1.1"
agency: BAOVL
kind: post
period: {start: 2026-11-28, end: 2026-11-30}
schedule:
  - at: 2026-11-28T09:00
channels: [hook401, hook500, out, fb]
template: t.j2
"""


class EchoingGraph(GraphServer):
    """A Graph API that quotes the access token back in every error, as careless proxies do."""

    def _error(self, code: int, message: str, **kw: Any) -> Response:
        return super()._error(code, f"{message} (token {self.page_token})", **kw)


@pytest.fixture
def graph() -> Iterator[GraphServer]:
    with EchoingGraph(page_token=FB_VALUE) as server:
        server.revoke_token()  # every call answers 190, quoting the token
        yield server


def echo(status: int, secret: str) -> Callable[[Request], Response]:
    """A receiver that answers `status` quoting the secret it shares with us, and headers."""

    def handler(request: Request) -> Response:
        body = f"refused; expected {secret}; you sent {dict(request.headers)}"
        return Response(body, status, headers={"X-Debug": secret})

    return handler


@pytest.fixture
def servers(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/r401").respond_with_handler(echo(401, STORE_VALUE))
    httpserver.expect_request("/r500").respond_with_handler(echo(500, ENV_VALUE))
    httpserver.expect_request("/alerts").respond_with_handler(echo(500, OPS_VALUE))
    return httpserver


@pytest.fixture
def env(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(secretstore.KEY_ENV, Fernet.generate_key().decode())
    monkeypatch.setenv("HOOK500_SECRET", ENV_VALUE)
    monkeypatch.setenv("OPS_SECRET", OPS_VALUE)
    monkeypatch.setenv("BANTIN_MAX_ATTEMPTS", "1")  # the 500 ends `failed` at once
    previous = refs.install_store(None)
    yield
    refs.install_store(previous)


def run_scenario(
    run_cli: Cli, home: Path, tmp_path: Path, server: HTTPServer, graph: GraphServer
) -> list[Result]:
    results: list[Result] = []

    def cli(*args: str, input: str | None = None) -> Result:
        result = run_cli(*args, input=input)
        results.append(result)
        return result

    assert cli("secret", "set", "HOOK401", input=STORE_VALUE + "\n").exit_code == 0
    assert cli("secret", "set", "SMTP", input=SMTP_VALUE).exit_code == 0
    assert cli("secret", "set", "FB", input=FB_VALUE).exit_code == 0
    fb = f"facebook://{graph.page_id}?token=secret:FB&base={graph.url}&timeout=2"
    cli("channel", "add", "fb", fb, "--agency", "BAOVL")
    base = "webhook+" + server.url_for("")
    cli("channel", "add", "hook401", f"{base}r401?secret=secret:HOOK401", "--agency", "BAOVL")
    cli("channel", "add", "hook500", f"{base}r500?secret=env:HOOK500_SECRET", "--agency", "BAOVL")
    cli("channel", "add", "out", "outbox://outbox/out", "--agency", "BAOVL")
    write_campaign(tmp_path / "c", "t.j2", "Bà con lưu ý {{ due_date }}\n")
    campaign = write_campaign(tmp_path / "c", "ro-ri.yaml", CAMPAIGN)
    assert cli("campaign", "apply", str(campaign), "--now", "2026-11-28T08:00").exit_code == 0
    dispatched = cli("-v", "dispatch", "--once", "--now", "2026-11-28T09:00:05")
    assert "1 published" in dispatched.stdout and "3 failed" in dispatched.stdout
    for args in (
        ("channel", "list", "--json"),
        ("channel", "list"),
        ("channel", "test", "hook401"),
        ("channel", "test", "hook500", "--json"),
        ("channel", "test", "fb", "--json"),
        ("records", "--json"),
        ("secret", "list", "--json"),
        ("audit", "verify"),
    ):
        cli(*args)
    with SMTPServer(user="bantin", password="not-this", echo=True) as smtp:
        mail = f"mailto:truc@baovl.vn?smtp=127.0.0.1:{smtp.port}&user=bantin&password=secret:SMTP"
        cli("agency", "notify", "BAOVL", mail)
        cli("-v", "alerts", "notify")
    cli("agency", "notify", "BAOVL", f"{base}alerts?secret=env:OPS_SECRET")
    cli("-v", "alerts", "notify")
    cli("alerts", "list", "--all", "--json")
    return results


def error_messages(db: Database, server: HTTPServer) -> list[str]:
    """The text of exceptions raised on the failure paths, with their tracebacks."""
    rendered = Rendered(
        kind="post",
        title="t",
        body="b",
        campaign_id="c",
        channel="x",
        due_at=datetime(2026, 11, 28, 2, tzinfo=UTC),
        priority="normal",
        unit_code=None,
        unit_name=None,
        agency_code="BAOVL",
        task_code="1.1",
    )
    texts: list[str] = []
    secretstore.install(db)
    for url in (
        "webhook+" + server.url_for("/r401") + "?secret=secret:HOOK401",
        "webhook+" + server.url_for("/r500") + "?secret=env:HOOK500_SECRET",
    ):
        try:
            open_channel("x", url).publish(rendered, "k")
        except ChannelError as exc:
            texts.append(str(exc) + "".join(traceback.format_exception(exc)))
    for attempt in (
        lambda: open_channel("x", "webhook+https://x.vn/?secret=" + STORE_VALUE),
        lambda: refs.resolve("secret:NOT_THERE"),
    ):
        try:
            attempt()
        except ConfigError as exc:
            texts.append(str(exc) + "".join(traceback.format_exception(exc)))
    return texts


def database_text(db: Database) -> str:
    parts: list[str] = []
    with db.session() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                parts.extend(repr(value) for value in row)
    return "\n".join(parts)


def test_no_secret_value_appears_anywhere(
    run_cli: Cli,
    db: Database,
    home: Path,
    tmp_path: Path,
    servers: HTTPServer,
    env: None,
    graph: GraphServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    results = run_scenario(run_cli, home, tmp_path, servers, graph)
    errors = error_messages(db, servers)
    assert len(errors) == 4
    # Last, as rotating with BANTIN_SECRET_KEY leaves this process with the old key only.
    results += [run_cli("secret", "rotate"), run_cli("secret", "list")]

    captured = {
        "command output": "\n".join(r.stdout + r.stderr for r in results),
        "log messages": "\n".join(r.getMessage() for r in caplog.records),
        "log text": caplog.text,
        "exceptions": "\n".join(errors),
        "database rows": database_text(db),
    }
    for path in sorted(home.rglob("*")):
        if path.is_file() and path.name != "secret.key":
            captured[str(path.relative_to(home))] = path.read_bytes().decode("utf-8", "replace")

    # The scenario really went through the failure paths it claims to cover.
    assert any("receiver refused the signature" in m for m in caplog.messages)
    assert "webhook hook500 answered 500" in captured["log text"]
    assert "channel_broken" in captured["database rows"]
    assert "535" in captured["database rows"] or "receiver error 500" in captured["database rows"]
    assert any(p.startswith("outbox") for p in captured)
    assert graph.count("POST", "feed") >= 1  # the token really went to the Graph server

    leaks = [(where, s) for where, text in captured.items() for s in SECRETS if s in text]
    assert leaks == []
