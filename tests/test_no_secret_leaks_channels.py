"""Every channel kind against servers that quote credentials back in every field they can.

Each server below answers every request by echoing what it was sent — the Authorization
header, the decoded `user:password` of Basic auth, query strings, form and JSON bodies,
signature headers — in its error message, in JSON fields a channel reads (`message`,
`fbtrace_id`, `error_description`, `id`, `url`) and in response headers. Some answer 400
(the publication fails on record), some 200 with the credentials in the receipt's id and
URL. Afterwards no secret value, nor its base64 or URL-encoded form, may be found in the
database file, the log, the audit export, the outbox files, the alerts or any `--json`
output.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from click.testing import Result
from cryptography.fernet import Fernet
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bantin.secrets import resolve as refs
from bantin.secrets import store as secretstore
from tests.conftest import Cli
from tests.helpers import write_campaign

WP_PASSWORD = "WPAPP Ab12 Cd34 Ef56 Gh78 Ij90"
FB_TOKEN = "EAAB-FBCANARY-93kd02ls9d"
ZALO_TOKEN = "ZALO-ACCESS-CANARY-5521"
ZALO_REFRESH = "ZALO-REFRESH-CANARY-7781"
ZALO_APP_SECRET = "ZALO-APPSECRET-CANARY-11"
HOOK_SECRET = "HOOK-SIGNING-CANARY-0042"
HOOK_OK_SECRET = "HOOK-OK-SIGNING-CANARY-77"
SECRETS = (WP_PASSWORD, FB_TOKEN, ZALO_TOKEN, ZALO_REFRESH, ZALO_APP_SECRET, HOOK_SECRET)


def forms(value: str) -> list[str]:
    """The forms a secret may take in echoed text (plain, URL-encoded, base64 alone or in
    `user:password`), longest-unique parts only."""
    found = {value, quote(value, safe=""), quote_plus(value)}
    for text in (value, f"bantin:{value}"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.add(encode(text.encode()).decode().rstrip("="))
    return sorted(found)


def echo_everything(status: int) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        decoded = ""
        if auth.startswith("Basic "):
            decoded = base64.b64decode(auth[6:]).decode("utf-8", "replace")
        quoted = {
            "headers": dict(request.headers),
            "query": request.query_string.decode(),
            "body": request.get_data(as_text=True)[:2000],
            "basic": decoded,
        }
        said = json.dumps(quoted, ensure_ascii=False)
        doc = {
            "code": "rest_invalid_param" if status == 400 else "ok",
            "message": f"you sent {said}",
            "error": {
                "message": f"bad request {said}",
                "code": 100,
                "fbtrace_id": auth or request.query_string.decode(),
            },
            "error_description": said,
            "data": {"status": status, "params": {"echo": said}},
            "id": f"{request.query_string.decode()}|{auth}|{decoded}",
            "url": f"https://x.vn/p?{request.query_string.decode()}&auth={quote(auth)}",
        }
        headers = {"X-Echo-Auth": auth, "X-Echo-Basic": decoded}
        return Response(json.dumps(doc), status, headers=headers, content_type="application/json")

    return handler


@pytest.fixture
def echo_servers(httpserver: HTTPServer) -> HTTPServer:
    for prefix, status in (("/fail", 400), ("/ok", 200)):
        httpserver.expect_request(re.compile(f"^{prefix}/.*")).respond_with_handler(
            echo_everything(status)
        )
    return httpserver


@pytest.fixture
def env(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(secretstore.KEY_ENV, Fernet.generate_key().decode())
    monkeypatch.setenv("FB_TOKEN", FB_TOKEN)
    monkeypatch.setenv("ZALO_TOKEN", ZALO_TOKEN)
    monkeypatch.setenv("HOOK_SECRET", HOOK_SECRET)
    monkeypatch.setenv("HOOK_OK_SECRET", HOOK_OK_SECRET)
    monkeypatch.setenv("BANTIN_MAX_ATTEMPTS", "1")
    previous = refs.install_store(None)
    yield
    refs.install_store(previous)


CAMPAIGN = """
id: ro-ri-kenh
title: Bài viết kiểm tra rò rỉ
task: "1.1"
agency: BAOVL
kind: article
period: {start: 2026-11-28, end: 2026-11-30}
schedule:
  - at: 2026-11-28T09:00
channels: [wp, fb, zalo, hook, hook-ok, out]
template: t.html.j2
"""


def scenario(cli: Callable[..., Result], server: HTTPServer, tmp_path: Path) -> None:
    def ok(*args: str, input: str | None = None) -> Result:
        result = cli(*args, input=input)
        assert result.exit_code == 0, result.output
        return result

    ok("secret", "set", "WP", input=WP_PASSWORD)
    ok("secret", "set", "ZALO_R", input=ZALO_REFRESH)
    ok("secret", "set", "ZALO_APP", input=ZALO_APP_SECRET)
    host = server.url_for("/").rstrip("/").split("://", 1)[1]
    fail, good = server.url_for("/fail"), server.url_for("/ok")
    channels = {
        "wp": f"wordpress+http://{host}/fail/?user=bantin&app_password=secret:WP&timeout=2",
        "fb": f"facebook://1000200030004?token=env:FB_TOKEN&base={fail}&timeout=2",
        "zalo": (
            "zalo://4400001?token=env:ZALO_TOKEN&refresh_token=secret:ZALO_R&app_id=123"
            f"&app_secret=secret:ZALO_APP&base={fail}&oauth_base={fail}&timeout=2"
        ),
        "hook": f"webhook+{fail}/hook?secret=env:HOOK_SECRET",
        "hook-ok": f"webhook+{good}/hook?secret=env:HOOK_OK_SECRET",
        "out": "outbox://outbox/out",
    }
    for name, url in channels.items():
        ok("channel", "add", name, url, "--agency", "BAOVL")
    write_campaign(tmp_path / "c", "t.html.j2", "<p>Bà con lưu ý {{ due_date }}</p>\n")
    campaign = write_campaign(tmp_path / "c", "ro-ri-kenh.yaml", CAMPAIGN)
    ok("campaign", "apply", str(campaign), "--now", "2026-11-28T08:00")
    ok("-v", "dispatch", "--once", "--now", "2026-11-28T09:00:05")
    for name in channels:
        cli("channel", "test", name, "--json")
    ok("channel", "list", "--json")
    ok("records", "--json")
    ok("alerts", "list", "--all", "--json")
    ok("audit", "export", "--output", str(tmp_path / "audit.jsonl"))


def test_no_channel_kind_leaks_an_echoed_credential(
    run_cli: Cli,
    home: Path,
    tmp_path: Path,
    echo_servers: HTTPServer,
    env: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    results: list[Result] = []

    def cli(*args: str, input: str | None = None) -> Result:
        results.append(run_cli(*args, input=input))
        return results[-1]

    scenario(cli, echo_servers, tmp_path)

    captured = {
        "command output": "\n".join(r.stdout + r.stderr for r in results),
        "log": caplog.text + "\n".join(r.getMessage() for r in caplog.records),
        "audit export": (tmp_path / "audit.jsonl").read_text(encoding="utf-8"),
    }
    for path in sorted(home.rglob("*")):
        if path.is_file() and path.name not in ("secret.key", "audit.key"):
            captured[str(path.relative_to(home))] = path.read_bytes().decode("utf-8", "replace")

    # The servers really were reached with the credentials, and answered with them.
    sent = "\n".join(str(req.headers) + req.query_string.decode() for req, _ in echo_servers.log)
    assert "Basic " in sent and HOOK_SECRET not in sent  # signatures, not the secret itself
    assert any(p.startswith("outbox") for p in captured)
    assert "receiver rejected" in captured["command output"] or "400" in captured["log"]

    leaks = [
        (where, secret, form)
        for where, text in captured.items()
        for secret in (*SECRETS, HOOK_OK_SECRET)
        for form in forms(secret)
        if form in text
    ]
    assert leaks == []
