"""Tokens the read-aloud rules left as written, so a person decides how they are said.

The normaliser never guesses: a figure no rule is sure of ("2/3" with no noun after it is
read as a date only when a date is plausible; "IPv6", "0270.3823.xxx") and an acronym the
dictionary does not know ("AI", "DTI" before it was added) stay as written. Reading them
aloud is then up to espeak-ng or the announcer, who will each improvise; so `bantin render`,
`bantin read-aloud` and `bantin template check` list them, and the fix is a dictionary entry
in ``abbreviations.yaml`` or a rewritten line.
"""

from __future__ import annotations

import re

__all__ = ["unread_tokens"]

_TOKEN = re.compile(r"[^\s,;:!?()\[\]\"“”]+")
_ACRONYM = re.compile(r"[A-ZĐ][A-Za-zĐđ]*[A-ZĐ][A-Za-zĐđ]*")
_CAPS_WORD = re.compile(r"[^\W\d_]+")


def _heading(line: str) -> bool:
    """A line written in capitals ("ĐẠI HỘI MƯỜI BA") is a heading, not a row of acronyms."""
    words = _CAPS_WORD.findall(line)
    upper = sum(1 for w in words if w.isupper() and len(w) > 1)
    return bool(words) and upper * 2 >= len(words)


def unread_tokens(spoken: str) -> list[str]:
    """Tokens of a read-aloud text that still hold digits or unknown capital acronyms,
    each once, in order of appearance."""
    found: list[str] = []
    for line in spoken.split("\n"):
        heading = _heading(line)
        for m in _TOKEN.finditer(line):
            token = m.group().strip(".…-–—'‘’")
            if not token:
                continue
            if (
                any(ch.isdigit() for ch in token)
                or (not heading and _ACRONYM.fullmatch(token) and len(token) <= 8)
            ) and token not in found:
                found.append(token)
    return found
