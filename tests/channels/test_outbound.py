"""The outbound policy (bantin.outbound): what is refused, before any byte is sent."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest
import requests

from bantin import outbound
from bantin.channels.base import ConfigError
from tests.channels.recording_server import recording_server, redirect_to


@pytest.fixture
def no_allowance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(outbound.ALLOW_ENV, "")


def test_loopback_is_refused_without_the_allowance_and_nothing_is_sent(
    no_allowance: None,
) -> None:
    with recording_server() as server:
        session = outbound.OutboundSession(secret=False)
        with pytest.raises(outbound.OutboundRefused, match="loopback address"):
            session.get(server.url("/rss"), timeout=5)
        assert server.requests == []


def test_a_name_resolving_to_loopback_is_refused(no_allowance: None) -> None:
    with recording_server() as server:
        with pytest.raises(outbound.OutboundRefused, match=r"localhost \(127.0.0.1\)"):
            outbound.OutboundSession(secret=False).get(
                f"http://localhost:{server.port}/", timeout=5
            )
        assert server.requests == []


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://10.1.2.3/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://169.254.10.1/", "link-local"),
        ("http://100.64.0.1/", "CGNAT"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::1]/", "loopback"),
    ],
)
def test_internal_addresses_are_refused(no_allowance: None, url: str, kind: str) -> None:
    with pytest.raises(outbound.OutboundRefused, match=kind):
        outbound.OutboundSession(secret=False).get(url, timeout=0.5)


def test_a_refusal_is_a_config_error_that_names_the_setting(no_allowance: None) -> None:
    with pytest.raises(ConfigError, match="BANTIN_OUTBOUND_ALLOW"):
        outbound.check_url("http://10.0.0.1/", secret=False)


def test_an_allowed_range_is_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(outbound.ALLOW_ENV, "127.0.0.1/32")
    with recording_server() as server:
        resp = outbound.OutboundSession(secret=False).get(server.url("/x"), timeout=5)
        assert resp.text == "ok"
        assert len(server.requests) == 1


def test_a_redirect_from_an_allowed_host_to_a_forbidden_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(outbound.ALLOW_ENV, "127.0.0.1/32")  # not 127.0.0.2
    with recording_server("127.0.0.2") as inner:
        with recording_server(answer=redirect_to(inner.url("/secret"))) as outer:
            with pytest.raises(outbound.OutboundRefused, match=r"127\.0\.0\.2"):
                outbound.OutboundSession(secret=False).get(outer.url("/feed"), timeout=5)
            assert len(outer.requests) == 1
        assert inner.requests == []


def test_a_session_with_credentials_follows_no_redirect() -> None:
    with recording_server() as inner:
        with recording_server(answer=redirect_to(inner.url("/"))) as outer:
            resp = outbound.OutboundSession(secret=True).get(outer.url("/api"), timeout=5)
            assert resp.status_code == 302
        assert inner.requests == []


def test_credentials_need_https_to_a_public_host() -> None:
    with pytest.raises(outbound.OutboundRefused, match="needs https"):
        outbound.OutboundSession(secret=True).get("http://93.184.216.34/", timeout=0.5)


def test_credentials_go_over_http_only_to_allowed_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(outbound.ALLOW_ENV, "127.0.0.0/8,10.20.0.0/16")
    outbound.check_address(
        outbound.ipaddress.ip_address("127.0.0.1"), "h", secret=True, scheme="http"
    )
    with pytest.raises(outbound.OutboundRefused, match="needs https"):
        outbound.check_url("http://10.20.0.5/", secret=True)


def test_the_connection_goes_to_the_checked_address_under_the_host_name() -> None:
    with recording_server() as server:
        url = f"http://localhost:{server.port}/p"
        resp = outbound.OutboundSession(secret=False).get(url, timeout=5)
        assert resp.url == url
        ((_, _, headers),) = server.requests
        assert headers["Host"] == f"localhost:{server.port}"


def test_a_wrong_allowance_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(outbound.ALLOW_ENV, "10.0.0.0/8,intranet")
    with pytest.raises(ConfigError, match="'intranet' is not an address or range"):
        outbound.check_url("http://10.0.0.1/", secret=False)


def test_environment_proxies_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with recording_server() as server:
        assert outbound.OutboundSession(secret=False).get(server.url(), timeout=5).ok


@pytest.mark.parametrize("scheme", ["file:///etc/passwd", "ftp://x.vn/", "gopher://x.vn/"])
def test_only_http_and_https_go_out(scheme: str) -> None:
    with pytest.raises(outbound.OutboundRefused, match="only http and https"):
        outbound.check_url(scheme, secret=False)


def test_static_check_refuses_metadata_and_plain_http_credentials(no_allowance: None) -> None:
    with pytest.raises(outbound.OutboundRefused, match="cloud metadata"):
        outbound.check_static("http://169.254.169.254", secret=True)
    with pytest.raises(outbound.OutboundRefused, match="needs https"):
        outbound.check_static("http://graph.example.vn", secret=True)
    outbound.check_static("https://graph.facebook.com", secret=True)


def test_media_files_come_only_from_the_media_folder(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "a.png").write_bytes(b"x")
    (tmp_path / "key").write_bytes(b"secret")
    (media / "link.png").symlink_to(tmp_path / "key")
    assert outbound.media_file("a.png", media) == (media / "a.png").resolve()
    for bad in ("../key", str(tmp_path / "key"), "link.png", "/etc/hostname"):
        with pytest.raises(outbound.OutboundRefused, match="outside the media folder"):
            outbound.media_file(bad, media)


def test_smtp_hosts_follow_the_same_rules(no_allowance: None) -> None:
    with pytest.raises(outbound.OutboundRefused, match="loopback"):
        outbound.check_smtp("127.0.0.1", 25)


def test_no_connection_error_leaks_as_a_traceback_for_an_unknown_host() -> None:
    with pytest.raises(requests.ConnectionError):
        outbound.check_url("http://no-such-host.invalid/", secret=False)


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name`: (cert+key file for the server, CA file)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    both = tmp_path / f"{name}.pem"
    both.write_bytes(
        pem
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ca = tmp_path / f"{name}-ca.pem"
    ca.write_bytes(pem)
    return both, ca


@pytest.mark.parametrize(("cert_for", "ok"), [("localhost", True), ("other.example", False)])
def test_tls_to_the_pinned_address_still_checks_the_host_name(
    tmp_path: Path, cert_for: str, ok: bool
) -> None:
    import ssl

    both, ca = _certificate(tmp_path, cert_for)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(both)
    with recording_server(tls=context) as server:
        url = f"https://localhost:{server.port}/x"
        session = outbound.OutboundSession(secret=True)
        if ok:
            assert session.get(url, timeout=5, verify=str(ca)).text == "ok"
            ((_, _, headers),) = server.requests
            assert headers["Host"] == f"localhost:{server.port}"
        else:
            with pytest.raises(requests.exceptions.SSLError):
                session.get(url, timeout=5, verify=str(ca))


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names asked of the resolver; `localhost` answers 127.0.0.1, the cache starts empty."""
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, **_kwargs: object) -> list[tuple[object, ...]]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(outbound, "_answers", {})
    return asked


def test_a_name_is_resolved_once_for_a_seconds_requests(lookups: list[str]) -> None:
    for _ in range(3):
        assert outbound.resolve("loa.example.vn", 443) == [ipaddress.ip_address("127.0.0.1")]
    assert lookups == ["loa.example.vn"]


def test_a_name_is_resolved_again_after_a_second(
    lookups: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    monkeypatch.setattr(outbound, "_now", lambda: now[0])
    outbound.resolve("loa.example.vn", 443)
    now[0] += outbound.RESOLVE_TTL
    outbound.resolve("loa.example.vn", 443)
    assert lookups == ["loa.example.vn", "loa.example.vn"]


def test_an_address_reused_from_the_cache_is_still_checked(
    lookups: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BANTIN_OUTBOUND_ALLOW", raising=False)
    outbound.resolve("loa.example.vn", 443)  # answers 127.0.0.1
    with pytest.raises(outbound.OutboundRefused, match="loopback"):
        outbound.check_url("https://loa.example.vn/hook", secret=True)
