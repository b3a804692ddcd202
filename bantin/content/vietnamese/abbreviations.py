"""The editable abbreviation dictionary (``bantin/content/abbreviations.yaml``) and its matcher.

Press officers add local names to the YAML file without touching code; the file's header
comment states the matching rules, which are implemented here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ABBREVIATIONS_FILE",
    "AbbreviationMatcher",
    "domain_parts",
    "load_abbreviations",
    "load_document_codes",
    "matcher_for",
]

ABBREVIATIONS_FILE = Path(__file__).resolve().parent.parent / "abbreviations.yaml"

_SECTIONS = ("abbreviations", "document_codes", "domain_parts")


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, dict[str, str]]:
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with sections {', '.join(_SECTIONS)}")
    out: dict[str, dict[str, str]] = {}
    for section in _SECTIONS:
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            raise ValueError(f"{path}: section {section!r} must be a mapping")
        out[section] = {
            unicodedata.normalize("NFC", str(k)): unicodedata.normalize("NFC", str(v))
            for k, v in entries.items()
        }
    return out


def load_abbreviations(path: Path = ABBREVIATIONS_FILE) -> dict[str, str]:
    """The running-text abbreviations (a fresh copy: extend it and pass it to read_aloud).

    The file is read once per process; restart the scheduler after editing it.
    """
    return dict(_load(path)["abbreviations"])


def load_document_codes(path: Path = ABBREVIATIONS_FILE) -> dict[str, str]:
    """Readings of the parts of document numbers such as "QĐ-UBND"."""
    return dict(_load(path)["document_codes"])


def domain_parts(path: Path = ABBREVIATIONS_FILE) -> dict[str, str]:
    """Readings of the parts of web addresses such as "gov" and "vn"."""
    return dict(_load(path)["domain_parts"])


def _variants(entries: Mapping[str, str]) -> dict[str, str]:
    """Expand all-lower-case keys to their Capitalised and UPPER forms (see the YAML).

    Both read with a capital first letter: "COVID-19" is how the word is usually written,
    and "CÔ-VÍT MƯỜI CHÍN" would look like a shouted heading in the script.
    """
    out: dict[str, str] = {}
    for key, value in entries.items():
        out[key] = value
        if key == key.lower() and key != key.upper():
            capitalised = value[:1].upper() + value[1:]
            out.setdefault(key[:1].upper() + key[1:], capitalised)
            out.setdefault(key.upper(), capitalised)
    return out


def _key_pattern(key: str) -> str:
    escaped = re.escape(key)
    if key[:1].isdigit():
        before = r"(?<![\w&.,])"
    elif key[:1].isalnum():
        before = r"(?<![\w&])"
    else:
        before = ""
    if key[-1:].isdigit():
        after = r"(?![\w&]|[.,]\d)"
    elif key[-1:].isalnum():
        after = r"(?![\w&])"
    else:
        after = ""
    return before + escaped + after


class AbbreviationMatcher:
    """Finds abbreviations, and chains of them joined by "-" or "/", on word boundaries."""

    def __init__(self, entries: Mapping[str, str]) -> None:
        self.entries = _variants(
            {unicodedata.normalize("NFC", k): v for k, v in entries.items() if k}
        )
        keys = sorted(self.entries, key=lambda k: (-len(k), k))
        self._token: re.Pattern[str] | None = None
        self._chain: re.Pattern[str] | None = None
        if keys:
            one = "(?:" + "|".join(_key_pattern(k) for k in keys) + ")"
            self._token = re.compile(one)
            self._chain = re.compile(f"{one}(?:[-/]{one})*")

    def read(self, text: str) -> str:
        """The reading of one matched chain, e.g. "QĐ-UBND" → "quyết định ủy ban nhân dân"."""
        if text in self.entries:
            return self.entries[text]
        assert self._token is not None
        readings: list[str] = []
        pos = 0
        while pos < len(text):
            if text[pos] in "-/":
                pos += 1
                continue
            m = self._token.match(text, pos)
            if m is None:  # pragma: no cover - the chain pattern only matches tokens
                readings.append(text[pos:])
                break
            readings.append(self.entries[m.group()])
            pos = m.end()
        return " ".join(readings)

    def sub(self, text: str, repl: Callable[[re.Match[str], str], str]) -> str:
        """Replace every chain in ``text``; ``repl`` gets the match and its reading."""
        if self._chain is None:
            return text
        return self._chain.sub(lambda m: repl(m, self.read(m.group())), text)


@lru_cache(maxsize=32)
def _cached_matcher(items: tuple[tuple[str, str], ...]) -> AbbreviationMatcher:
    return AbbreviationMatcher(dict(items))


def matcher_for(entries: Mapping[str, str]) -> AbbreviationMatcher:
    """A compiled matcher, cached per distinct dictionary (scripts are read many times)."""
    return _cached_matcher(tuple(sorted(entries.items())))
