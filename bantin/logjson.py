"""Log lines an operator can read, and ones a log shipper can parse.

`--log-format text` (the default) keeps the familiar `TIME LEVEL logger: message` lines;
`--log-format json` writes one JSON object a line. Both carry the time WITH its UTC
offset: a log read in another zone, or across a daylight-saving change on the server,
must never be off by hours.

JSON lines carry `publication`, `campaign`, `channel` and `runner` when known. They come
from `extra=` on the call, else from a context the dispatcher sets per delivery
(`bind(...)`: a contextvar, so each pool thread has its own), else for `runner` from the
process-wide value the runner sets once (`set_runner`).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import datetime
from typing import Any

FIELDS = ("publication", "campaign", "channel", "runner")
FORMATS = ("text", "json")

_context: ContextVar[dict[str, Any] | None] = ContextVar("bantin_log_context", default=None)
_runner: str | None = None


def set_runner(runner: str | None) -> None:
    """The runner id every line of this process carries from now on."""
    global _runner
    _runner = runner


def bind(**fields: Any) -> None:
    """Set this thread's context; `publication=` starts a new delivery (clears the rest)."""
    current = {} if "publication" in fields else dict(_context.get() or {})
    current.update({k: v for k, v in fields.items() if v is not None})
    _context.set(current)


def clear() -> None:
    _context.set(None)


def iso_time(created: float) -> str:
    """A record's time in the server's zone, ISO 8601 with its offset, to the millisecond."""
    return datetime.fromtimestamp(created).astimezone().isoformat(timespec="milliseconds")


class ContextFilter(logging.Filter):
    """Copies the bound context onto each record (an explicit `extra=` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _context.get() or {}
        for name in FIELDS:
            if getattr(record, name, None) is None:
                value = bound.get(name, _runner if name == "runner" else None)
                setattr(record, name, value)
        return True


class TextFormatter(logging.Formatter):
    """Today's readable lines, with an offset on the time."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return iso_time(record.created)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, context, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": iso_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def make_handler(log_format: str = "text") -> logging.Handler:
    """A stderr handler in the chosen format, with the context filter attached."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    return handler
