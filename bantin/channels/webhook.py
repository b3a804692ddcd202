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
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import requests

from bantin import __version__
from bantin.channels.base import (
    AuthError,
    Channel,
    ConfigError,
    PermanentError,
    RateLimited,
    Receipt,
    RetryableError,
)
from bantin.channels.secrets import resolve
from bantin.content.render import Rendered

log = logging.getLogger(__name__)
USER_AGENT = f"bantin/{__version__}"
RETRYABLE_STATUS = frozenset({408, 425, 500, 502, 503, 504})


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>` (timestamp blocks replays)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    base = now if now is not None else time.time()
    return max(0.0, when.timestamp() - base)


def payload(rendered: Rendered, idempotency_key: str) -> dict[str, Any]:
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
        "meta": rendered.meta,
    }


class WebhookChannel(Channel):
    schemes = ("webhook+https", "webhook+http")
    kind = "webhook"
    dedupes = True

    def __init__(self, name: str, url: str, *, home: Path | None = None) -> None:
        super().__init__(name, url, home=home)
        self.secret_ref = self.params.pop("secret", None)
        if not self.secret_ref:
            raise ConfigError(f"{name}: a webhook needs ?secret=env:VAR to sign its requests")
        self.timeout = float(self.params.pop("timeout", "10"))
        target = self.parts._replace(scheme=self.parts.scheme.removeprefix("webhook+"))
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        self.target = target._replace(query=query).geturl()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        body = json.dumps(payload(rendered, idempotency_key), ensure_ascii=False).encode("utf-8")
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": idempotency_key,
            "X-Bantin-Timestamp": ts,
            "X-Bantin-Signature": signature(resolve(self.secret_ref or ""), ts, body),
        }
        try:
            resp = self.session.post(self.target, data=body, headers=headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise RetryableError(f"timed out after {self.timeout:g} s") from exc
        except requests.ConnectionError as exc:
            raise RetryableError(f"connection failed: {type(exc).__name__}") from exc
        return self._receipt(resp)

    def _receipt(self, resp: requests.Response) -> Receipt:
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
        snippet = resp.text[:200].replace("\n", " ")
        log.info("webhook %s answered %s: %s", self.name, status, snippet)
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        if status == 429:
            raise RateLimited("rate limited (429)", retry_after=retry_after, http_status=status)
        if status in RETRYABLE_STATUS:
            raise RetryableError(
                f"receiver error {status}", retry_after=retry_after, http_status=status
            )
        if status in (401, 403):
            raise AuthError(f"receiver refused the signature ({status})", http_status=status)
        raise PermanentError(f"receiver rejected the publication ({status})", http_status=status)

    def close(self) -> None:
        self.session.close()
