"""Channels: one module per kind behind one contract (`base.Channel`).

The registry is discovered, not written: every module of this package is imported the
first time a scheme is looked up, and each `Channel` subclass a module *defines* (not
imports) with its own `schemes` is registered under them. A new channel is one module.
Importing `bantin.channels.base` loads no channel module.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import threading
from collections.abc import ItemsView, Iterator, ValuesView
from pathlib import Path

from bantin.channels.base import Channel
from bantin.content import limits
from bantin.core.errors import ConfigError

#: Modules of this package that hold shared code, not channels.
_NOT_CHANNELS = frozenset({"base", "http", "helpers", "ratelimit", "service"})
_LOCK = threading.Lock()


def discover() -> Iterator[type[Channel]]:
    """Every concrete channel class defined in a module of this package."""
    for info in pkgutil.iter_modules(__path__):
        if info.name in _NOT_CHANNELS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, Channel)
                and cls.__module__ == module.__name__
                and not inspect.isabstract(cls)
                and "schemes" in vars(cls)
                and cls.listed
            ):
                yield cls


class Registry(dict[str, type[Channel]]):
    """scheme -> channel class, filled from `discover()` on first use. Entries set before
    (tests registering a fake kind) are kept."""

    _loaded = False

    def load(self) -> Registry:
        if not self._loaded:
            with _LOCK:
                if not self._loaded:
                    for cls in discover():
                        for scheme in cls.schemes:
                            self.setdefault(scheme, cls)
                    self._loaded = True
        return self

    def __getitem__(self, scheme: str) -> type[Channel]:
        return dict.__getitem__(self.load(), scheme)

    def __contains__(self, scheme: object) -> bool:
        return dict.__contains__(self.load(), scheme)

    def __iter__(self) -> Iterator[str]:
        return dict.__iter__(self.load())

    def __len__(self) -> int:
        return dict.__len__(self.load())

    def get(self, scheme: str, default: type[Channel] | None = None) -> type[Channel] | None:  # type: ignore[override]
        return dict.get(self.load(), scheme, default)

    def values(self) -> ValuesView[type[Channel]]:  # type: ignore[override]
        return dict.values(self.load())

    def items(self) -> ItemsView[str, type[Channel]]:  # type: ignore[override]
        return dict.items(self.load())


CHANNEL_TYPES = Registry()


def kinds() -> dict[str, type[Channel]]:
    """channel kind -> its class (the first registered for the kind)."""
    out: dict[str, type[Channel]] = {}
    for cls in CHANNEL_TYPES.values():
        out.setdefault(cls.kind, cls)
    return out


def kind_class(kind: str) -> type[Channel] | None:
    """The class of a channel kind, or None for a kind no module defines."""
    return kinds().get(kind)


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


# Content checks lengths against the facts the channel classes declare, without importing
# them (channels build on content): hand it the lookup.
limits.install_kind_source(kinds)
