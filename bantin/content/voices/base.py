"""The engine interface, voice names, and the on-disk cache every engine shares."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = [
    "DEFAULT_VOICE",
    "Engine",
    "Synthesis",
    "VoiceError",
    "VoiceSpec",
    "cache_key",
    "cached",
    "parse_voice",
]

DEFAULT_VOICE = "espeak-ng:vi-vn-x-south"
"""Vĩnh Long is in the south: listeners hear their own accent by default."""

LEGACY_ESPEAK = {"vi", "vi-vn-x-south", "vi-vn-x-central"}


class VoiceError(RuntimeError):
    """An engine cannot speak: missing program or model, refused key, quota, timeout.

    The message is one sentence for an operator, with no secret in it.
    """


@dataclass(frozen=True)
class VoiceSpec:
    """`engine:voice`, e.g. `fpt:lannhi`; options are engine settings (speed, format)."""

    engine: str
    voice: str

    def __str__(self) -> str:
        return f"{self.engine}:{self.voice}"


def parse_voice(text: str | None) -> VoiceSpec:
    """`"fpt:lannhi"` → VoiceSpec; a bare espeak-ng voice (`"vi"`) keeps working."""
    text = (text or DEFAULT_VOICE).strip()
    if text in LEGACY_ESPEAK:
        return VoiceSpec("espeak-ng", text)
    engine, sep, voice = text.partition(":")
    if not sep or not engine or not voice:
        raise VoiceError(f"voice {text!r} must be written engine:voice, e.g. {DEFAULT_VOICE}")
    return VoiceSpec(engine.lower(), voice)


@dataclass(frozen=True)
class Synthesis:
    """A spoken file and its length measured from the file itself."""

    path: Path
    seconds: float
    voice: str  # "engine:voice"


class Engine(Protocol):
    """What every engine module provides."""

    name: str

    def synthesise(self, text: str, voice: str, out_dir: Path) -> Synthesis:
        """Speak `text` with `voice` into a new file in `out_dir`; raises VoiceError."""
        ...

    def options(self) -> dict[str, str]:
        """Settings that change the sound (speed, format): part of the cache key."""
        ...


def cache_key(text: str, engine: str, voice: str, options: dict[str, str]) -> str:
    """sha256 of text + engine + voice + options: the same script is synthesised once."""
    opts = json.dumps(options, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{engine}\0{voice}\0{opts}\0{text}".encode()).hexdigest()


def cached(
    engine: Engine,
    text: str,
    voice: str,
    cache_dir: Path,
    make: Callable[[Path], Synthesis] | None = None,
) -> Synthesis:
    """The engine's file for exactly this text and voice, made once and kept in `cache_dir`.

    An HTTP engine bills per character and may be rate limited; a script aired in 124
    communes twice a day must cost one request. The entry is a file named by the key and
    a JSON sidecar with its measured length; both are written atomically.
    """
    key = cache_key(text, engine.name, voice, engine.options())
    cache_dir.mkdir(parents=True, exist_ok=True)
    sidecar = cache_dir / f"{key}.json"
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
        path = cache_dir / str(doc["file"])
        if path.is_file():
            return Synthesis(path, float(doc["seconds"]), str(doc["voice"]))
    except (OSError, ValueError, KeyError):
        pass
    with tempfile.TemporaryDirectory(prefix=".tts-", dir=cache_dir) as tmp:
        made = (make or (lambda d: engine.synthesise(text, voice, d)))(Path(tmp))
        target = cache_dir / f"{key}{made.path.suffix}"
        os.replace(made.path, target)
    doc = {"file": target.name, "seconds": made.seconds, "voice": made.voice}
    tmp_sidecar = sidecar.with_suffix(".json.tmp")
    tmp_sidecar.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp_sidecar, sidecar)
    return Synthesis(target, made.seconds, made.voice)
