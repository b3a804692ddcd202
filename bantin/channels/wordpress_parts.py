"""WordPress REST answers, slugs and images as pure functions (no HTTP), for the channel in
`bantin.channels.wordpress`; kept apart so that module stays one screenful of behaviour."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from pathlib import PurePosixPath
from typing import Any

from bantin.channels.base import RetryableError
from bantin.content.render import Rendered

__all__ = [
    "_fold",
    "_id",
    "_items",
    "_nested_denial",
    "as_html",
    "media_slug",
    "post_slug",
    "safe_filename",
    "sniff_image",
]

#: Magic numbers of the image types WordPress accepts for a featured image.
IMAGE_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF8", "image/gif", "gif"),
)


def post_slug(idempotency_key: str) -> str:
    """`bantin-<key[:16]>`, lower-case so WordPress's sanitize_title leaves it as it is."""
    key = idempotency_key.lower()
    if not re.fullmatch(r"[0-9a-f]{16,}", key):  # keys are hex digests; anything else is hashed
        key = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return "bantin-" + key[:16]


def media_slug(filename: str, data: bytes) -> str:
    """Same filename and same bytes (hence same size): the same media item, found by this slug."""
    digest = hashlib.sha256(filename.encode() + b"\0" + data).hexdigest()
    return "bantin-img-" + digest[:16]


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """(Content-Type, extension) from the file's first bytes; names and headers can lie."""
    for magic, mime, ext in IMAGE_TYPES:
        if data.startswith(magic):
            return mime, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def safe_filename(name: str, ext: str) -> str:
    """ASCII file name for Content-Disposition (WordPress reads only a plain `filename=`)."""
    stem = PurePosixPath(name).stem.replace("đ", "d").replace("Đ", "D")
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_").lower()[:60]
    return f"{stem or 'image'}.{ext}"


def as_html(rendered: Rendered) -> str:
    """Articles are HTML already; other kinds are plain text, escaped into paragraphs."""
    text = unicodedata.normalize("NFC", rendered.body)
    if rendered.kind == "article":
        return text
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>' + chr(10))}</p>" for p in paragraphs
    )


def _id(doc: Any, what: str) -> int:
    """The `id` of a created item; an answer without one leaves the outcome unknown."""
    if isinstance(doc, dict) and isinstance(doc.get("id"), int):
        found: int = doc["id"]
        return found
    raise RetryableError(f"WordPress answered {what} without an id")


def _items(doc: Any) -> list[dict[str, Any]]:
    """The objects of a list answer (a plugin may answer something else)."""
    return [d for d in doc if isinstance(d, dict)] if isinstance(doc, list) else []


def _nested_denial(data: dict[str, Any]) -> int | None:
    """401/403 hidden in a 400's `details`, e.g. `status=any` refused to an anonymous caller."""
    details = data.get("details")
    for detail in details.values() if isinstance(details, dict) else ():
        inner = detail.get("data") if isinstance(detail, dict) else None
        if isinstance(inner, dict) and inner.get("status") in (401, 403):
            return int(inner["status"])
    return None


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", html.unescape(name)).strip().casefold()
