"""`bantin channel test`: reach the channel and report what its credentials can do, never
publishing and never printing a secret."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer

from bantin import channels as channel_registry
from bantin.channels import open_channel
from bantin.channels.base import Channel, Receipt
from bantin.channels.service import check_channel
from bantin.content.render import Rendered
from bantin.secrets.resolve import resolve
from tests.conftest import Cli

SECRET = "webhook-check-secret-9vQ"


@pytest.fixture(autouse=True)
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECK_SECRET", SECRET)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hook(url: str) -> str:
    return "webhook+" + url + "?secret=env:CHECK_SECRET&timeout=2"


# -- the channels' own checks -------------------------------------------------------------


def test_outbox_check_creates_and_probes_the_folder(tmp_path: Path) -> None:
    result = open_channel("o", f"outbox://{tmp_path}/out/loa").check()  # type: ignore[attr-defined]
    assert result["ok"] is True and result["writable"] is True
    assert (tmp_path / "out" / "loa").is_dir() and list((tmp_path / "out" / "loa").iterdir()) == []


def test_outbox_check_fails_when_the_folder_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = open_channel("o", f"outbox://{tmp_path}/file/loa").check()  # type: ignore[attr-defined]
    assert result["ok"] is False and result["error"]


def test_webhook_check_sends_options_without_a_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/b", method="OPTIONS").respond_with_data("", status=204)
    result = open_channel("w", hook(httpserver.url_for("/b"))).check()  # type: ignore[attr-defined]
    assert (result["ok"], result["http_status"]) == (True, 204)
    assert result["tls"] == "none (plain http)"
    [(request, _)] = httpserver.log
    assert request.method == "OPTIONS" and request.get_data() == b""
    assert "X-Bantin-Signature" not in request.headers


def test_webhook_check_counts_any_answer_as_reachable(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/b").respond_with_data("no", status=405)
    result = open_channel("w", hook(httpserver.url_for("/b"))).check()  # type: ignore[attr-defined]
    assert (result["ok"], result["http_status"]) == (True, 405)


def test_webhook_check_reports_an_unreachable_receiver() -> None:
    url = hook(f"http://127.0.0.1:{closed_port()}/b")
    result = open_channel("w", url).check()  # type: ignore[attr-defined]
    assert result["ok"] is False and "cannot connect" in result["error"]


def test_webhook_check_reports_a_secret_that_is_not_set(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHECK_SECRET")
    result = open_channel("w", hook(httpserver.url_for("/b"))).check()  # type: ignore[attr-defined]
    assert result["ok"] is False and "CHECK_SECRET is not set" in result["error"]


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[HTTPServer]:
    """A receiver on https with a self-signed certificate no client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    server = HTTPServer(ssl_context=context)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_webhook_check_reports_an_untrusted_certificate(tls_server: HTTPServer) -> None:
    tls_server.expect_request("/b").respond_with_data("")
    url = hook(tls_server.url_for("/b"))
    assert url.startswith("webhook+https://")
    result = open_channel("w", url).check()  # type: ignore[attr-defined]
    assert result["ok"] is False and result["tls"] == "invalid"
    assert "TLS failed" in result["error"]


class LeakyCheck(Channel):
    """A channel whose check() carelessly returns its token."""

    schemes = ("leaky",)
    kind = "leaky"

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        return Receipt()

    def check(self) -> dict[str, Any]:
        return {"ok": True, "token": resolve("env:CHECK_SECRET"), "nested": [SECRET]}


class NoCheck(LeakyCheck):
    schemes = ("nocheck",)
    check = Channel.check  # the base class's answer for kinds that cannot ask a provider


@pytest.fixture
def extra_kinds() -> Iterator[None]:
    channel_registry.CHANNEL_TYPES.update(leaky=LeakyCheck, nocheck=NoCheck)
    yield
    for scheme in ("leaky", "nocheck"):
        channel_registry.CHANNEL_TYPES.pop(scheme, None)


def test_check_results_are_masked_whatever_the_channel_returns(extra_kinds: None) -> None:
    result = check_channel("l", "leaky://x")
    assert result["token"] == "***" and result["nested"] == ["***"]


def test_a_kind_without_a_check_only_validates_its_url(extra_kinds: None) -> None:
    result = check_channel("n", "nocheck://x")
    assert result["ok"] is True and "no check" in result["note"]


# -- the command ------------------------------------------------------------------------


def test_channel_test_prints_what_it_found_and_exits_0(run_cli: Cli) -> None:
    run_cli("channel", "add", "o", "outbox://outbox/o", "--agency", "BAOVL")
    result = run_cli("channel", "test", "o")
    assert result.exit_code == 0, result.output
    assert "writable: True" in result.stdout and "o: OK" in result.stdout


def test_channel_test_exits_1_with_the_reason(run_cli: Cli) -> None:
    url = hook(f"http://127.0.0.1:{closed_port()}/b")
    run_cli("channel", "add", "w", url, "--agency", "BAOVL")
    result = run_cli("channel", "test", "w")
    assert result.exit_code == 1 and "w: cannot connect" in result.stderr
    assert SECRET not in result.output


def test_channel_test_json_never_holds_a_secret(run_cli: Cli, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/b").respond_with_data("")
    run_cli("channel", "add", "w", hook(httpserver.url_for("/b")), "--agency", "BAOVL")
    result = run_cli("channel", "test", "w", "--json")
    doc = json.loads(result.stdout)
    assert doc["ok"] is True and doc["url"].endswith("secret=***&timeout=2")
    assert SECRET not in result.output


def test_channel_test_of_an_unknown_channel(run_cli: Cli) -> None:
    result = run_cli("channel", "test", "nope")
    assert result.exit_code == 1 and "no channel named 'nope'" in result.stderr
