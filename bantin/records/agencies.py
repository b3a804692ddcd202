"""Agencies over time: successor chains and the roll-up of old records to today's agency.

A record keeps the agency of its time (STTTT published the 2024 posts, not SKHCN); the
auditor reads the records by the agency that answers for them now. The agency table is
small (a few dozen rows), so it is read once into memory and every chain is walked
there; reports aggregate in SQL by the original agency and roll the aggregated rows up.

Chains come from data typed by people, so a loop (A -> B -> A) is possible: walking
stops at the first repeat instead of spinning, and the loop is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.core.errors import RecordsError
from bantin.core.models import Agency

log = logging.getLogger(__name__)

# The plan's auditor, named as the plan names it; the agency holding the role on a given
# day is found through the successor chain (SKHCN from 1/3/2025).
DIC_CODE = "STTTT"


@dataclass(frozen=True)
class AgencyInfo:
    code: str
    name: str
    name_en: str | None
    kind: str
    level: str
    valid_from: date | None
    valid_to: date | None
    successor: str | None

    def valid_on(self, day: date) -> bool:
        """Whether the agency existed on `day` (open ends count as always)."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def display_name(self, lang: str = "vi") -> str:
        return (self.name_en or self.name) if lang == "en" else self.name


class Agencies:
    """Every agency in memory, with successor chains walked without a query each."""

    def __init__(self, rows: Iterable[AgencyInfo]) -> None:
        self._by_code = {a.code: a for a in rows}
        self._lineage: dict[str, frozenset[str]] | None = None

    @classmethod
    def load(cls, session: Session) -> Agencies:
        return cls(
            AgencyInfo(
                a.code,
                a.name,
                a.name_en,
                a.kind,
                a.level,
                a.valid_from,
                a.valid_to,
                a.successor_code,
            )
            for a in session.execute(select(Agency)).scalars()
        )

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[AgencyInfo]:
        return iter(sorted(self._by_code.values(), key=lambda a: a.code))

    def get(self, code: str) -> AgencyInfo:
        """The agency, or a clear error naming the codes that exist."""
        try:
            return self._by_code[code]
        except KeyError:
            known = ", ".join(sorted(self._by_code))
            raise RecordsError(f"unknown agency {code!r} (known: {known})") from None

    def name(self, code: str | None, lang: str = "vi") -> str:
        if code is None or code not in self._by_code:
            return code or ""
        return self._by_code[code].display_name(lang)

    def chain(self, code: str) -> list[str]:
        """`code`, its successor, that one's successor, … (stops at the first repeat)."""
        out = [code]
        seen = {code}
        nxt = self._by_code[code].successor if code in self._by_code else None
        while nxt is not None:
            if nxt in seen:
                log.warning("agency successor loop: %s -> %s", " -> ".join(out), nxt)
                break
            out.append(nxt)
            seen.add(nxt)
            nxt = self._by_code[nxt].successor if nxt in self._by_code else None
        return out

    def current(self, code: str) -> str:
        """The agency that answers today for `code`'s records: the end of its chain."""
        return self.chain(code)[-1]

    def holder_on(self, code: str, day: date) -> str:
        """Who held `code`'s role on `day`: the first agency in the chain valid that day.

        Falls back to the end of the chain, so a role is never left without a holder.
        """
        for c in self.chain(code):
            if c in self._by_code and self._by_code[c].valid_on(day):
                return c
        return self.current(code)

    def lineage(self, code: str) -> frozenset[str]:
        """`code` and every agency whose records roll up through it (its predecessors)."""
        if self._lineage is None:
            table: dict[str, set[str]] = {}
            for c in self._by_code:
                for holder in self.chain(c):
                    table.setdefault(holder, set()).add(c)
            self._lineage = {k: frozenset(v) for k, v in table.items()}
        return self._lineage.get(code, frozenset({code}))

    def rollup_map(self) -> dict[str, str]:
        """Every code mapped to the agency that answers for it now."""
        return {c: self.current(c) for c in self._by_code}


def rollup(session: Session) -> dict[str, str]:
    """Shortcut: every agency code mapped to its current successor (itself if none)."""
    return Agencies.load(session).rollup_map()
