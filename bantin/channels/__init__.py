"""Channels: one module per kind behind one contract (`base.Channel`)."""

from __future__ import annotations

from pathlib import Path

from bantin.channels.base import Channel, ConfigError
from bantin.channels.facebook import FacebookPageChannel
from bantin.channels.outbox import OutboxChannel
from bantin.channels.webhook import WebhookChannel
from bantin.channels.wordpress import WordPressChannel
from bantin.channels.zalo import ZaloOAChannel

CHANNEL_TYPES: dict[str, type[Channel]] = {
    scheme: cls
    for cls in (OutboxChannel, WebhookChannel, FacebookPageChannel, ZaloOAChannel, WordPressChannel)
    for scheme in cls.schemes
}


def channel_class(url: str) -> type[Channel]:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    try:
        return CHANNEL_TYPES[scheme]
    except KeyError:
        known = ", ".join(sorted(CHANNEL_TYPES))
        raise ConfigError(f"unknown channel type {scheme!r} (known: {known})") from None


def open_channel(name: str, url: str, home: Path | None = None) -> Channel:
    """Build a channel from its configuration URL; raises ConfigError with a sentence."""
    return channel_class(url)(name, url, home=home)
