"""The desk's menu: each page module adds its own entries at import (endpoint, the text
key of its label, the roles that see it), so modules never edit one shared template and a
role never sees a link to a page it may not open."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for

from bantin.accounts.scope import Principal


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    text: str  # a key of bantin.web.i18n.TEXTS
    roles: frozenset[str]
    order: int = 50

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def current(self) -> bool:
        return request.endpoint == self.endpoint


ITEMS: list[NavItem] = []


def add(endpoint: str, text: str, roles: set[str] | frozenset[str], order: int = 50) -> None:
    """Put a page in the menu for `roles` (admin sees every entry)."""
    if any(item.endpoint == endpoint for item in ITEMS):
        return  # a module imported twice (tests) adds nothing new
    ITEMS.append(NavItem(endpoint, text, frozenset(roles), order))
    ITEMS.sort(key=lambda item: (item.order, item.endpoint))


def for_principal(p: Principal | None) -> list[NavItem]:
    """The entries `p` may open, in menu order; none for an anonymous visitor."""
    if p is None:
        return []
    return [i for i in ITEMS if p.role == "admin" or p.role in i.roles]
