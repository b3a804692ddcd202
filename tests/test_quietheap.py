"""The heap frozen while rows wait for their second (bantin.quietheap)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bantin import quietheap


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    yield
    while quietheap.frozen():
        quietheap.release()


def test_settle_freezes_what_survives_a_collection() -> None:
    quietheap.settle()
    assert gc.get_freeze_count() > 0


def test_release_hands_the_frozen_objects_back() -> None:
    quietheap.settle()
    quietheap.release()
    assert gc.get_freeze_count() == 0


def test_the_heap_stays_frozen_until_every_settle_is_released() -> None:
    quietheap.settle()
    quietheap.settle()  # two dispatchers in one process
    quietheap.release()
    assert gc.get_freeze_count() > 0
    quietheap.release()
    assert gc.get_freeze_count() == 0


def test_a_release_without_a_settle_changes_nothing() -> None:
    quietheap.release()
    assert not quietheap.frozen()
