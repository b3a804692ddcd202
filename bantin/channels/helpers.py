"""What several channels need and none owns: Retry-After, log-safe text, plain text.

One module, so a channel never imports another channel for a helper (zalo once imported
from facebook, three channels from webhook).
"""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime

from bantin.content.limits import plain_text
from bantin.core import scrub as scrubbing

__all__ = ["parse_retry_after", "plain_text", "redact", "shorten"]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date; None when unreadable."""
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


_TOKEN_FIELD = re.compile(r"""((?:access|refresh)_token["']?\s*[:=]\s*["']?)[^"'&\s,}]+""")


def redact(text: str, *secrets: str, limit: int = 300) -> str:
    """A server's answer fit for a log line: token fields, every secret this process
    resolved and `secrets` masked first (servers echo credentials), then truncated."""
    text = _TOKEN_FIELD.sub(r"\1***", text[: limit * 10])
    text = scrubbing.scrub(text, *secrets)
    return text[:limit].replace("\n", " ")


def shorten(text: str, limit: int) -> str:
    """Whitespace collapsed and, if longer than `limit`, cut at a word boundary with '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,.;:–-") + "…"
