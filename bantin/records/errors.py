"""The one error type the records layer raises for a person's mistake.

Commands turn it into a single sentence (see `bantin.cli.reports.RecordsGroup`); anything
else escaping the records layer is a bug and keeps its traceback.
"""

from __future__ import annotations


class RecordsError(ValueError):
    """A request the records cannot satisfy: unknown agency, bad indicator value, …"""
