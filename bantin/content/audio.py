"""Audio of radio scripts: espeak-ng reads the read-aloud form, lame or ffmpeg makes an MP3.

Communes without an announcer at 05:30 play a file. A synthetic voice is no newsreader,
but it says every figure exactly as the read-aloud form spells it, and its measured
length checks the read-time estimate the slot rule relies on.

Everything goes through the programs' command lines (no bindings to build): `espeak-ng`
(voices `vi`, northern, and `vi-vn-x-south`), then `lame` or `ffmpeg` when one is
installed, else the WAV is kept. The length is measured from the WAV header. Files live
at `$BANTIN_HOME/audio/<idempotency-key>.<ext>`, the name the loudspeaker feed looks
for, with a `<key>.json` beside them recording the text's hash and the lengths, so the
same script is not synthesised twice. Without espeak-ng, `AudioUnavailable` says what to
install, and nothing else in bantin needs it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass, replace
from pathlib import Path

from bantin.content import timing
from bantin.content.render import Rendered

log = logging.getLogger(__name__)

VOICES = ("vi", "vi-vn-x-south")
"""Northern and southern Vietnamese voices of espeak-ng (`espeak-ng --voices=vi`)."""
ESPEAK_WPM_PER_SPM = 0.76
"""espeak-ng's -s is "words a minute" before pauses; measured on the bundled scripts, -s
175 reads Vietnamese at about 230 syllables a minute with its pauses, so this factor
makes the voice read at the configured rate."""
TIMEOUT_SECONDS = 300


class AudioUnavailable(RuntimeError):
    """A program audio needs is missing or failed; the message says what to do."""


@dataclass(frozen=True)
class AudioResult:
    path: Path
    seconds: float  # measured
    estimated_seconds: float  # from syllables and the read rate
    voice: str

    def describe(self) -> str:
        return (
            f"{self.path} ({timing.duration_text(self.seconds)} measured, "
            f"{timing.duration_text(self.estimated_seconds)} estimated)"
        )


def audio_dir(home: Path) -> Path:
    return home / "audio"


def _program(name: str) -> str | None:
    return shutil.which(name)


def espeak() -> str:
    path = _program("espeak-ng")
    if path is None:
        raise AudioUnavailable("espeak-ng is not installed: apt-get install espeak-ng")
    return path


def _run(args: list[str], *, text: str | None = None) -> None:
    try:
        subprocess.run(
            args,
            input=text.encode() if text is not None else None,
            capture_output=True,
            check=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.CalledProcessError as exc:
        said = exc.stderr.decode(errors="replace").strip()[:300]
        raise AudioUnavailable(
            f"{Path(args[0]).name} failed (exit {exc.returncode}): {said}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise AudioUnavailable(f"{Path(args[0]).name} took more than {TIMEOUT_SECONDS} s") from exc


def wav_seconds(path: Path) -> float:
    """The length of a WAV file, from its header."""
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def _encode(wav: Path, stem: Path) -> Path:
    """MP3 with lame or ffmpeg when either is installed; else the WAV as it is."""
    mp3 = stem.with_suffix(".mp3")
    if lame := _program("lame"):
        _run([lame, "--quiet", "-V", "6", str(wav), str(mp3)])
        return mp3
    if ffmpeg := _program("ffmpeg"):
        _run(
            [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-q:a", "6", str(mp3)]
        )
        return mp3
    return wav


def _fingerprint(text: str, voice: str, rate: float) -> str:
    return hashlib.sha256(f"{voice}\0{rate:g}\0{text}".encode()).hexdigest()


def synthesize(
    text: str,
    out_dir: Path,
    key: str,
    *,
    voice: str = "vi",
    rate: float | None = None,
    spoken: bool = False,
) -> AudioResult:
    """Speak `text` (normalised for reading aloud first, unless `spoken`) into
    `out_dir/<key>.mp3` (or `.wav`); raises AudioUnavailable."""
    if voice not in VOICES:
        raise ValueError(f"voice must be one of {', '.join(VOICES)}, not {voice!r}")
    if not key or not key.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"invalid audio key {key!r}")
    rate = rate or timing.configured_rate()
    said = text if spoken else timing.spoken(text)
    estimated = timing.estimate_seconds(timing.spoken_syllables(said), rate)
    out_dir.mkdir(parents=True, exist_ok=True)
    sidecar = out_dir / f"{key}.json"
    fingerprint = _fingerprint(said, voice, rate)
    cached = _cached(sidecar, fingerprint, out_dir)
    if cached is not None:
        return cached
    program = espeak()
    with tempfile.TemporaryDirectory(prefix=".audio-", dir=out_dir) as tmp:
        wav = Path(tmp) / f"{key}.wav"
        speed = str(max(80, round(rate * ESPEAK_WPM_PER_SPM)))
        _run([program, "-v", voice, "-s", speed, "-b", "1", "-w", str(wav), "--stdin"], text=said)
        seconds = wav_seconds(wav)
        encoded = _encode(wav, Path(tmp) / key)
        target = out_dir / f"{key}{encoded.suffix}"
        for old in out_dir.glob(f"{key}.*"):  # a changed script may change the format
            if old.suffix in (".mp3", ".wav") and old != target:
                old.unlink()
        os.replace(encoded, target)  # atomic: the feed never serves half a file
    result = AudioResult(target, seconds, estimated, voice)
    doc = {
        "fingerprint": fingerprint,
        "file": target.name,
        "seconds": seconds,
        "estimated_seconds": estimated,
        "voice": voice,
    }
    sidecar.write_text(json.dumps(doc), encoding="utf-8")
    return result


def _cached(sidecar: Path, fingerprint: str, out_dir: Path) -> AudioResult | None:
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = out_dir / str(doc.get("file", ""))
    if doc.get("fingerprint") != fingerprint or not path.is_file():
        return None
    return AudioResult(path, float(doc["seconds"]), float(doc["estimated_seconds"]), doc["voice"])


def attach_audio(
    rendered: Rendered,
    key: str,
    home: Path,
    *,
    base_url: str | None = None,
    voice: str = "vi",
) -> Rendered:
    """The dispatcher's hook: for a radio script, make (or reuse) its audio and say so in
    `meta` (`audio_file`, `audio_seconds`, and `audio_url` when `base_url` is given).

    Anything else, or a machine without espeak-ng, gets `rendered` back unchanged: audio
    is a convenience and must never stop a bulletin from going out as text.
    """
    if rendered.kind != "radio_script":
        return rendered
    spoken = rendered.meta.get("read_aloud")
    try:
        result = synthesize(
            str(spoken) if spoken else rendered.body,
            audio_dir(home),
            key,
            voice=voice,
            rate=float(rendered.meta.get("read_rate_spm") or timing.configured_rate()),
            spoken=bool(spoken),
        )
    except AudioUnavailable as exc:
        log.warning("no audio for %s: %s", key, exc)
        return rendered
    return _with_audio(rendered, result, base_url)


def attach_existing_audio(
    rendered: Rendered, key: str, home: Path, *, base_url: str | None = None, voice: str = "vi"
) -> Rendered:
    """Like `attach_audio`, but only when the recording already exists for exactly this text.

    The dispatch hot path calls this: synthesis (~0.4 s a bulletin) happens ahead of time in
    the runner's pre-synthesis job, never while a 05:30 burst is going out.
    """
    if rendered.kind != "radio_script":
        return rendered
    spoken = rendered.meta.get("read_aloud")
    said = str(spoken) if spoken else timing.spoken(rendered.body)
    rate = float(rendered.meta.get("read_rate_spm") or timing.configured_rate())
    out_dir = audio_dir(home)
    cached = _cached(out_dir / f"{key}.json", _fingerprint(said, voice, rate), out_dir)
    if cached is None:
        return rendered
    return _with_audio(rendered, cached, base_url)


def _with_audio(rendered: Rendered, result: AudioResult, base_url: str | None) -> Rendered:
    meta = {
        **rendered.meta,
        "audio_file": result.path.name,
        "audio_seconds": round(result.seconds, 1),
    }
    if base_url:
        meta["audio_url"] = f"{base_url.rstrip('/')}/{result.path.name}"
    return replace(rendered, meta=meta)
