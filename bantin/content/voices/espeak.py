"""espeak-ng: offline, robotic but exact; the default engine (`espeak-ng:vi-vn-x-south`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from bantin.content.voices.base import Synthesis, VoiceError
from bantin.content.voices.measure import duration_seconds, run

__all__ = ["ESPEAK_WPM_PER_SPM", "VOICES", "EspeakEngine"]

VOICES = ("vi", "vi-vn-x-south", "vi-vn-x-central")
"""Vietnamese voices of espeak-ng (`espeak-ng --voices=vi`): northern, southern, central."""
ESPEAK_WPM_PER_SPM = 0.76
"""espeak-ng's -s is "words a minute" before pauses; measured on the bundled scripts, -s
175 reads Vietnamese at about 230 syllables a minute with its pauses, so this factor
makes the voice read at the configured rate."""


class EspeakEngine:
    """Speaks through the `espeak-ng` command line into a WAV file."""

    name = "espeak-ng"

    def __init__(self, rate_spm: float, which: Callable[[str], str | None] = shutil.which):
        self.rate_spm = rate_spm
        self._which = which

    def options(self) -> dict[str, str]:
        return {"rate_spm": f"{self.rate_spm:g}"}

    def program(self) -> str:
        path = self._which("espeak-ng")
        if path is None:
            raise VoiceError("espeak-ng is not installed: apt-get install espeak-ng")
        return path

    def synthesise(self, text: str, voice: str, out_dir: Path) -> Synthesis:
        if voice not in VOICES:
            raise VoiceError(f"espeak-ng has no voice {voice!r}; use one of {', '.join(VOICES)}")
        wav = out_dir / "speech.wav"
        speed = str(max(80, round(self.rate_spm * ESPEAK_WPM_PER_SPM)))
        run(
            [self.program(), "-v", voice, "-s", speed, "-b", "1", "-w", str(wav), "--stdin"],
            text=text,
        )
        return Synthesis(wav, duration_seconds(wav), f"{self.name}:{voice}")
