"""Vietnamese collation: the order a Vietnamese reader expects in a list of communes.

Code-point order puts "Đ" after "Z" and mixes tones into the letters. Vietnamese
dictionaries order by base letter first (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t
u ư v x y), then by tone (ngang, huyền, hỏi, ngã, sắc, nặng). PyICU would do this but
drags in a C++ library for one sort; this key is enough and is tested against it.
"""

from __future__ import annotations

import unicodedata

_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
# Combining marks for the five tones, in dictionary order after the level tone.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_UNIT_PREFIXES = ("thị trấn ", "phường ", "xã ")


def _split(ch: str) -> tuple[str, int]:
    """One precomposed character -> (base letter with its letter marks, tone rank)."""
    decomposed = unicodedata.normalize("NFD", ch.lower())
    tone = 0
    kept = []
    for c in decomposed:
        if c in _TONES:
            tone = _TONES[c]
        else:
            kept.append(c)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """Key for `sorted()`: letters first, then tones, then the original text as tie-break."""
    letters: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFC", text):
        base, tone = _split(ch)
        if base in _RANK:
            letters.append(100 + _RANK[base])
        elif base.isdigit():
            letters.append(10 + int(base))
        elif base.isspace():
            letters.append(1)
        elif base.isalpha():
            letters.append(200 + ord(base))
        else:
            continue
        tones.append(tone)
    return tuple(letters), tuple(tones), text


def unit_sort_key(name: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """Sort communes by their proper name: "Xã An Bình" files under A, not X."""
    lowered = name.lower()
    for prefix in _UNIT_PREFIXES:
        if lowered.startswith(prefix):
            return sort_key(name[len(prefix) :])
    return sort_key(name)


def sort_key_string(text: str) -> str:
    """The key flattened to a string, so the database can ORDER BY it."""
    letters, tones, _ = unit_sort_key(text)
    return "".join(f"{n:03d}" for n in letters) + "|" + "".join(str(t) for t in tones)
