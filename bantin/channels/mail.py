"""Mail: a message to one or more addresses over SMTP, under the outbound policy.

`mailto:a@x.vn[,b@x.vn]?smtp=HOST:PORT[&from=…][&user=…&password=env:V]
[&starttls=1|&smtps=1][&timeout=10]`

Used today for alerts (`bantin.records.alerts` hands it the message for an agency whose
notify URL is `mailto:`); it can publish a rendered text too, but is not `listed` as a
publication channel kind yet (no campaign can name it). A password travels only encrypted
(STARTTLS or SMTPS), or to a test server on an allowed loopback address, as for http in
`bantin.outbound`; the server's address passes `outbound.check_smtp` before connecting.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from bantin import outbound
from bantin.channels.base import Channel, Receipt, RetryableError, query_params
from bantin.channels.helpers import plain_text
from bantin.channels.http import parse_timeout
from bantin.content.render import Rendered
from bantin.core.errors import ConfigError
from bantin.secrets.resolve import Lookup, resolve, scrub

SMTP_TIMEOUT = 10.0
YES = ("1", "true", "yes")


@dataclass(frozen=True)
class MailTarget:
    to: list[str]
    host: str
    port: int
    sender: str
    user: str | None
    password_ref: str | None
    starttls: bool
    timeout: float
    smtps: bool = False  # TLS from the first byte (port 465), instead of STARTTLS


def parse_mailto(url: str) -> MailTarget:
    """The target of a `mailto:` URL (see the module docstring); ConfigError otherwise."""
    parts = urlsplit(url)
    params = query_params("mailto:", parts.query)
    to = [a.strip() for a in parts.path.split(",") if a.strip()]
    if not to or not all("@" in a for a in to):
        raise ConfigError("mailto: needs at least one address, e.g. mailto:ops@example.vn")
    host, _, port = params.pop("smtp", "localhost:25").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError("mailto: smtp must be HOST:PORT, e.g. smtp=127.0.0.1:25")
    password = params.pop("password", None)
    user = params.pop("user", None)
    if bool(user) != bool(password):
        raise ConfigError("mailto: give user and password together, or neither")
    target = MailTarget(
        to=to,
        host=host,
        port=int(port),
        sender=params.pop("from", f"bantin@{socket.gethostname()}"),
        user=user,
        password_ref=password,
        starttls=params.pop("starttls", "0") in YES,
        timeout=parse_timeout("mailto:", params.pop("timeout", None), SMTP_TIMEOUT),
        smtps=params.pop("smtps", "0") in YES,
    )
    params.pop("rate", None), params.pop("late", None)
    if params:
        raise ConfigError(f"mailto: unknown parameter(s) {', '.join(sorted(params))}")
    if target.starttls and target.smtps:
        raise ConfigError("mailto: give starttls or smtps, not both")
    if password and not (target.starttls or target.smtps):
        _plain_login_allowed(target.host)
    return target


def _plain_login_allowed(host: str) -> None:
    """A login over unencrypted SMTP only to a test server on an allowed loopback address."""
    try:
        outbound.check_static(f"http://{host}", secret=True)
    except ConfigError:
        raise ConfigError(
            f"mailto: a password needs an encrypted connection: add starttls=1 (port 587) or "
            f"smtps=1 (port 465); {host} would receive it in clear text"
        ) from None


class MailChannel(Channel):
    schemes = ("mailto",)
    kind = "mail"
    listed: ClassVar[bool] = False
    carries_credentials = False

    def __init__(self, name: str, url: str, *, home: Path | None = None) -> None:
        self.target = parse_mailto(url)
        super().__init__(name, url, home=home)

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        body = plain_text(rendered.body) if rendered.kind == "article" else rendered.body
        self.send_text(rendered.title, body)
        return Receipt(external_id=idempotency_key)

    def send_text(self, subject: str, text: str, *, lookup: Lookup | None = None) -> None:
        """One plain-text message to every address; RetryableError saying why it did not go."""
        target = self.target
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = target.sender
        msg["To"] = ", ".join(target.to)
        msg.set_content(text)
        password = resolve(target.password_ref, lookup) if target.password_ref else ""
        where = f"mail to {target.host}:{target.port}"
        try:
            outbound.check_smtp(target.host, target.port)
        except ConfigError as exc:
            raise RetryableError(f"{where} refused: {exc}") from None
        except OSError as exc:  # a name that does not resolve
            raise RetryableError(f"{where} failed: {exc}") from None
        try:
            with self._connect() as smtp:
                if target.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if target.user:
                    smtp.login(target.user, password)
                smtp.send_message(msg)
        except UnicodeError:
            # smtplib sends AUTH PLAIN as ASCII; the error would quote the offending text.
            raise RetryableError(
                f"{where} failed: the SMTP user or password is not plain ASCII, which SMTP "
                "login cannot carry"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            # An SMTP server's answer may quote what it was sent: mask before it is stored.
            reason = scrub(f"{type(exc).__name__}: {exc}", password)[:500]
            raise RetryableError(f"{where} failed: {reason}") from None

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        if t.smtps:
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(t.host, t.port, timeout=t.timeout, context=context)
        return smtplib.SMTP(t.host, t.port, timeout=t.timeout)
