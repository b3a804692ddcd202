"""Outbox: each publication written atomically as a text file, for an offline hand-over.

`outbox:///var/lib/bantin/outbox` (absolute) or `outbox://outbox/baovl` (relative to
BANTIN_HOME). The file name is derived from the publication itself, so writing it twice
is harmless: a resend after a crash finds the file and returns the same receipt.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from bantin.channels.base import Channel, Receipt, RetryableError
from bantin.content import vietnamese
from bantin.content.render import Rendered
from bantin.core.errors import ConfigError

PRIORITY_NAMES = {"normal": "thường", "priority": "ưu tiên", "emergency": "khẩn cấp"}


class OutboxChannel(Channel):
    schemes = ("outbox",)
    kind = "outbox"
    usual_for = ("post", "article", "radio_script")
    lateness_budget = timedelta(days=1)
    dedupes = True

    def __init__(self, name: str, url: str, *, home: Path | None = None) -> None:
        super().__init__(name, url, home=home)
        raw = (self.parts.netloc + self.parts.path).strip()
        if not raw:
            raise ConfigError(f"{name}: outbox URL needs a folder, e.g. outbox:///srv/outbox")
        folder = Path(self.parts.path) if not self.parts.netloc else Path(raw)
        self.folder = folder if folder.is_absolute() else self.home / folder

    def path_for(self, rendered: Rendered, idempotency_key: str) -> Path:
        local = rendered.due_local
        who = rendered.unit_code or "trang"
        name = f"{local:%H%M}-{rendered.campaign_id}-{who}-{idempotency_key[:10]}.txt"
        return self.folder / f"{local:%Y-%m-%d}" / name

    def _text(self, rendered: Rendered, idempotency_key: str) -> str:
        local = rendered.due_local
        header = [
            f"Tiêu đề: {rendered.title}",
            f"Chiến dịch: {rendered.campaign_id}",
            f"Nhiệm vụ: {rendered.task_code}",
            f"Cơ quan: {rendered.agency_code}",
        ]
        if rendered.unit_code:
            header.append(f"Đơn vị: {rendered.unit_name} ({rendered.unit_code})")
        header += [
            f"Kênh: {rendered.channel}",
            f"Thời điểm: {vietnamese.format_time(local.time())}, "
            f"{vietnamese.format_date(local.date())}",
            f"Mức ưu tiên: {PRIORITY_NAMES.get(rendered.priority, rendered.priority)}",
            f"Mã: {idempotency_key}",
        ]
        text = "\n".join(header) + "\n\n" + rendered.body + "\n"
        spoken = rendered.meta.read_aloud
        if rendered.kind == "radio_script" and spoken:  # what the announcer reads, spelt out
            text += "\n--- Bản đọc trên loa ---\n\n" + str(spoken) + "\n"
        return text

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        target = self.path_for(rendered, idempotency_key)
        if target.exists():
            return self._receipt(target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self._text(rendered, idempotency_key))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)  # atomic: readers never see half a file
        except OSError as exc:
            raise RetryableError(f"cannot write to outbox {self.folder}: {exc.strerror}") from exc
        return self._receipt(target)

    def check(self) -> dict[str, Any]:
        """Can bantin write here? Creates the folder if needed and writes a probe file."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".probe-", dir=self.folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            return {"ok": False, "folder": str(self.folder), "error": exc.strerror or str(exc)}
        free = shutil.disk_usage(self.folder).free
        return {"ok": True, "folder": str(self.folder), "writable": True, "free_mb": free >> 20}

    def reconcile(self, rendered: Rendered, idempotency_key: str) -> Receipt | None:
        target = self.path_for(rendered, idempotency_key)
        return self._receipt(target) if target.exists() else None

    def _receipt(self, target: Path) -> Receipt:
        return Receipt(external_id=str(target.relative_to(self.folder)), url=target.as_uri())
