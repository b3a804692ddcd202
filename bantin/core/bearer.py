"""What the three kinds of bearer secrets (API tokens, feed read tokens, receipt tokens)
share: how a token is made, how it is stored (only its SHA-256) and how its label is
cleaned. Each kind keeps its own prefix, table and errors."""

from __future__ import annotations

import hashlib
import secrets


def token_hash(token: str) -> str:
    """The stored form of a token: its SHA-256, hex (the text itself is shown once)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(prefix: str) -> str:
    """A fresh token: the kind's prefix (it tells a reader what the secret opens) and 256
    random bits."""
    return prefix + secrets.token_urlsafe(32)


def clean_label(label: str, max_length: int) -> str | None:
    """The label with runs of whitespace made one space; None when empty or too long."""
    label = " ".join(label.split())
    return label if label and len(label) <= max_length else None
