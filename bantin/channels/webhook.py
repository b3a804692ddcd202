"""Signed webhook: an HTTP POST of JSON to a receiver (e.g. a smart-loudspeaker platform).

`webhook+https://radio.example.vn/api/bulletins?secret=env:RADIO_SECRET[&timeout=10]`.
Every request carries `Idempotency-Key` (the publication's stable key) and an
HMAC-SHA256 signature; docs/webhook.md is the receiver's side of this contract. The
receiver must deduplicate by key, which is what lets dispatch resend after a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from bantin.channels import lean
from bantin.channels.base import AuthError, PermanentError, Receipt
from bantin.channels.helpers import parse_retry_after
from bantin.channels.http import HTTPChannel
from bantin.content import timing
from bantin.content.render import Rendered
from bantin.core.errors import ConfigError
from bantin.secrets.resolve import Lookup, resolve, scrub

if TYPE_CHECKING:
    from bantin.channels.sendloop import SendLoop

__all__ = ["WebhookChannel", "parse_retry_after", "payload", "signature"]

log = logging.getLogger(__name__)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>` (timestamp blocks replays)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def estimated_seconds(rendered: Rendered) -> int:
    """Read time of a script, rounded up: a receiver fits it into a slot, so never under-say.

    The render's own estimate is used when it made one (it knows the configured rate).
    """
    got = timing.read_seconds(rendered.meta)  # measured audio first, else the estimate
    if got is not None:
        return got[0]
    return timing.script_seconds(rendered.body)


def _number(value: Any) -> int | float | None:
    """5.0 -> 5 (slot lengths come from YAML as floats); anything else not numeric -> None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else float(value)


def broadcast(rendered: Rendered) -> dict[str, Any] | None:
    """What a loudspeaker platform needs to air a radio script (docs/webhook.md).

    Its own object rather than more top-level fields: platforms that only file text can
    ignore it, and it can grow (several units per bulletin) without touching the rest.
    """
    if rendered.kind != "radio_script":
        return None
    units = [{"code": rendered.unit_code, "name": rendered.unit_name}] if rendered.unit_code else []
    return {
        "units": units,
        "priority": rendered.priority,
        "slot_start": rendered.due_local.isoformat(),
        "slot_minutes": _number(rendered.meta.slot_minutes),
        "estimated_seconds": estimated_seconds(rendered),
        "script": rendered.body,
        "audio_url": rendered.meta.audio_url or None,
    }


def payload(rendered: Rendered, idempotency_key: str) -> dict[str, Any]:
    """The JSON body of a webhook request; `broadcast` is null unless it is a radio script."""
    return {
        "id": idempotency_key,
        "campaign": rendered.campaign_id,
        "kind": rendered.kind,
        "title": rendered.title,
        "body": rendered.body,
        "priority": rendered.priority,
        "due_at": rendered.due_at.astimezone(UTC).isoformat(),
        "due_local": rendered.due_local.isoformat(),
        "unit": (
            {"code": rendered.unit_code, "name": rendered.unit_name} if rendered.unit_code else None
        ),
        "agency": rendered.agency_code,
        "task": rendered.task_code,
        "channel": rendered.channel,
        "meta": dict(rendered.meta),
        "broadcast": broadcast(rendered),
    }


def _body(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


class WebhookChannel(HTTPChannel):
    """The URL, without `webhook+` and the channel's own parameters, is the receiver;
    `base=` replaces its address (scheme, host, path), the receiver's query is kept."""

    schemes = ("webhook+https", "webhook+http")
    kind = "webhook"
    dedupes = True
    usual_for = ("radio_script",)
    parameters = frozenset({"secret"})
    keeps_other_params = True
    provider = "receiver"

    def __init__(self, name: str, url: str, *, home: Path | None = None) -> None:
        super().__init__(name, url, home=home)
        self.secret_ref = self.params.pop("secret", None)
        if not self.secret_ref:
            raise ConfigError(f"{name}: a webhook needs ?secret=env:VAR to sign its requests")
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        self.target = self.base + (f"?{query}" if query else "")

    def default_base(self) -> str:
        receiver = self.parts._replace(scheme=self.parts.scheme.removeprefix("webhook+"))
        return receiver._replace(query="", fragment="").geturl()

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        return self.send_json(payload(rendered, idempotency_key), idempotency_key)

    def prebuild(self, rendered: Rendered, idempotency_key: str) -> bytes:
        """The JSON body: everything but the signature, which carries the send's time."""
        return _body(payload(rendered, idempotency_key))

    def publish_prebuilt(self, built: Any, rendered: Rendered, idempotency_key: str) -> Receipt:
        return self.send_body(built, idempotency_key)

    def warm(self) -> bool:
        return lean.warm(self.session, self.target, self.timeout)

    def loop_send(
        self, built: Any, rendered: Rendered, idempotency_key: str
    ) -> lean.LoopSend | None:
        """The prebuilt body signed as of now, for the send loop."""
        secret = resolve(self.secret_ref or "")
        headers = self._signed(built, idempotency_key, secret)
        request = self.loop_request("POST", self.target, data=built, headers=headers)
        if request is None:
            return None
        return lean.LoopSend(request, lambda resp: self._receipt(resp, secret),
                             self.transport_error)  # fmt: skip

    def warm_on(self, loop: Callable[[], SendLoop], count: int) -> bool:
        target = self.loop_target(self.target)
        if target is None:
            return False
        loop().warm(target, count, self.timeout)
        return True

    def send_json(
        self, doc: dict[str, Any], idempotency_key: str, *, lookup: Lookup | None = None
    ) -> Receipt:
        """POST `doc` signed (also used for alert notifications); `lookup` reads `secret:`."""
        return self.send_body(_body(doc), idempotency_key, lookup=lookup)

    def send_body(
        self, body: bytes, idempotency_key: str, *, lookup: Lookup | None = None
    ) -> Receipt:
        """POST a JSON body, signed as of now."""
        secret = resolve(self.secret_ref or "", lookup)
        headers = self._signed(body, idempotency_key, secret)
        resp = self.request("POST", self.target, data=body, headers=headers)
        return self._receipt(resp, secret)

    @staticmethod
    def _signed(body: bytes, idempotency_key: str, secret: str) -> dict[str, str]:
        """The request's headers: its key, and its signature as of now."""
        ts = str(int(time.time()))
        return {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": idempotency_key,
            "X-Bantin-Timestamp": ts,
            "X-Bantin-Signature": signature(secret, ts, body),
        }

    def check(self) -> dict[str, Any]:
        """Reachability and TLS of the receiver, without sending anything (`channel test`).

        An OPTIONS request carries no body and no signature, so a receiver cannot mistake
        it for a bulletin; any HTTP answer, even 404 or 405, proves the host is there.
        """
        result: dict[str, Any] = {"target": self.target, "secret": self.secret_ref}
        try:
            resolve(self.secret_ref or "")
        except ConfigError as exc:
            return {**result, "ok": False, "error": f"cannot sign: {exc}"}
        tls = self.target.startswith("https:")
        try:
            resp = self.session.options(self.target, timeout=self.timeout)
        except requests.exceptions.SSLError as exc:
            reason = scrub(str(exc))[:300]
            return {**result, "ok": False, "tls": "invalid", "error": f"TLS failed: {reason}"}
        except requests.Timeout:
            return {**result, "ok": False, "error": f"no answer within {self.timeout:g} s"}
        except requests.ConnectionError as exc:
            return {**result, "ok": False, "error": f"cannot connect: {type(exc).__name__}"}
        return {
            **result,
            "ok": True,
            "reachable": True,
            "http_status": resp.status_code,
            "tls": "verified certificate" if tls else "none (plain http)",
        }

    def _receipt(self, resp: requests.Response, secret: str = "") -> Receipt:
        status = resp.status_code
        if 200 <= status < 300 or status == 409:  # 409: the receiver already has this key
            data: dict[str, Any] = {}
            try:
                parsed = resp.json()
                data = parsed if isinstance(parsed, dict) else {}
            except ValueError:
                pass
            ext = data.get("id") or data.get("external_id")
            return Receipt(
                external_id=str(ext) if ext is not None else None,
                url=data.get("url"),
                http_status=status,
            )
        # A receiver may echo what it got, headers and all: status_error logs it redacted.
        error = self.status_error(resp, "the publication", secret)
        if isinstance(error, AuthError):
            raise AuthError(f"receiver refused the signature ({status})", http_status=status)
        raise error or PermanentError(f"receiver answered {status}", http_status=status)
