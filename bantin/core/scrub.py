"""One scrubber for every text that came from outside or may quote a credential.

Remote servers echo what they were sent: a WordPress proxy that answers 400 with the
request's `Authorization` header, a Graph error whose `fbtrace_id` quotes the token, an
SMTP server that repeats the password. Such text must never reach a place that keeps it —
a publication's reason, an attempt's error, a log line, an alert or the audit chain, where
it could never be removed without breaking the chain. So every such text passes `scrub`
before it is stored, logged or alerted.

What is masked:
- every secret value this process has resolved (`register` is called by the secret
  resolver and by channels that build composite credentials such as `user:password`),
  in its plain, URL-encoded and base64 forms — base64 at all three byte alignments, so the
  secret is found even inside the encoding of a longer string such as `user:password`;
- whatever follows `Authorization:`, `Bearer`, `Basic` and credential-named parameters
  (`token=`, `"access_token": "…"`, `app_password=`…), known value or not.

This module imports nothing of bantin: everything may use it.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Collection, Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

MASK = "***"
#: Shorter values are not scrubbed: masking every "1" or "ab" in a text would garble it
#: while hiding nothing worth hiding.
MIN_LENGTH = 4
#: Base64 characters of a secret's encoding that depend only on the secret at a given
#: alignment are at least this many; shorter cores could match innocent text.
MIN_CORE = 6

_CREDENTIAL_NAMES = (
    r"(?:access[_-]?token|refresh[_-]?token|api[_-]?key|apikey|app[_-]?password|password|"
    r"passwd|client[_-]?secret|secret|token|signature|sig|key)"
)
_PATTERNS = (
    # Authorization: Basic dXNlcjpw…  /  'Authorization': 'Bearer abc'  /  Proxy-Authorization
    re.compile(
        r"(?i)((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)"
        r"((?:basic|bearer|token|digest|oauth)\s+)?[^\s'\",;}]+"
    ),
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    re.compile(r"(?i)\b(basic\s+)[A-Za-z0-9+/]{6,}=*"),
    # token=…, &access_token=…, app_password: …, "client_secret": "…"
    re.compile(
        r"(?i)(\b" + _CREDENTIAL_NAMES + r"['\"]?\s*(?:=|:)\s*['\"]?)"
        r"(?!\*\*\*)(?!env:)(?!secret:)[^\s&'\",;}<>]{4,}"
    ),
)
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-%")


def _b64_cores(value: bytes) -> set[str]:
    """Parts of base64 text that appear whenever `value` is encoded inside anything."""
    cores: set[str] = set()
    for offset in range(3):
        padded = b"\0" * offset + value
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(padded).decode("ascii").rstrip("=")
            # Characters touched by the arbitrary prefix or suffix are not fixed.
            head = (offset * 8 + 5) // 6
            tail = 2 if (len(padded) % 3) else 0
            core = text[head : len(text) - tail] if tail else text[head:]
            if len(core) >= MIN_CORE:
                cores.add(core)
    return cores


class Scrubber:
    """Known secret values and the compiled expression that masks them in any form."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._regex: _Compiled | None = None

    def register(self, *values: str | None) -> None:
        """Remember values that must never be shown (in memory only)."""
        added = False
        with self._lock:
            for value in values:
                if value and len(value) >= MIN_LENGTH and value not in self._values:
                    self._values.add(value)
                    added = True
            if added:
                self._regex = None

    def forget_all(self) -> None:
        """For tests: start from an empty set."""
        with self._lock:
            self._values.clear()
            self._regex = None

    def _forms(self, values: Iterable[str]) -> set[str]:
        forms: set[str] = set()
        for value in values:
            if len(value) < MIN_LENGTH:
                continue
            forms.update({value, quote(value, safe=""), quote_plus(value), quote(value)})
            forms.update(_b64_cores(value.encode("utf-8")))
        return forms

    def _compiled(self, extra: tuple[str, ...]) -> _Compiled | None:
        with self._lock:
            if not extra and self._regex is not None:
                return self._regex
            values = set(self._values)
        values.update(v for v in extra if v)
        forms = self._forms(values)
        if not forms:
            return None
        ordered = sorted(forms, key=len, reverse=True)  # a longer form wins over its part
        compiled = _Compiled(re.compile("|".join(re.escape(f) for f in ordered)))
        if not extra:
            with self._lock:
                self._regex = compiled
        return compiled

    def scrub(self, text: str, *extra: str) -> str:
        """`text` with every known secret (and `extra`) and every credential value masked."""
        if not text:
            return text
        compiled = self._compiled(tuple(e for e in extra if e and len(e) >= MIN_LENGTH))
        if compiled is not None:
            text = compiled.sub(text)
        for pattern in _PATTERNS:
            text = pattern.sub(_keep_label, text)
        return text


class _Compiled:
    """Known forms as one alternation; a match is widened to the token around it, so a
    base64 core masks the whole encoded credential, not just its middle."""

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex

    def sub(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for m in self.regex.finditer(text):
            start, end = m.start(), m.end()
            if start < last:
                continue
            while start > last and text[start - 1] in _TOKEN_CHARS:
                start -= 1
            while end < len(text) and text[end] in _TOKEN_CHARS:
                end += 1
            while end < len(text) and text[end] == "=":
                end += 1
            out.append(text[last:start])
            out.append(MASK)
            last = end
        out.append(text[last:])
        return "".join(out)


def _keep_label(match: re.Match[str]) -> str:
    labels = [g for g in match.groups() if g]
    return "".join(labels) + MASK


scrubber = Scrubber()


def register(*values: str | None) -> None:
    """Remember values that must never be shown (see `Scrubber.register`)."""
    scrubber.register(*values)


def scrub(text: str, *extra: str) -> str:
    """Mask known secrets in all their forms and any credential-looking value."""
    return scrubber.scrub(text, *extra)


def scrub_data(value: Any) -> Any:
    """`scrub` applied to every string inside JSON-like data (audit payloads, --json)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(v) for v in value]
    return value


class ScrubFilter(logging.Filter):
    """A logging filter that scrubs the message and any traceback before a handler sees it.

    Installed on every handler of the root logger by the CLI, so a library that logs a
    server's answer (requests, urllib3, smtplib debug output) is covered too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_FILTER = ScrubFilter()
_installed = False


def install_logging_scrubber() -> None:
    """Scrub every log record of the process when it is made, whatever logger or handler.

    A record factory rather than a handler filter: records of libraries (requests, urllib3,
    smtplib, werkzeug) propagate to handlers added later by anyone (a test's capture, a
    JSON shipper), and a filter on today's handlers would miss those. Records are only made
    for enabled levels, so the cost is paid only for lines that are written.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _FILTER.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


# -- URLs that may carry credentials ------------------------------------------------

#: A parameter whose name, lower-cased and without separators, contains one of these holds
#: a secret (`api_key`, `Access-Token`, `client_secret`, `passwd`): it must be a reference.
SENSITIVE_PARTS = ("token", "secret", "password", "passwd", "key")


def is_sensitive(name: str, extra: Collection[str] = ()) -> bool:
    """Does this parameter name hold a secret, however it is spelled? `extra` is a channel's
    own `secret_params` (names the general rule would not catch)."""
    folded = re.sub(r"[^a-z0-9]", "", name.lower())
    return any(part in folded for part in SENSITIVE_PARTS) or name in extra


def mask_url(url: str, secret_names: Collection[str] = ()) -> str:
    """A URL fit to show: userinfo and sensitive parameter values replaced by ***."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = "***@" + netloc.rpartition("@")[2]
        query = "&".join(
            f"{k}={'***' if is_sensitive(k, secret_names) else v}"
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        )
        return parts._replace(netloc=netloc, query=query).geturl()
    except ValueError:
        return "(an unreadable URL)"
