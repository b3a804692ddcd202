"""Broadcast-ready audio: jingle, speech, jingle; loudness to target; silence; MP3 mono.

Loudspeaker vendors take MP3, mono, 44.1 or 22.05 kHz, and a programme that is louder or
quieter than the one before it makes listeners reach for a volume knob they do not have.
So every file is normalised to one integrated loudness (EBU R128, −23 LUFS by default)
measured by ffmpeg's `loudnorm` and corrected by one gain with a peak limiter (two passes),
framed by short silences, and encoded with LAME.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from bantin.content.voices.base import VoiceError
from bantin.content.voices.measure import integrated_loudness, program, run

__all__ = ["BroadcastFormat", "master"]

SAMPLE_RATES = (44100, 22050)


@dataclass(frozen=True)
class BroadcastFormat:
    """The file loudspeaker platforms receive (`BANTIN_AUDIO_*` settings)."""

    target_lufs: float = -23.0
    true_peak: float = -1.0  # dBTP, EBU R128's maximum
    sample_rate: int = 44100
    lead_in: float = 0.5
    lead_out: float = 0.7
    bitrate_kbps: int = 64

    def __post_init__(self) -> None:
        if self.sample_rate not in SAMPLE_RATES:
            raise VoiceError(
                f"the audio sample rate must be 44100 or 22050, not {self.sample_rate}"
            )
        if not -40 <= self.target_lufs <= -5:
            raise VoiceError(
                f"the loudness target must be -40 to -5 LUFS, not {self.target_lufs:g}"
            )

    @classmethod
    def from_env(cls) -> BroadcastFormat:
        """`BANTIN_AUDIO_LUFS` (−23) and `BANTIN_AUDIO_SAMPLE_RATE` (44100 or 22050)."""
        try:
            lufs = float(os.environ.get("BANTIN_AUDIO_LUFS", "-23"))
            rate = int(os.environ.get("BANTIN_AUDIO_SAMPLE_RATE", "44100"))
        except ValueError as exc:
            raise VoiceError(f"BANTIN_AUDIO_LUFS/BANTIN_AUDIO_SAMPLE_RATE: {exc}") from exc
        return cls(target_lufs=lufs, sample_rate=rate)

    def describe(self) -> str:
        return f"{self.target_lufs:g} LUFS, {self.sample_rate} Hz mono MP3"


def _graph(inputs: int, tail: str) -> str:
    """Concatenate the inputs (jingle, speech, jingle) in one format, then `tail`."""
    parts = [f"[{i}:a]aformat=sample_rates=48000:channel_layouts=mono[a{i}]" for i in range(inputs)]
    joined = "".join(f"[a{i}]" for i in range(inputs))
    parts.append(f"{joined}concat=n={inputs}:v=0:a=1[prog]")
    parts.append(f"[prog]{tail}[out]")
    return ";".join(parts)


_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.DOTALL)


def _measure(ffmpeg: str, args: list[str], inputs: int, fmt: BroadcastFormat) -> dict[str, str]:
    loudnorm = f"loudnorm=I={fmt.target_lufs:g}:TP={fmt.true_peak:g}:LRA=11:print_format=json"
    out = run([ffmpeg, "-nostdin", "-hide_banner", *args, "-filter_complex",
               _graph(inputs, loudnorm), "-map", "[out]", "-f", "null", "-"])  # fmt: skip
    found = _JSON.findall(out.stderr.decode(errors="replace"))
    if not found:
        raise VoiceError("ffmpeg's loudnorm did not report its measurement")
    data: dict[str, str] = json.loads(found[-1])
    return data


def master(speech: Path, out: Path, fmt: BroadcastFormat, jingle: Path | None = None) -> Path:
    """Write `out` (MP3): [jingle] speech [jingle], at `fmt`'s loudness, with silences."""
    ffmpeg = program("ffmpeg", "ffmpeg")
    files = [jingle, speech, jingle] if jingle is not None else [speech]
    args = [a for f in files for a in ("-i", str(f))]
    m = _measure(ffmpeg, args, len(files), fmt)
    if float(m["input_i"]) == float("-inf") or m["input_i"] == "-inf":
        raise VoiceError(f"{speech.name} is silent: nothing to normalise")
    # One gain for the whole programme (what loudnorm's linear mode does), then a peak
    # limiter: loudnorm falls back to dynamic mode when the gain would clip, and that mode
    # misjudges clips under three seconds (a short notice came out 20 LU too quiet). The
    # limiter takes a little loudness off peaky speech, so the result is measured and the
    # gain corrected, at most twice.
    gain = fmt.target_lufs - float(m["input_i"])
    for _ in range(3):
        _render(ffmpeg, args, len(files), fmt, gain, out)
        off = fmt.target_lufs - integrated_loudness(out)
        if abs(off) <= TOLERANCE_LU:
            break
        gain += off
    return out


TOLERANCE_LU = 0.5


def _render(
    ffmpeg: str, args: list[str], inputs: int, fmt: BroadcastFormat, gain: float, out: Path
) -> None:
    limit = 10 ** (fmt.true_peak / 20)
    tail = (
        f"volume={gain:.2f}dB,alimiter=limit={limit:.4f}:level=false:attack=1:release=50,"
        f"aresample={fmt.sample_rate},adelay={round(fmt.lead_in * 1000)}:all=1,"
        f"apad=pad_dur={fmt.lead_out:g}"
    )
    run([ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args,
         "-filter_complex", _graph(inputs, tail), "-map", "[out]",
         "-ac", "1", "-ar", str(fmt.sample_rate), "-codec:a", "libmp3lame",
         "-b:a", f"{fmt.bitrate_kbps}k", str(out)])  # fmt: skip
