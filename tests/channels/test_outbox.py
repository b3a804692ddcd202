from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bantin.channels import open_channel
from bantin.channels.base import ConfigError
from bantin.channels.outbox import OutboxChannel
from bantin.content.render import Rendered

R = Rendered(
    kind="radio_script",
    title="Bản tin",
    body="Kính thưa bà con xã Cái Nhum!",
    campaign_id="loa-cds",
    channel="loa",
    due_at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC),
    unit_code="29641",
    unit_name="Xã Cái Nhum",
    agency_code="COMMUNES",
    task_code="1.3",
)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("outbox:///srv/outbox", None),
        ("outbox://outbox/loa", None),
        ("outbox://", "needs a folder"),
        ("outbox:///x?token=abc", "must be a secret reference"),
        ("outbox:///x?late=soon", "invalid duration"),
        ("file:///x", "unknown channel type"),
    ],
)
def test_urls(url: str, error: str | None, tmp_path: Path) -> None:
    if error is None:
        assert isinstance(open_channel("o", url, tmp_path), OutboxChannel)
    else:
        with pytest.raises(ConfigError, match=error):
            open_channel("o", url, tmp_path)


def test_relative_folder_is_under_home(tmp_path: Path) -> None:
    ch = open_channel("o", "outbox://outbox/loa", tmp_path)
    assert isinstance(ch, OutboxChannel)
    assert ch.folder == tmp_path / "outbox" / "loa"


def test_publish_writes_one_file_in_the_local_day_folder(tmp_path: Path) -> None:
    ch = open_channel("o", f"outbox://{tmp_path}/out", tmp_path)
    receipt = ch.publish(R, "k" * 32)
    files = list((tmp_path / "out").rglob("*.txt"))
    assert len(files) == 1
    assert files[0].parent.name == "2026-12-01"  # 05:30 local on 1 December
    text = files[0].read_text(encoding="utf-8")
    assert "Kính thưa bà con xã Cái Nhum!" in text
    assert "Đơn vị: Xã Cái Nhum (29641)" in text
    assert receipt.url == files[0].as_uri()


def test_publishing_twice_with_the_same_key_writes_once(tmp_path: Path) -> None:
    ch = open_channel("o", f"outbox://{tmp_path}/out", tmp_path)
    first = ch.publish(R, "a" * 32)
    second = ch.publish(R, "a" * 32)
    assert first == second
    assert len(list((tmp_path / "out").rglob("*.txt"))) == 1


def test_reconcile_finds_a_file_already_written(tmp_path: Path) -> None:
    ch = open_channel("o", f"outbox://{tmp_path}/out", tmp_path)
    assert ch.reconcile(R, "b" * 32) is None
    ch.publish(R, "b" * 32)
    assert ch.reconcile(R, "b" * 32) is not None


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    ch = open_channel("o", f"outbox://{tmp_path}/out", tmp_path)
    ch.publish(R, "c" * 32)
    assert not [p for p in (tmp_path / "out").rglob(".tmp-*")]
