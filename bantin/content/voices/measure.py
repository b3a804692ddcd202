"""Measure an audio file's length and loudness from the file itself (ffprobe, ffmpeg)."""

from __future__ import annotations

import re
import shutil
import subprocess
import wave
from pathlib import Path

from bantin.content.voices.base import VoiceError

__all__ = ["duration_seconds", "integrated_loudness", "run"]

TIMEOUT_SECONDS = 300


def run(args: list[str], *, text: str | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a program; its failure becomes a one-sentence VoiceError."""
    name = Path(args[0]).name
    try:
        return subprocess.run(
            args,
            input=text.encode() if text is not None else None,
            capture_output=True,
            check=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.CalledProcessError as exc:
        said = exc.stderr.decode(errors="replace").strip().splitlines()
        raise VoiceError(
            f"{name} failed (exit {exc.returncode}): {(said or [''])[-1][:300]}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise VoiceError(f"{name} took more than {TIMEOUT_SECONDS} s") from exc
    except OSError as exc:
        raise VoiceError(f"{name} could not be started: {exc.strerror}") from exc


def program(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise VoiceError(f"{name} is not installed: apt-get install {package}")
    return path


def duration_seconds(path: Path) -> float:
    """Seconds of audio: WAV from its header, anything else with ffprobe."""
    if path.suffix.lower() == ".wav":
        try:
            with wave.open(str(path), "rb") as w:
                return w.getnframes() / float(w.getframerate())
        except (wave.Error, EOFError):
            pass  # a WAV the wave module cannot read (float samples): ask ffprobe
    out = run(
        [
            program("ffprobe", "ffmpeg"),
            "-v", "error", "-show_entries", "format=duration",
            "-of", "default=noprint_wrappers=1:nokey=1", str(path),
        ]
    )  # fmt: skip
    try:
        return float(out.stdout.decode().strip())
    except ValueError as exc:
        raise VoiceError(f"{path.name} is not an audio file ffprobe can read") from exc


_INTEGRATED = re.compile(r"I:\s+(-?\d+(?:\.\d+)?) LUFS")


def integrated_loudness(path: Path) -> float:
    """Integrated loudness in LUFS, measured with ffmpeg's ebur128 filter (EBU R128)."""
    out = run(
        [
            program("ffmpeg", "ffmpeg"), "-nostdin", "-hide_banner", "-nostats",
            "-i", str(path), "-af", "ebur128=framelog=verbose", "-f", "null", "-",
        ]
    )  # fmt: skip
    found = _INTEGRATED.findall(out.stderr.decode(errors="replace"))
    if not found:
        raise VoiceError(f"ffmpeg did not report the loudness of {path.name}")
    return float(found[-1])
