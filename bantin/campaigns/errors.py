"""Errors of a campaign file, each naming file, line and field.

Validation collects every problem before reporting, so a reviewer fixes a file in one
pass instead of one error per run.
"""

from __future__ import annotations

from dataclasses import dataclass

from bantin.core.errors import BantinError


@dataclass(frozen=True)
class CampaignIssue:
    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class CampaignError(BantinError):
    """One or more problems in campaign files; `str()` lists them one per line."""

    def __init__(self, issues: list[CampaignIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def field_path(loc: tuple[str | int, ...]) -> str:
    """('schedule', 0, 'cron') -> 'schedule[0].cron'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
