"""Where a channel's renewable tokens live (Zalo's access/refresh pair), without a database.

A channel asks `shared_store(account, access_ref, refresh_ref)`; in a process that owns a
database, `bantin.secrets.store.install` has put a factory here that builds the encrypted,
cross-process-locked store (`bantin.secrets.dbtokens`); otherwise the pair lives in memory.
So channels know nothing of the database, and nothing here imports a channel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from bantin.secrets.resolve import resolve


class TokenStore(Protocol):
    """Where the OA's access and refresh tokens live between calls (and, ideally, restarts)."""

    def get(self) -> tuple[str, str]:
        """(access token, refresh token)."""
        ...

    def put(self, access: str, refresh: str) -> None: ...

    def lock(self) -> AbstractContextManager[None]:
        """Held while renewing, so that only one worker spends the single-use refresh token."""
        ...


class MemoryTokenStore:
    """A TokenStore in this process only: right for tests and a single runner. A renewal is
    lost on restart, and the refresh token in the environment is then already spent."""

    def __init__(self, access: str, refresh: str) -> None:
        self._pair = (access, refresh)
        self._lock = threading.Lock()

    def get(self) -> tuple[str, str]:
        return self._pair

    def put(self, access: str, refresh: str) -> None:
        self._pair = (access, refresh)

    @contextmanager
    def lock(self) -> Iterator[None]:
        with self._lock:
            yield


_STORES: dict[tuple[str, str, str], TokenStore] = {}
_STORES_LOCK = threading.Lock()


StoreFactory = Callable[[str, str, str], TokenStore]
_FACTORY: StoreFactory | None = None


def install_store_factory(factory: StoreFactory | None) -> None:
    """Where renewed tokens are kept: `bantin.secrets.store.install` puts the database-backed
    store here (encrypted, renewed under a cross-process lock); without it, memory."""
    global _FACTORY
    with _STORES_LOCK:
        _FACTORY = factory
        _STORES.clear()


def shared_store(oa_id: str, access_ref: str, refresh_ref: str) -> TokenStore:
    """One store per OA and references in this process: two channel objects for the same OA
    must not each spend the single-use refresh token."""
    key = (oa_id, access_ref, refresh_ref)
    with _STORES_LOCK:
        if key not in _STORES:
            _STORES[key] = (
                _FACTORY(oa_id, access_ref, refresh_ref)
                if _FACTORY is not None
                else MemoryTokenStore(resolve(access_ref), resolve(refresh_ref))
            )
        return _STORES[key]
