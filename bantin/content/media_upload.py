"""An image uploaded with a composed post, stored where channels may read images from.

Channels take `image_path` only from the media folder (`bantin.outbound.media_file`), so
the upload goes there, under a generated name (a person's file name never reaches the
file system), after its type is read from its first bytes (not from the name or the
browser's claim) and its size is checked.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from bantin.core.errors import BantinError
from bantin.core.fileperms import secure_dir

MAX_IMAGE_BYTES = 2 * 1024 * 1024
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
)


class ImageRefused(BantinError):
    """Not an image we store: a sentence for the person who uploaded it."""


def image_type(data: bytes) -> str | None:
    """`png`, `jpg` or `webp` from the file's first bytes; None for anything else."""
    for magic, ext in _SIGNATURES:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def store_image(data: bytes, media: Path, now: datetime) -> str:
    """Save `data` in `media`/soan-bai/<year>/ under a random name; returns the path
    relative to the media folder (what a template's `image_path` names)."""
    if not data:
        raise ImageRefused("tệp ảnh trống")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRefused(f"ảnh lớn quá {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    ext = image_type(data)
    if ext is None:
        raise ImageRefused("chỉ nhận ảnh PNG, JPEG hoặc WebP")
    rel = Path("soan-bai") / f"{now:%Y}" / f"{secrets.token_hex(16)}.{ext}"
    folder = secure_dir(media / rel.parent, narrow_existing=False)
    (folder / rel.name).write_bytes(data)
    return rel.as_posix()
